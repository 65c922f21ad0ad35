"""``bnclaims report``: a saved ledger as one self-contained HTML page and its Markdown twin, with figures.

:func:`write_report` renders; :mod:`bnclaims.report.model` gathers (claims by paper, records by level,
figures), :mod:`~bnclaims.report.html` and :mod:`~bnclaims.report.markdown` render,
:mod:`~bnclaims.report.figures` draws, :mod:`~bnclaims.report.mathml` typesets,
:mod:`~bnclaims.report.bibtex` cites, :mod:`~bnclaims.report.command` is the command line.
The output is a pure function of the ledger (and the plots and bench it names): the same input
gives the same bytes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bnclaims.errors import BadInput
from bnclaims.report.model import Report, build_report

__all__ = ["Report", "build_report", "write_report", "HTML_NAME", "MARKDOWN_NAME"]

HTML_NAME, MARKDOWN_NAME = "report.html", "report.md"


def write_report(doc: dict[str, Any], out: str | Path, *, ledger_path: str | Path | None = None,
                 plots_dir: str | Path | None = None, bench: dict[str, Any] | None = None) -> Report:
    """Write ``report.html``, ``report.md`` and ``figures/*.png`` into ``out`` (created if missing)."""
    from bnclaims.report.html import render_html
    from bnclaims.report.markdown import FIGURE_DIR, render_markdown

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} exists and is not a directory")
    report = build_report(doc, ledger_path=ledger_path, plots_dir=plots_dir, bench=bench)
    figures = out / FIGURE_DIR
    figures.mkdir(parents=True, exist_ok=True)
    for fig in report.figures:
        (figures / fig.name).write_bytes(fig.png)
    (out / HTML_NAME).write_text(render_html(report), encoding="utf-8")
    (out / MARKDOWN_NAME).write_text(render_markdown(report), encoding="utf-8")
    return report
