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

__all__ = ["profile_plot", "interval_plot", "rate_curve_plot", "save", "curves_with_intervals_plot", "ratio_by_layer_plot"]

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


# -- Santurkar et al. 2018, Figs. 2-4 (training-time experiments) ---------------------------------------

def _panels(n: int, width: float = 11.0, height: float = 3.9):
    """A figure with ``n`` side-by-side axes, styled as :func:`_figure`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "bnclaims", "font.size": 8})
    fig, axes = plt.subplots(1, n, figsize=(width, height), dpi=110)
    return fig, list(axes)


def _t_band(rows: Sequence[Sequence[float]], level: float = 0.95) -> tuple[list[float], list[float], list[float]]:
    """Mean and two-sided Student t interval over seeds (rows), per column."""
    from scipy import stats

    n = len(rows)
    mean = [sum(r[i] for r in rows) / n for i in range(len(rows[0]))]
    if n < 2:
        return mean, mean, mean
    q = float(stats.t.ppf(0.5 + level / 2, n - 1))
    half = [q * math.sqrt(sum((r[i] - mean[i]) ** 2 for r in rows) / (n - 1) / n) for i in range(len(mean))]
    return mean, [m - h for m, h in zip(mean, half)], [m + h for m, h in zip(mean, half)]


def noisy_bn_plot(data: dict[str, Any], path: Path) -> None:
    """Santurkar Fig. 2: accuracy curves of standard, BN and noisy BN; activation percentiles of one unit of
    the middle layer through training (first seed); drift per layer with 95 % t intervals over seeds."""
    fig, (ax1, ax2, ax3) = _panels(3)
    arms = list(data["arms"])
    for arm, color in zip(arms, _colors(len(arms))):
        rows = [rec[arm] for rec in data["per_seed"]]
        x = rows[0]["steps_recorded"]
        for key, style, label in (("train_acc_curve", "-", "train (minibatch)"), ("test_acc_curve", ":", "test")):
            for r in rows:
                ax1.plot(x, r[key], color=color, lw=0.5, alpha=0.3, ls=style)
            ax1.plot(x, _t_band([r[key] for r in rows])[0], color=color, lw=1.8, ls=style, label=f"{arm}: {label}")
        first = rows[0]
        levels = first["percentile_levels"]
        units = len(first["percentiles"][0]) // len(levels)
        for qi, q in enumerate(levels):
            ax2.plot(x, [p[qi * units] for p in first["percentiles"]], color=color, lw=1.2,
                     label=arm if qi == 0 else None, alpha=0.9)
        drifts = [r["drift_per_layer"] for r in rows]
        mean, lo, hi = _t_band(drifts)
        layers = list(range(1, len(mean) + 1))
        ax3.plot(layers, mean, "o-", color=color, label=arm)
        ax3.fill_between(layers, lo, hi, color=color, alpha=0.2)
    ax1.set(xlabel="step", ylabel="accuracy", title="accuracy (thin: seeds)")
    ax2.set(xlabel="step", ylabel="activation", title="15/50/85th percentiles, unit 1, middle layer, first seed")
    ax3.set(xlabel="hidden layer", ylabel="drift of the percentiles", yscale="log",
            title="drift per layer (95 % t interval over seeds)")
    for ax in (ax1, ax2, ax3):
        ax.legend(fontsize=6)
        ax.grid(alpha=0.3)
    save(fig, path, f"Santurkar et al. Fig. 2: standard, BN and noisy BN ({data['preset']} preset, "
                    f"{len(data['seeds'])} seeds; verdict {data['decision'].verdict.value})")


def ics_layers_plot(data: dict[str, Any], path: Path) -> None:
    """Santurkar Fig. 3: ICS per layer with and without BN, mean over probe steps per seed, then the mean
    and a 95 % t interval over seeds: relative ICS at matched update size, absolute ICS at the SGD step,
    and cos(G, G') in both readings."""
    fig, axes = _panels(3)
    arms = list(data["arms"])
    panels = (("matched_rel_ics", True, "||G-G'|| / ||G||, matched ||dW||/||W|| = 0.01"),
              ("natural_ics", True, "||G-G'||, SGD step (Definition 2.1)"),
              ("matched_cos", False, "cos(G, G'): matched (solid), SGD step (dotted)"))
    for ax, (key, log, title) in zip(axes, panels):
        for arm, color in zip(arms, _colors(len(arms))):
            rows = [rec[arm] for rec in data["per_seed"]]
            layers = rows[0]["layers"]
            keys = [(key, "-")] + ([("natural_cos", ":")] if key == "matched_cos" else [])
            for k, style in keys:
                per_seed = [[sum(p[i] for p in r[k]) / len(r[k]) for i in range(len(layers))] for r in rows]
                mean, lo, hi = _t_band(per_seed)
                ax.plot(layers, mean, "o", ls=style, color=color, label=f"{arm}" if style == "-" else None)
                ax.fill_between(layers, lo, hi, color=color, alpha=0.2)
        ax.set(xlabel="layer i (head last)", title=title)
        if log:
            ax.set_yscale("log")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    save(fig, path, f"Santurkar et al. Fig. 3: ICS per layer, BN against none ({data['preset']} preset, "
                    f"{len(data['seeds'])} seeds; verdict {data['decision'].verdict.value})")


def landscape_plot(data: dict[str, Any], path: Path) -> None:
    """Santurkar Fig. 4: against the step size eta, the loss change L(w - eta g) - L(w) and the gradient
    change ||grad L(w) - grad L(w - eta g)||, each probe step of each seed thin, the mean over them thick;
    and the effective beta per probe step (mean and 95 % t interval over seeds)."""
    fig, (ax1, ax2, ax3) = _panels(3)
    arms = list(data["arms"])
    for arm, color in zip(arms, _colors(len(arms))):
        rows = [rec[arm] for rec in data["per_seed"]]
        etas = rows[0]["etas"]
        curves_l = [[l - r["loss0"][p] for l in r["loss"][p]] for r in rows for p in range(len(r["probe_steps"]))]
        curves_g = [r["grad_change"][p] for r in rows for p in range(len(r["probe_steps"]))]
        for cl, cg in zip(curves_l, curves_g):
            ax1.plot(etas, cl, color=color, lw=0.5, alpha=0.3)
            ax2.plot(etas, cg, color=color, lw=0.5, alpha=0.3)
        ax1.plot(etas, _t_band(curves_l)[0], "o-", color=color, lw=1.8, label=arm)
        ax2.plot(etas, _t_band(curves_g)[0], "o-", color=color, lw=1.8, label=arm)
        steps = rows[0]["probe_steps"]
        mean, lo, hi = _t_band([r["beta_eff"] for r in rows])
        ax3.plot(steps, mean, "o-", color=color, label=arm)
        ax3.fill_between(steps, lo, hi, color=color, alpha=0.2)
    ax1.set(xlabel="step size eta", ylabel="L(w - eta g) - L(w)", title="loss along the gradient")
    ax2.set(xlabel="step size eta", ylabel="||grad L(w) - grad L(w - eta g)||", yscale="log",
            title="gradient change along the gradient")
    etas = data["per_seed"][0][arms[0]]["etas"]
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_xticks(etas, [f"{e:.3g}" for e in etas])
        ax.minorticks_off()
    ax3.set(xlabel="training step", ylabel="max_eta ||grad change|| / ||eta g||", yscale="log",
            title="effective beta-smoothness")
    for ax in (ax1, ax2, ax3):
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    save(fig, path, f"Santurkar et al. Fig. 4: smoothness along the gradient, BN against none ({data['preset']} "
                    f"preset, {len(data['seeds'])} seeds; verdict {data['decision'].verdict.value})")


# -- Hessian spectra (Rao & Sohl-Dickstein Fig. 6a; Ghorbani et al. 2019 densities) ------------------------

def ratio_through_training_plot(data: dict[str, Any], path: Path, *, mode: str, k_index: int, title: str) -> None:
    """lambda_1/lambda_K (``record["spectra"][mode][c]["log_ratio"][k_index]``) against the checkpoint step,
    per arm: the geometric mean over seeds with a two-sided 95 % t interval of the mean log-ratio."""
    from bnclaims.scale.verdict import t_interval

    fig, ax = _figure()
    names = list(data["arms"])
    n = len(names)
    for i, (name, color) in enumerate(zip(names, _colors(n))):
        rows = [rec[name] for rec in data["per_seed"]]
        steps = rows[0]["checkpoints"]
        logs = [[r["spectra"][mode][c]["log_ratio"][k_index] for r in rows] for c in range(len(steps))]
        ivs = [t_interval(v, 0.95) for v in logs]
        x = [s + (i - (n - 1) / 2) * 0.012 * max(steps) for s in steps]
        mean = [math.exp(iv.mean) for iv in ivs]
        ax.errorbar(x, mean, yerr=[[m - math.exp(iv.lo) for m, iv in zip(mean, ivs)],
                                   [math.exp(iv.hi) - m for m, iv in zip(mean, ivs)]],
                    color=color, lw=1.6, capsize=3, marker="o", ms=3, label=name)
    from matplotlib.ticker import ScalarFormatter

    ax.set_yscale("log")
    for axis in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
        axis(ScalarFormatter())
    ax.set_xlabel("training step")
    ax.set_ylabel(f"lambda_1 / lambda_K ({mode}-mode Hessian)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    ax.set_title(f"geometric mean over {len(data['per_seed'])} seeds, 95 % t intervals of the mean log-ratio; "
                 f"verdict {data['decision'].verdict.value}", fontsize=8)
    save(fig, path, title)


def slq_density_plot(data: dict[str, Any], path: Path, *, curves: Sequence[tuple[str, str]],
                     labels: dict[tuple[str, str], str], title: str, points: int = 600) -> None:
    """Spectral densities from stochastic Lanczos quadrature (``record["slq"][mode]``: nodes and weights per
    probe), pooled over probes and seeds, Gaussian-smoothed with width 1 % of the range of all nodes, on a
    log density axis (as Ghorbani et al. plot them)."""
    import numpy as np

    pooled = {}
    for arm, mode in curves:
        nodes = np.concatenate([np.asarray(rec[arm]["slq"][mode]["nodes"]).ravel() for rec in data["per_seed"]])
        weights = np.concatenate([np.asarray(rec[arm]["slq"][mode]["weights"]).ravel() for rec in data["per_seed"]])
        probes = sum(len(rec[arm]["slq"][mode]["nodes"]) for rec in data["per_seed"])
        pooled[arm, mode] = (nodes, weights / probes)
    lo = min(float(v[0].min()) for v in pooled.values())
    hi = max(float(v[0].max()) for v in pooled.values())
    width = 0.01 * (hi - lo)
    grid = np.linspace(lo - 5 * width, hi + 5 * width, points)
    fig, ax = _figure()
    for (key, (nodes, weights)), color in zip(pooled.items(), _colors(len(pooled))):
        d = grid[:, None] - nodes[None, :]
        dens = (np.exp(-0.5 * (d / width) ** 2) / (width * math.sqrt(2 * math.pi)) * weights[None, :]).sum(1)
        ax.plot(grid, np.maximum(dens, 1e-12), color=color, lw=1.4, label=labels.get(key, f"{key[0]} {key[1]}"))
        ax.axvline(float(nodes.max()), color=color, lw=0.7, ls=":")
    ax.set_yscale("log")
    ax.set_ylim(bottom=1e-6)
    ax.set_xlabel("eigenvalue (dotted: largest quadrature node)")
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    step = next(iter(data["per_seed"][0].values()))["checkpoints"][-1]
    ax.set_title(f"step {step}; pooled over {len(data['per_seed'])} seeds' probes; Gaussian width {width:.3g}; "
                 f"verdict {data['decision'].verdict.value}", fontsize=8)
    save(fig, path, title)


def curves_with_intervals_plot(data: dict[str, Any], path: Path, *, xs: Sequence[float],
                               curves: Sequence[tuple[str, Callable[[dict], Sequence[float]]]], title: str,
                               xlabel: str, ylabel: str, level: float = 0.95, xlog: bool = True,
                               hlines: Sequence[tuple[str, Callable[[dict], float]]] = ()) -> None:
    """Curves over ``xs`` (one value per x and seed from ``fn(records of one seed)``): seeds as dots, the
    mean with a two-sided t interval at ``level`` per x; ``hlines`` are per-seed scalars drawn as their mean
    (dashed) with the interval as a band."""
    from bnclaims.scale.verdict import t_interval

    fig, ax = _figure()
    colors = _colors(len(curves) + len(hlines))
    per_seed = data["per_seed"]
    for (label, fn), color in zip(curves, colors):
        rows = [list(fn(rec)) for rec in per_seed]
        for r in rows:
            ax.scatter(xs, r, s=6, color=color, alpha=0.35)
        ivs = [t_interval([r[i] for r in rows], level) for i in range(len(xs))]
        ax.errorbar(xs, [iv.mean for iv in ivs], yerr=[[iv.mean - iv.lo for iv in ivs], [iv.hi - iv.mean for iv in ivs]],
                    color=color, capsize=3, lw=1.6, label=label)
    for (label, fn), color in zip(hlines, colors[len(curves):]):
        iv = t_interval([fn(rec) for rec in per_seed], level)
        ax.axhline(iv.mean, color=color, ls="--", lw=1.2, label=label)
        ax.axhspan(iv.lo, iv.hi, color=color, alpha=0.15, lw=0)
    if xlog:
        ax.set_xscale("log", base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    ax.set_title(f"dots: seeds; bars: {level:.3g} t intervals over {len(per_seed)} seeds; "
                 f"verdict {data['decision'].verdict.value}", fontsize=8)
    save(fig, path, title)


def ratio_by_layer_plot(data: dict[str, Any], path: Path, *, entries: str, series: Sequence[tuple[str, str]],
                        title: str, ylabel: str) -> None:
    """Per-layer ratios (``record[entries]``: a list of dicts with ``step``, ``layer`` and the ``series`` keys)
    of every arm and seed on a log axis, against the line 1 (a residual at its rounding tolerance)."""
    fig, ax = _figure(8.0, 4.4)
    markers = "os^vD"
    colors = _colors(len(series))
    offset = 0
    ticks, labels = [], []
    for arm_i, arm in enumerate(data["arms"]):
        rows = [rec[arm][entries] for rec in data["per_seed"]]
        steps = sorted({e["step"] for e in rows[0]})
        n = len(rows[0])
        for (key, label), color in zip(series, colors):
            for r in rows:
                for i, e in enumerate(r):
                    ax.scatter(offset + i, max(e[key], 1e-6), s=9, color=color,
                               marker=markers[steps.index(e["step"]) % len(markers)], alpha=0.6,
                               label=f"{label}" if (arm_i == 0 and r is rows[0] and i == 0) else None)
        ticks += [offset + i for i in range(n)]
        labels += [f"{arm} L{e['layer']} t{e['step']}" for e in rows[0]]
        offset += n + 1
    ax.axhline(1.0, color="k", lw=1.0, ls="--", label="rounding tolerance")
    ax.set_yscale("log")
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, rotation=90, fontsize=5)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(f"every arm, seed, BN layer (L) and step (t); verdict {data['decision'].verdict.value}", fontsize=8)
    save(fig, path, title)
