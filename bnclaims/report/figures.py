"""Figures of the report, drawn from what a ledger (or a curvature bench) recorded: never from a new run.

A figure is chosen by the evidence it needs, not by claim id, so any claim whose check records the
same kind of evidence gets it:

* ``W_star``, ``u_star`` and ``cases`` (two-dimensional W): the geometry of Lemma 4.5 of Santurkar et
  al. (2018), with Junike and Dannemann's (2025) numbers: the line through W*, the BN optimum set,
  W0, and the two distances the lemma compares (its right-hand side is the squared distance from W0
  to the line through W*);
* ``failure_rate_random_w0``: the lemma's failure rate at a random W0 for each dimension, with 95 %
  Wilson intervals, for both BN optimum sets;
* ``descent_curves``: BN gradient descent against plain gradient descent at learning rates up to 100
  times the stability limit 2/lambda_max (Cai, Li and Shen 2019).

From ``bnclaims bench curvature --json``: relative error against Hessian-vector products for each
eigensolver with the float32 floor, and trace error against products with its band and lower bound.

Output is deterministic: matplotlib's object API (no pyplot state), Agg, fixed size and dpi, and PNG
metadata without a software version, so the same input gives the same bytes.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

__all__ = ["Figure", "bench_figures", "claim_figures"]

DPI = 100
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


@dataclass(frozen=True)
class Figure:
    """One PNG of the report: its file ``name``, a ``title``, a ``caption`` and the bytes."""

    name: str
    title: str
    caption: str
    png: bytes


def _axes(width: float = 6.4, height: float = 4.0, ncols: int = 1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols)
    return fig, axes


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.1, metadata={"Software": None})
    return buf.getvalue()


def _num(text: Any) -> float:
    """A float from an evidence number (int, float, or an exact string such as "17/3" or "3*sqrt(2)/2")."""
    if isinstance(text, (int, float)):
        return float(text)
    try:
        return float(Fraction(str(text)))
    except ValueError:
        import sympy as sp

        from bnclaims.report.mathml import value_latex

        if value_latex(str(text)) is None:  # only what the safe parser accepts is evaluated
            raise ValueError(f"not a number: {text!r}") from None
        return float(sp.sympify(str(text), rational=True))


# -- Lemma 4.5 -----------------------------------------------------------------------------------

def _foot(p: tuple[float, float], d: tuple[float, float]) -> tuple[float, float]:
    t = (p[0] * d[0] + p[1] * d[1]) / (d[0] ** 2 + d[1] ** 2)
    return t * d[0], t * d[1]


def lemma45_geometry(claim_id: str, ev: dict[str, Any]) -> Figure:
    """W*, the BN optimum set {t u*: t != 0}, each W0 of ``cases`` and the two distances the lemma compares."""
    ws = tuple(_num(v) for v in ev["W_star"])
    u = tuple(_num(v) for v in ev["u_star"])
    fig, ax = _axes(6.0, 6.6)
    cases = [(tuple(_num(v) for v in c["W0"]), c) for c in ev["cases"]]
    feet = [_foot(w0, d) for w0, _ in cases for d in (u, ws)]
    pts = [ws] + [w0 for w0, _ in cases] + feet
    (x0, x1), (y0, y1) = ((min(p[i] for p in pts), max(p[i] for p in pts)) for i in (0, 1))
    half = 0.65 * max(x1 - x0, y1 - y0, 1e-9)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    r = 2 * (math.hypot(cx, cy) + 2 * half)
    lines = ((ws, dict(color="0.45", ls="--", lw=1.2), "line through W* (RHS: squared distance to it)"),
             (u, dict(color=_COLORS[0], lw=2), "BN optimum set {t u*: t ≠ 0} (LHS: squared distance)"))
    for d, style, label in lines:
        n = math.hypot(*d)
        ax.plot([-r * d[0] / n, r * d[0] / n], [-r * d[1] / n, r * d[1] / n], label=label, **style)
    ax.plot(*ws, "k*", ms=13, label="W* (standard optimum)", zorder=4)
    for i, (w0, case) in enumerate(cases):
        lhs, rhs = _num(case["lhs_trainable"]), _num(case["rhs"])
        for d, color in ((u, _COLORS[0]), (ws, "0.3")):
            f = _foot(w0, d)
            if math.dist(f, w0) > 1e-12:
                ax.plot([w0[0], f[0]], [w0[1], f[1]], color=color, lw=2.2, solid_capstyle="butt")
        ax.plot(*w0, "o", color=_COLORS[1 + i], ms=8, zorder=5,
                label=f"W0 = ({', '.join(case['W0'])}): √LHS = {math.sqrt(lhs):.3g} > √RHS = {math.sqrt(rhs):.3g}")
    ax.set_aspect("equal")
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    caption = ("Lemma 4.5 says the BN optimum set (a line through the origin, the origin left out) is at least as "
               "close to W0 as the line through W* is (LHS ≤ RHS). Here it is farther for every W0 shown: the "
               "solid segments are the two distances, from exact values.")
    return Figure(f"{claim_id}.geometry.png", "Lemma 4.5: the geometry of the counterexample", caption, _png(fig))


def lemma45_rates(claim_id: str, ev: dict[str, Any]) -> Figure:
    """Failure rate of the lemma at a random W0 against the dimension d, 95 % Wilson intervals."""
    per = ev["failure_rate_random_w0"]
    dims = sorted(per["by_d"], key=int)
    fig, ax = _axes(6.4, 3.8)
    sets = [k for k in per["by_d"][dims[0]] if isinstance(per["by_d"][dims[0]][k], dict)]
    for i, name in enumerate(sets):
        xs, ys, lo, hi = [], [], [], []
        for d in dims:
            row = per["by_d"][d][name]
            if row.get("fraction") is None:
                continue
            xs.append(int(d) + (i - (len(sets) - 1) / 2) * 0.12)
            ys.append(row["fraction"])
            lo.append(row["fraction"] - row["wilson95"][0])
            hi.append(row["wilson95"][1] - row["fraction"])
        label = {"trainable": "γ, β trainable", "fixed_gamma1_beta0": "γ = 1, β = 0 fixed"}.get(name, name)
        ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o", capsize=3, color=_COLORS[i], label=label)
    if "trainable" in sets and len(dims) > 1:
        ax.plot([int(dims[1]) - 0.3, int(dims[-1]) + 0.3], [0.5, 0.5], "k--", lw=1,
                label="exact rate 1/2 for d ≥ 2 (γ, β trainable)")
    ax.set_xticks([int(d) for d in dims])
    ax.set_xlabel("dimension d")
    ax.set_ylabel("fraction of problems where the lemma fails")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    n = per.get("problems_per_d")
    caption = (f"{n} random problems per dimension; failures are interval-certified violations; bars are 95 % "
               "Wilson intervals.")
    return Figure(f"{claim_id}.failure_rate.png", "Lemma 4.5: failure rate at a random W0, by dimension",
                  caption, _png(fig))


# -- BN gradient descent ---------------------------------------------------------------------------

def descent_curves(claim_id: str, ev: dict[str, Any]) -> Figure:
    """Excess loss of BNGD (solid) and GD (dashed) against the step, one colour per learning rate."""
    c = ev["descent_curves"]
    floor, ceiling = 1e-16, 1e12
    fig, ax = _axes(6.4, 4.2)
    for i, unit in enumerate(c["lr_units"]):
        color = _COLORS[i % len(_COLORS)]
        for key, ls, who in (("bngd_excess", "-", "BNGD"), ("gd_excess", "--", "GD")):
            pts = [(s, v) for s, v in zip(c["steps"], c[key][i]) if v is not None and v <= ceiling]
            gone = len(pts) < len(c["steps"])
            ax.plot([s for s, _ in pts], [max(v, floor) for _, v in pts], ls=ls, color=color, lw=1.6,
                    label=f"{who}, lr = {unit:g} × 2/λmax" + (" (diverges)" if gone else ""))
            if gone and pts:
                ax.plot(*pts[-1], "^", color=color, ms=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(floor / 3, ceiling * 3)
    ax.set_xlabel("step")
    ax.set_ylabel("excess loss (float64; floored at 1e-16)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    caption = (f"One least-squares instance (d = {c['d']}, κ(H) = {ev.get('kappa', c.get('kappa', '?'))}): gradient "
               "descent diverges beyond the step-size limit 2/λmax (triangles: the last finite value), BN gradient "
               f"descent (a-rate {c['eps_a']:g}) converges at every learning rate.")
    return Figure(f"{claim_id}.descent.png", "BN gradient descent against gradient descent", caption, _png(fig))


#: (evidence keys that must be present, figure maker), tried on every claim record (twins excluded).
_EVIDENCE_FIGURES: tuple[tuple[tuple[str, ...], Callable[[str, dict], Figure]], ...] = (
    (("W_star", "u_star", "cases"), lemma45_geometry),
    (("failure_rate_random_w0",), lemma45_rates),
    (("descent_curves",), descent_curves),
)


def claim_figures(claim_id: str, records: list[dict[str, Any]]) -> tuple[list[Figure], list[str]]:
    """The figures the evidence of a claim's records supports, and a note for each that could not be drawn."""
    figures, notes = [], []
    for rec in records:
        for keys, make in _EVIDENCE_FIGURES:
            if all(k in rec["evidence"] for k in keys):
                try:
                    figures.append(make(claim_id, rec["evidence"]))
                except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as exc:
                    notes.append(f"{make.__name__.replace('_', ' ')} ({rec['level']}): the evidence is incomplete "
                                 f"({type(exc).__name__}: {exc})")
    return figures, notes


# -- curvature bench -------------------------------------------------------------------------------

def bench_solvers(bench: dict[str, Any]) -> Figure:
    """Largest relative error of the top eigenvalues against Hessian-vector products, per solver."""
    fig, ax = _axes(9.0, 4.4)
    runs = bench.get("top10_seeds", {}).get("runs", [])
    if runs:
        ax.plot([r["hvps"] for r in runs], [r["max_rel_err"] for r in runs], "o", ms=4, alpha=0.45,
                color=_COLORS[0], label=f"top-10 Lanczos (fp32), {len(runs)} start vectors")
    points = [("top10", "top-10 Lanczos (fp32)", "o"),
              ("top10_refined", "top-10 fp32 Lanczos + fp64 Rayleigh-Ritz", "s"),
              ("top10_fp64", "top-10 Lanczos (fp64)", "D"), ("top10_arpack", "top-10 ARPACK (fp32)", "v"),
              ("top1", "top-1 Lanczos (fp32)", "P"), ("power_baseline", "power iteration, top-1", "X")]
    for i, (key, label, marker) in enumerate(points):
        if key in bench:
            r = bench[key]
            ax.plot([r["hvps"] + r.get("certify_hvps", 0)], [r.get("max_rel_err", r.get("rel_err"))], marker,
                    ms=8, color=_COLORS[(i + 1) % len(_COLORS)], label=label)
    anchors = [(k, r) for k, r in sorted((bench.get("anchors") or {}).items())
               if isinstance(r, dict) and "hvps" in r and "max_rel_err" in r]
    for i, (key, r) in enumerate(anchors):
        ax.plot([r["hvps"]], [r["max_rel_err"]], "x+1234"[i % 6], ms=8, mew=1.6, color=f"{0.15 + 0.12 * (i % 5):.2f}",
                label=f"{key} (reference library)")
    floor = bench.get("fp32_operator_floor", {}).get("max_rel_dev")
    if floor:
        ax.axhline(floor, color="k", ls="--", lw=1, label=f"float32 floor {floor:.2g}")
    target = bench.get("targets", {}).get("top10_fp32", {})
    if target.get("threshold") and target.get("hvp_budget"):
        ax.plot([target["hvp_budget"]], [target["threshold"]], "k+", ms=14, mew=2,
                label=f"target: {target['threshold']:g} within {target['hvp_budget']} HVPs")
    ax.set_yscale("log")
    ax.set_xlabel("Hessian-vector products")
    ax.set_ylabel("largest relative error of the eigenvalues")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    p = bench.get("problem", {})
    caption = (f"{p.get('arch', '')}, {p.get('norm', '')}, {p.get('params', '?')} parameters: each point is one run "
               "against the exact float64 spectrum; no float32 solver can go below the float32 floor "
               "(the Rayleigh quotient of the float32 product at the exact eigenvectors).")
    title = "Eigensolvers: error against Hessian-vector products"
    return Figure("curvature.eigensolvers.png", title, caption, _png(fig))


def bench_trace(bench: dict[str, Any]) -> Figure:
    """Relative trace error against Hessian-vector products, with the 1 % band and the lower bound."""
    fig, ax = _axes(6.4, 4.2)
    for i, key in enumerate(("trace_seeds", "trace_to_1pct")):
        runs = bench.get(key, {}).get("runs", [])
        if runs:
            label = ("Hutchinson, 100-HVP budget" if key == "trace_seeds" else "Hutchinson until 2 stderr ≤ 1 %")
            ax.plot([r["hvps"] for r in runs], [100 * r["rel_err"] for r in runs], "o", ms=4, alpha=0.55,
                    color=_COLORS[i], label=f"{label}, {len(runs)} probe seeds")
    ax.axhspan(0, 1, color=_COLORS[2], alpha=0.12, label="target band: error ≤ 1 %")
    floor = bench.get("trace_floor", {})
    bound = sorted((v["hvps"], 100 * v["target_rel_stderr"]) for v in floor.get("hvps_for_rel_stderr", {}).values())
    if floor.get("best_rel_stderr") and floor.get("budget_hvps"):
        bound = sorted(bound + [(floor["budget_hvps"], 100 * floor["best_rel_stderr"])])
    if bound:
        ax.plot([b[0] for b in bound], [b[1] for b in bound], "k--", marker="s", ms=5,
                label="lower bound: best standard error of any exact-deflation estimator")
    ax.set_yscale("log")
    ax.set_xlabel("Hessian-vector products")
    ax.set_ylabel("relative error of the trace (%)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    exact = bench.get("exact", {}).get("trace")
    caption = (f"Exact trace {exact:.6g} (dense float64 Hessian). " if exact else "") + (
        "The trace is a difference of large positive and negative eigenvalue sums, so no estimator with "
        "exact deflation gets a smaller standard error at these budgets (dashed line).")
    return Figure("curvature.trace.png", "Trace: error against Hessian-vector products", caption, _png(fig))


def bench_figures(bench: dict[str, Any]) -> tuple[list[Figure], list[str]]:
    """The curvature figures a bench document supports, and notes on what it cannot show."""
    figures, notes = [], []
    for key, make in (("top10", bench_solvers), ("trace_seeds", bench_trace)):
        if key in bench:
            figures.append(make(bench))
        else:
            notes.append(f"the bench records no {key!r} results: {make.__doc__.splitlines()[0].lower()} is left out")
    notes.append("The bench records the exact top eigenvalues and the trace, not the whole spectrum, so the "
                 "Hessian spectral density (BN in train mode, in eval mode, and without normalization) is not "
                 "drawn here; it is drawn with the network claims about the Hessian when their scale-level plots "
                 "are in the ledger.")
    return figures, notes
