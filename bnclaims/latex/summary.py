"""The verdict table that opens the document: one row per claim, grouped by paper, a column per level.

Without a ledger it states the *expected* verdicts (and says so); with one (``bnclaims verify --json``)
it states the verdicts observed there and marks each that differs from the expected verdict.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bnclaims.latex.bibliography import Entry
from bnclaims.latex.text import escape, tt, tt_id
from bnclaims.registry import Claim
from bnclaims.verdicts import Level, Verdict

NO_CHECK = "--"
_COLUMNS = r"@{}>{\raggedright\arraybackslash}p{7.6cm}lllll@{}"


def _cell_expected(claim: Claim, level: Level) -> str:
    if level not in claim.checks:
        return NO_CHECK
    expected = claim.expected_at(level)
    return expected.value if expected else "empirical"


def _twin_expected(claim: Claim) -> str:
    return Verdict.REFUTED.value if claim.twin is not None and claim.twin.checks else NO_CHECK


def _observed(verdict: str | None, expected: Verdict | None, ran: bool) -> str:
    if not ran:
        return NO_CHECK
    if verdict is None:
        return "not run"
    if expected is not None and verdict != expected.value:
        return rf"\textbf{{{escape(verdict)}}}$^{{*}}$"
    return escape(verdict)


def _twin_observed(claim: Claim, seen: dict[tuple[str, str], str]) -> str:
    if claim.twin is None or not claim.twin.checks:
        return NO_CHECK
    got = [seen.get((f"{claim.id}.twin", lv.value)) for lv in Level if lv in claim.twin.checks]
    got = [v for v in got if v is not None]
    if not got:
        return "not run"
    wrong = sorted({v for v in got if v != Verdict.REFUTED.value})
    return rf"\textbf{{{escape(', '.join(wrong))}}}$^{{*}}$" if wrong else Verdict.REFUTED.value


def ledger_verdicts(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    """``{(record id, level): verdict}`` from a ledger document."""
    return {(r["id"], r["level"]): r["verdict"] for r in doc.get("results", [])}


def _intro(ledger: dict[str, Any] | None, ledger_name: str, shown: int, outside: int) -> str:
    if ledger is None:
        return ("This table states the \\emph{expected} verdict of every claim at each level: no ledger was "
                "given, so it records what the checks must return, not what a run returned. To print observed "
                f"verdicts, run {tt('bnclaims verify --json ledger.json')}, then "
                f"{tt('bnclaims latex --pdf --from ledger.json')}. ")
    commit = ledger.get("git_commit")
    where = f" (commit \\texttt{{{escape(str(commit)[:12])}}})" if commit else ""
    extra = (f" The ledger also holds {outside} records of claims that are not in this document."
             if outside else "")
    return (f"This table states the verdicts observed in the ledger {tt(ledger_name)}{where}: "
            f"{shown} records. A verdict marked $^{{*}}$ differs from the expected one; ``not run'' means "
            f"the ledger has no record for a check that exists.{extra} ")


def summary_tex(claims: Iterable[Claim], papers: list[tuple[str, Entry | None]],
                ledger: dict[str, Any] | None = None, ledger_name: str = "") -> str:
    """The ``summary.tex`` text: an unnumbered section with the verdict table."""
    claims = sorted(claims, key=lambda c: c.id)
    seen = ledger_verdicts(ledger) if ledger is not None else {}
    ids = {c.id for c in claims} | {f"{c.id}.twin" for c in claims}
    shown = sum(1 for key in seen if key[0] in ids)
    lines = [r"\section*{Verdicts}", r"\addcontentsline{toc}{section}{Verdicts}",
             _intro(ledger, ledger_name, shown, len(seen) - shown) +
             "Each false twin (a deliberately wrong variant of a claim) must be refuted at every level it is "
             "checked. ``--'' marks a level without a check; \\S{} gives the section with the derivation.",
             "", r"{\footnotesize\setlength{\tabcolsep}{4pt}",
             rf"\begin{{longtable}}{{{_COLUMNS}}}",
             r"Claim & Theory & Numerics & Scale & False twin & \S \\ \hline \endhead"]
    for key, entry in papers:
        group = [c for c in claims if c.source.bibkey == key]
        if not group:
            continue
        name = escape(entry.short()) if entry is not None else escape(key)
        lines.append(rf"\multicolumn{{6}}{{@{{}}l}}{{\rule{{0pt}}{{2.6ex}}\textbf{{{name}}} \cite{{{key}}}}} \\*")
        for c in group:
            if ledger is None:
                cells = [_cell_expected(c, lv) for lv in Level] + [_twin_expected(c)]
            else:
                cells = [_observed(seen.get((c.id, lv.value)), c.expected_at(lv), lv in c.checks) for lv in Level]
                cells.append(_twin_observed(c, seen))
            ref = rf"\ref{{claim:{c.id}}}" if Level.THEORY in c.checks else NO_CHECK
            lines.append(" & ".join([r"\quad " + tt_id(c.id), *cells, ref]) + r" \\")
    lines += [r"\end{longtable}}", ""]
    return "\n".join(lines)
