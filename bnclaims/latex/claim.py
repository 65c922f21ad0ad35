"""The ``.tex`` section of one claim: source, statement, hypotheses, derivation, verdict, false twin."""
from __future__ import annotations

from collections.abc import Iterable

from bnclaims.latex.counterexample import counterexample_tex
from bnclaims.latex.notation import notation_tex
from bnclaims.latex.text import cite_text, escape, escape_prose, header, tt_id
from bnclaims.registry import Claim
from bnclaims.verdicts import Level, Outcome


def _display(tex: str) -> str:
    return r"\[" + tex.strip() + r"\]"


def _steps(lines: list[str], outcome: Outcome) -> None:
    for explanation, tex in outcome.steps:
        lines.append(escape_prose(explanation))
        if tex.strip():
            lines.append(_display(tex))
        lines.append("")


def _counterexample(lines: list[str], outcome: Outcome) -> None:
    cx = outcome.evidence.get("counterexample")
    if cx is not None:
        lines += ["", r"\paragraph{Counterexample.} " + counterexample_tex(cx)]


def _statement(text: str, tex: str) -> str:
    """The typeset statement; the plain-text one only when the claim has no LaTeX form."""
    return _display(tex) if tex.strip() else escape(text)


def render(claim: Claim, outcome: Outcome, twin: Outcome | None, bibkeys: Iterable[str] = ()) -> str:
    """The ``.tex`` text of one claim (a subsection of its paper's section)."""
    keys = {claim.source.bibkey, *bibkeys}
    src = claim.source
    source = rf"\cite{{{src.bibkey}}}, {cite_text(src.locator, keys)}"
    if src.note:
        source += f" ({cite_text(src.note, keys)})"
    lines = [header().rstrip("\n"),
             rf"\subsection{{{tt_id(claim.id)}: {escape(claim.title or claim.statement)}}}",
             rf"\label{{claim:{claim.id}}}", "",
             rf"\paragraph{{Source.}} {source}.", "",
             r"\paragraph{Statement.}", _statement(claim.statement, claim.latex), "",
             r"\paragraph{Hypotheses.}", r"\begin{itemize}"]
    lines += [r"\item " + notation_tex(h) for h in claim.hypotheses] or [r"\item none"]
    lines += [r"\end{itemize}", "", r"\paragraph{Derivation (theory level).}", ""]
    _steps(lines, outcome)
    expected = claim.expected_at(Level.THEORY)
    lines.append(rf"\paragraph{{Verdict.}} \textbf{{{outcome.verdict.value}}} "
                 rf"(expected: {expected.value if expected else 'empirical'}). "
                 rf"Scope: {notation_tex(outcome.scope)}.")
    _counterexample(lines, outcome)
    if claim.twin is not None:
        lines += ["", r"\paragraph{False twin.} " + notation_tex(claim.twin.change) + ":",
                  _statement(claim.twin.statement, claim.twin.latex), ""]
        if twin is not None:
            _steps(lines, twin)
            lines.append(rf"Twin verdict: \textbf{{{twin.verdict.value}}} (expected: refuted). "
                         rf"Scope: {notation_tex(twin.scope)}.")
            _counterexample(lines, twin)
    return "\n".join(lines).rstrip() + "\n"
