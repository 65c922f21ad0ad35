"""Plots of the scale level (matplotlib, Agg backend): one PNG per claim, deterministic for given data.

Each function takes the data a scale check hands its experiment's plot (``arms``, ``seeds``,
``per_seed``: ``[{arm: record}, ...]``, ``decision``, ``criterion``, ``claim_id``, ``preset``) and a path.
Seeds are drawn as thin lines, their mean as a thick one; predictions as dashed black lines; intervals
as error bars against their bands.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Sequence

__all__ = ["profile_plot", "interval_plot", "rate_curve_plot", "save"]

PNG_METADATA = {"Software": None}  # no version string in the file: same data, same bytes


def _figure(width: float = 7.0, height: float = 4.2):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "bnclaims", "font.size": 9})
    fig, ax = plt.subplots(figsize=(width, height), dpi=110)
    return fig, ax


def save(fig, path: Path, title: str) -> None:
    """Write ``fig`` as PNG with a title line, creating the directory; close the figure."""
    import matplotlib.pyplot as plt

    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata=PNG_METADATA)
    plt.close(fig)


def _colors(n: int) -> list:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def profile_plot(data: dict[str, Any], path: Path, *, key: str, xs: Callable[[dict], Sequence[float]],
                 ylabel: str, xlabel: str, title: str, log: bool = False, exp_values: bool = False,
                 xlog: bool = False, arms: Sequence[str] | None = None, also: Sequence[tuple[str, str]] = (),
                 references: Sequence[tuple[str, Sequence[float], Sequence[float]]] = ()) -> None:
    """A per-layer profile (``record[key]`` against ``xs(record)``) for each arm: seeds thin, mean thick.

    ``exp_values`` plots ``exp(value)`` (for log-norms) on a log axis; ``also`` adds more record keys
    ``(key, label)`` per arm as dotted lines; ``references`` are dashed prediction lines ``(label, x, y)``.
    """
    fig, ax = _figure()
    names = list(arms or data["arms"])
    for name, color in zip(names, _colors(len(names))):
        rows = [rec[name] for rec in data["per_seed"]]
        x = list(xs(rows[0]))
        for k, label, style in [(key, name, "-")] + [(k, f"{name}: {lab}", ":") for k, lab in also]:
            for r in rows:
                y = [math.exp(v) for v in r[k]] if exp_values else r[k]
                ax.plot(x, y, color=color, lw=0.6, alpha=0.35, ls=style)
            mean = [sum(r[k][i] for r in rows) / len(rows) for i in range(len(x))]
            ax.plot(x, [math.exp(v) for v in mean] if exp_values else mean, color=color, lw=2.0, ls=style,
                    label=label)
    for label, rx, ry in references:
        ax.plot(rx, ry, "k--", lw=1.0, label=label)
    if log or exp_values:
        ax.set_yscale("log")
    if xlog:
        ax.set_xscale("log", base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    save(fig, path, title)


def interval_plot(data: dict[str, Any], path: Path, *, title: str, ylabel: str = "value") -> None:
    """Every deciding test's per-seed values and interval against its band (green), then the quantities
    reported beside the verdict (grey, no band), separated by a vertical line."""
    from matplotlib.patches import Rectangle

    decision = data["decision"]
    results = list(decision.tests) + list(decision.reported)
    fig, ax = _figure(max(5.0, 1.1 * len(results) + 2), 4.4)
    for i, r in enumerate(results):
        iv, deciding = r.interval, i < len(decision.tests)
        color = "tab:blue" if deciding else "tab:gray"
        ax.scatter([i + 0.15] * len(r.values), r.values, s=8, color=color, alpha=0.6)
        ax.errorbar([i], [iv.mean], yerr=[[iv.mean - iv.lo], [iv.hi - iv.mean]], fmt="o", color=color, capsize=4)
    lo_view, hi_view = ax.get_ylim()
    pad = 0.15 * (hi_view - lo_view)
    for i, r in enumerate(decision.tests):
        band = r.test.band
        lo = max(band.lo, lo_view - pad)
        hi = min(band.hi, hi_view + pad)
        if hi > lo:
            ax.add_patch(Rectangle((i - 0.4, lo), 0.8, hi - lo, color="tab:green", alpha=0.18, lw=0))
        for edge in (band.lo, band.hi):
            if math.isfinite(edge):
                ax.plot([i - 0.4, i + 0.4], [edge, edge], color="tab:green", lw=1.2)
    ax.set_ylim(lo_view - pad, hi_view + pad)
    if decision.reported:
        ax.axvline(len(decision.tests) - 0.5, color="k", lw=0.8, ls=":")
    ax.set_xticks(range(len(results)))
    ax.set_xticklabels([r.test.name for r in results], rotation=25, ha="right", fontsize=7)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, axis="y")
    level = decision.tests[0].interval.level
    ax.set_title(f"blue: tests with their acceptance bands (green); grey: reported beside; bars: {level:.4g} t "
                 f"intervals over {len(data['seeds'])} seeds; verdict {decision.verdict.value}", fontsize=8)
    save(fig, path, title)


def rate_curve_plot(data: dict[str, Any], path: Path, *, batch_of: Callable[[str], int],
                    curve: Callable[[float], float], limit: float, title: str, curve_label: str,
                    limit_label: str) -> None:
    """Measured rates with intervals against batch size B, with a predicted curve and its limit."""
    decision = data["decision"]
    fig, ax = _figure()
    arms = list(data["arms"])
    bs = [batch_of(a) for a in arms]
    for a, b in zip(arms, bs):
        vals = [rec[a]["rate"] for rec in data["per_seed"]]
        ax.scatter([b] * len(vals), vals, s=10, color="tab:blue", alpha=0.5)
    for r in decision.tests:
        if r.test.name.startswith("rate(B="):
            b = int(r.test.name[len("rate(B="):-1])
            iv = r.interval
            ax.errorbar([b], [iv.mean], yerr=[[iv.mean - iv.lo], [iv.hi - iv.mean]], fmt="o", color="tab:red",
                        capsize=4, label=None if b != bs[0] else f"measured, {iv.level:.4g} t interval")
    grid = [min(bs) * (max(bs) * 8 / min(bs)) ** (i / 200) for i in range(201)]
    ax.plot(grid, [curve(b) for b in grid], "k--", lw=1.0, label=curve_label)
    ax.axhline(limit, color="gray", lw=1.0, ls=":", label=limit_label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size B")
    ax.set_ylabel("per-layer growth of the squared gradient norm")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save(fig, path, title)
