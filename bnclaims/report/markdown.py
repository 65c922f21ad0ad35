"""The report as Markdown, the twin of the HTML page: mathematics as ``$...$`` (GitHub, pandoc and most
viewers typeset it), figures as links to the PNG files written beside it."""
from __future__ import annotations

import json
from typing import Any

from bnclaims.report.bibtex import cite_short
from bnclaims.report.html import counterexamples
from bnclaims.report.mathml import name_latex, value_latex
from bnclaims.report.model import ClaimView, Report, as_expected

__all__ = ["render_markdown", "FIGURE_DIR"]

#: Where the figures go, relative to the Markdown file.
FIGURE_DIR = "figures"


_ESCAPES = str.maketrans({"\\": "\\\\", "*": "\\*", "_": "\\_", "`": "\\`", "[": "\\[", "]": "\\]",
                          "<": "&lt;", ">": "&gt;", "#": "\\#"})


def _text(text: Any) -> str:
    """Plain text as Markdown that shows it literally (``W*``, ``<W0, W*>`` and ``a_b`` included)."""
    return str(text).translate(_ESCAPES)


def _cell(text: Any) -> str:
    return _text(text).replace("|", "\\|").replace("\n", " ")


def _verdict(rec: dict[str, Any] | None) -> str:
    if rec is None:
        return "–"
    return f"**{rec['verdict']}**" + ("" if as_expected(rec) else f" (expected {rec.get('expected') or 'empirical'})")


def _value(value: Any) -> str:
    tex = value_latex(value)
    if tex is not None:
        return f"${tex}$"
    text = value if isinstance(value, str) else json.dumps(value)
    return "`" + _cell(text if len(text) <= 300 else text[:300] + " …").replace("`", "'") + "`"


def _levels(recs: dict[str, dict[str, Any]], levels: list[str]) -> list[str]:
    rows = ["| level | verdict | expected | scope |", "|---|---|---|---|"]
    rows += [f"| {lv} | {_verdict(recs[lv])} | {recs[lv].get('expected') or 'empirical'} | "
             f"{_cell(recs[lv].get('scope', ''))} |" for lv in levels if lv in recs]
    return rows + [""]


def _claim(view: ClaimView, ref, levels: list[str]) -> list[str]:
    info, src = view.info, view.info.get("source", {})
    out = [f'<a id="{view.id}"></a>', f"#### `{view.id}` {_text(info.get('title', ''))}", ""]
    if info.get("latex"):
        out += ["$$", info["latex"], "$$", ""]
    if info.get("statement"):
        out += [f"*In words:* {_text(info['statement'])}", ""]
    where = cite_short(", ".join(x for x in (src.get("locator"), src.get("note")) if x))
    out += [f"**Source:** {_text(ref.short)}{', ' + _text(where) if where else ''}. {_text(ref.full)}", ""]
    if info.get("hypotheses"):
        out += ["**Hypotheses:**", ""] + [f"- {_text(h)}" for h in info["hypotheses"]] + [""]
    out += ["**Verdicts:**", ""] + _levels(view.records, levels)
    twin = info.get("twin")
    if twin or view.twin_records:
        out += [f"**False twin** (must be refuted): {_text((twin or {}).get('change', ''))}", ""]
        if twin and twin.get("latex"):
            out += ["$$", twin["latex"], "$$", ""]
        out += _levels(view.twin_records, levels)
    for whose, level, value in counterexamples(view):
        out += [f"**Counterexample** ({whose}, {level} level):", ""]
        if isinstance(value, dict):
            out += ["| | |", "|---|---|"] + [f"| ${name_latex(str(k))}$ | {_value(v)} |" for k, v in value.items()]
        else:
            out.append(_value(value))
        out.append("")
    for fig in view.figures:
        out += [f"![{fig.title}]({FIGURE_DIR}/{fig.name})", "", f"*{fig.title}.* {fig.caption}".rstrip(), ""]
    out += [f"*Not drawn:* {_text(n)}.\n" for n in view.notes]
    for whose, recs in (("claim", view.records), ("false twin", view.twin_records)):
        for lv in levels:
            if lv in recs:
                ev = json.dumps(recs[lv].get("evidence", {}), indent=1, ensure_ascii=False)
                out += [f"<details><summary>Evidence: {whose}, {lv} level</summary>", "", "```json", ev, "```", "",
                        "</details>", ""]
    return out


def render_markdown(report: Report) -> str:
    """The Markdown page, deterministic for a given report."""
    doc, env = report.doc, report.doc.get("environment", {})
    n = len(doc["results"])
    good = sum(as_expected(r) for r in doc["results"])
    claims = sum(len(p.claims) for p in report.papers)
    status = (f"all {n} verdicts as expected." if good == n else
              f"{n - good} of {n} verdicts differ from the expected ones.")
    out = ["# Batch Normalization claims: the verdicts", "",
           f"{claims} claims from {len(report.papers)} sources, {n} checks: {status}",
           "", f"bnclaims {env.get('bnclaims', '?')}, seed {env.get('seed', '?')}, preset {env.get('preset', '?')}, "
           f"{env.get('dps', '?')} digits, device {env.get('device', '?')}"
           + (f", commit {doc['git_commit'][:12]}" if doc.get("git_commit") else "") + ".", ""]
    if doc.get("command"):
        out += [f"Command: `{' '.join(doc['command'])}`", ""]
    if doc.get("interrupted"):
        out += [f"**The run stopped early:** {doc['interrupted']}.", ""]
    out += ["## Summary by paper", "", "A verdict in bold; *(expected ...)* marks one that is not the expected one. "
            "Every false twin must be refuted.", "",
            "| claim | title | " + " | ".join(report.levels) + " | false twin |",
            "|---|---|" + "---|" * len(report.levels) + "---|"]
    for paper in report.papers:
        out.append(f"| **{_cell(paper.ref.short)}** |" + " |" * (len(report.levels) + 2))
        for v in paper.claims:
            twins = list(v.twin_records.values())
            twin = "none" if not twins else "refuted" if all(r["verdict"] == "refuted" for r in twins) else \
                ", ".join(_verdict(r) for r in twins)
            out.append(f"| [`{v.id}`](#{v.id}) | {_cell(v.info.get('title', ''))} | "
                       + " | ".join(_verdict(v.records.get(lv)) for lv in report.levels) + f" | {twin} |")
    out += ["", "## Claims", ""]
    for paper in report.papers:
        out += [f"### {_text(paper.ref.short)}", "", _text(paper.ref.full), ""]
        for v in paper.claims:
            out += _claim(v, paper.ref, report.levels)
    if report.bench_figures or report.bench_notes:
        out += ["## Curvature engine (bnclaims bench curvature)", ""]
        for fig in report.bench_figures:
            out += [f"![{fig.title}]({FIGURE_DIR}/{fig.name})", "", f"*{fig.title}.* {fig.caption}", ""]
        out += [f"{_text(n)}\n" for n in report.bench_notes]
    out += ["## Environment", "", "```json", json.dumps(env, indent=1, ensure_ascii=False), "```", ""]
    return "\n".join(out)
