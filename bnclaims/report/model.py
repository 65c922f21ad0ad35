"""What the report shows, gathered from a ledger: claims grouped by paper, their records per level, figures.

The claim descriptions come from the ledger itself (its ``claims`` block, the shape of ``list
--json``); a ledger written before the JSON contract has none, and then the built-in claims with
the same ids are described. Scale-level plots are PNG files named in ``evidence["plot"]``; they are
looked for in ``plots_dir``, then in the ``--plots`` directory the ledger records (as given, and
beside the ledger), then beside the ledger.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bnclaims.report.bibtex import Reference, reference
from bnclaims.report.figures import Figure, bench_figures, claim_figures

__all__ = ["ClaimView", "Paper", "Report", "as_expected", "build_report", "LEVELS"]

LEVELS = ("theory", "numerics", "scale")


@dataclass
class ClaimView:
    """One claim: its description (``list --json`` shape), records by level, its twin's, and its figures."""

    info: dict[str, Any]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    twin_records: dict[str, dict[str, Any]] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.info["id"]

    @property
    def as_expected(self) -> bool:
        return all(as_expected(r) for r in [*self.records.values(), *self.twin_records.values()])


@dataclass
class Paper:
    """The claims taken from one source."""

    ref: Reference
    claims: list[ClaimView]


@dataclass
class Report:
    """Everything the HTML and Markdown pages show; built by :func:`build_report`."""

    doc: dict[str, Any]
    papers: list[Paper]
    levels: list[str]
    bench_figures: list[Figure] = field(default_factory=list)
    bench_notes: list[str] = field(default_factory=list)
    missing_plots: list[str] = field(default_factory=list)

    @property
    def figures(self) -> list[Figure]:
        return [f for p in self.papers for c in p.claims for f in c.figures] + self.bench_figures


def as_expected(rec: dict[str, Any]) -> bool:
    """A record's ``as_expected`` (computed as the runner does for a ledger from before the contract)."""
    if "as_expected" in rec:
        return bool(rec["as_expected"])
    if rec.get("expected") is None:
        return "error" not in rec.get("evidence", {})
    return rec["verdict"] == rec["expected"]


def _describe(claim_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    for c in doc.get("claims") or []:
        if c.get("id") == claim_id:
            return c
    from bnclaims.errors import BadInput
    from bnclaims.registry import get_claim
    from bnclaims.runner import _jsonable

    try:
        return _jsonable(get_claim(claim_id).summary())
    except BadInput:  # a claim of the user's own that the ledger does not describe
        return {"id": claim_id, "title": "", "statement": "", "latex": "", "hypotheses": [], "twin": None,
                "source": {"bibkey": "", "locator": "", "note": ""}, "catalog": "", "notes": ""}


def _plot_dirs(doc: dict[str, Any], ledger_path: Path | None, plots_dir: Path | None) -> list[Path]:
    dirs = [plots_dir] if plots_dir is not None else []
    recorded = (doc.get("environment") or {}).get("plots")
    here = ledger_path.parent if ledger_path is not None else None
    if recorded:
        dirs += [Path(recorded)] + ([here / recorded] if here is not None else [])
    if here is not None:
        dirs += [here]
    return dirs


def _scale_plot(name: str, claim_id: str, dirs: list[Path]) -> Figure | None:
    if Path(name).name != name or not name.endswith(".png"):
        return None  # a file name, never a path: a ledger does not point the report elsewhere
    for d in dirs:
        f = d / name
        if f.is_file():
            return Figure(name, f"{claim_id}: scale-level experiment", "", f.read_bytes())
    return None


def build_report(doc: dict[str, Any], *, ledger_path: str | Path | None = None, plots_dir: str | Path | None = None,
                 bench: dict[str, Any] | None = None) -> Report:
    """The report of a ledger (as :func:`bnclaims.schema.read_ledger` returns it); ``bench`` is an optional
    ``bnclaims bench curvature --json`` document."""
    views: dict[str, ClaimView] = {}
    for rec in doc["results"]:
        base = rec["id"].removesuffix(".twin")
        view = views.get(base) or views.setdefault(base, ClaimView(_describe(base, doc)))
        (view.twin_records if rec["id"].endswith(".twin") else view.records)[rec["level"]] = rec
    dirs = _plot_dirs(doc, Path(ledger_path) if ledger_path else None, Path(plots_dir) if plots_dir else None)
    missing: list[str] = []
    for view in views.values():
        records = [view.records[lv] for lv in LEVELS if lv in view.records]
        view.figures, view.notes = claim_figures(view.id, records)
        for rec in records:
            name = rec.get("evidence", {}).get("plot")
            if isinstance(name, str):
                fig = _scale_plot(name, view.id, dirs)
                if fig is None:
                    missing.append(name)
                    view.notes.append(f"the plot {name} named by the {rec['level']} evidence was not found "
                                      "(pass its directory with --plots)")
                else:
                    view.figures.append(fig)
    by_paper: dict[str, list[ClaimView]] = {}
    for view in views.values():
        by_paper.setdefault(view.info["source"].get("bibkey", ""), []).append(view)
    papers = [Paper(reference(key), sorted(vs, key=lambda v: v.id)) for key, vs in by_paper.items()]
    papers.sort(key=lambda p: (p.ref.year or "9999", p.ref.short, p.ref.key))
    levels = [lv for lv in LEVELS if any(r["level"] == lv for r in doc["results"])]
    figs, notes = bench_figures(bench) if bench is not None else ([], [])
    return Report(doc, papers, levels, figs, notes, missing)
