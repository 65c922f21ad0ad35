"""``bnclaims bench curvature``: the curvature engine on the reference problem against a dense exact Hessian.

Problem: scikit-learn digits, MLP 64-w-w-10 with BN after each hidden linear layer, ReLU, brief seeded SGD
training, cross-entropy on a fixed batch of 512, BN in train mode (batch statistics differentiated),
float32 HVPs. The exact spectrum is the float64 dense Hessian (column blocks, double backward, LAPACK).

Presets (dense build measured on 2 loaded CPU cores: w=32 about 2.5 min, w=64 about 6.5 min):
quick (w=12, batch 128, for tests), default (w=32, 3,594 parameters), reference (w=64, the issue's 9,226
parameters), gpu (w=256, depth 4, batch 2048 on --device; no dense Hessian: the reference is float64
Lanczos to 1e-12).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import time
from typing import Any

import numpy as np
import torch

from gpu_checks.arpack import arpack_eigsh
from gpu_checks.data import fixed_batch, load_digits_tensors
from gpu_checks.dense_hessian import dense_hessian, exact_spectrum
from gpu_checks.functional_loss import FunctionalLoss, buffer_snapshot, buffers_identical
from gpu_checks.ghorbani2019_slq import slq, w1_to_spectrum
from gpu_checks.hvp import HessianOperator, symmetry_check
from gpu_checks.lanczos import lanczos_eigsh
from gpu_checks.models import build_model, count_parameters
from gpu_checks.power import power_iteration
from gpu_checks.trace.hutchinson import hutchinson

__all__ = ["PRESETS", "TRACE_FLOOR_KS", "make_problem", "trace_floor", "environment", "run_bench", "main"]

TRACE_FLOOR_KS = (10, 20, 40, 60, 80)

PRESETS: dict[str, dict[str, Any]] = {
    "quick": {"width": 12, "depth": 2, "batch": 128, "train_steps": 30, "dense": True, "slq_probes": 4,
              "slq_steps": 30, "device": "cpu", "cost_reps": 5},
    "default": {"width": 32, "depth": 2, "batch": 512, "train_steps": 100, "dense": True, "slq_probes": 10,
                "slq_steps": 80, "device": "cpu"},
    "reference": {"width": 64, "depth": 2, "batch": 512, "train_steps": 100, "dense": True, "slq_probes": 10,
                  "slq_steps": 80, "device": "cpu"},
    "gpu": {"width": 256, "depth": 4, "batch": 2048, "train_steps": 200, "dense": False, "slq_probes": 20,
            "slq_steps": 100, "device": "cuda"},
}


def make_problem(width: int, depth: int, batch: int, train_steps: int, seed: int, device: str = "cpu"):
    """Train the BN MLP briefly with seeded SGD and return (model, x, y) (model in train mode)."""
    x_all, y_all = load_digits_tensors(device=device)
    model = build_model("mlp", norm="batch", depth=depth, width=width, seed=seed).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(train_steps):
        idx = torch.randint(0, x_all.shape[0], (128,), generator=g).to(device)
        loss = torch.nn.functional.cross_entropy(model(x_all[idx]), y_all[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, y = fixed_batch(x_all, y_all, min(batch, x_all.shape[0]), seed + 1)
    return model, x, y


def trace_floor(ev: np.ndarray, budget: int = 100, ks: tuple[int, ...] = TRACE_FLOOR_KS) -> dict[str, Any]:
    """Best relative standard error of "deflate the top k, Hutchinson on the rest" with ``budget`` HVPs.

    With the top-k eigenvectors removed EXACTLY (k HVPs) and budget - k Gaussian probes on the remainder
    R = sum_{i>k} lambda_i u_i u_i', the estimator's variance per probe is 2 ||R||_F^2 = 2 sum_{i>k} lambda_i^2
    (Hutchinson 1990; Avron & Toledo 2011), so its standard error relative to the trace is
    sqrt(2 sum_{i>k} lambda_i^2 / (budget - k)) / |trace|. ``ev``: the full spectrum (any order); top-k by
    algebraic value, as Lanczos "LA" deflation. (Rademacher probes have variance 2 sum_{i != j} R_ij^2 in the
    parameter basis, at most the Gaussian figure; the Gaussian one is basis-free.)
    """
    lam = np.sort(np.asarray(ev, dtype=np.float64))[::-1]
    tr = float(lam.sum())
    tail = np.cumsum((lam ** 2)[::-1])[::-1]  # tail[k] = sum_{i>=k} lambda_i^2 (0-based: beyond the top k)
    rows = {}
    for k in ks:
        if k >= budget or k >= lam.size:
            continue
        rows[str(k)] = {"deflated": k, "probes": budget - k, "tail_frobenius2": float(tail[k]),
                        "rel_stderr": float(np.sqrt(2.0 * tail[k] / (budget - k)) / abs(tr))}
    best = min(rows.values(), key=lambda r: r["rel_stderr"]) if rows else None
    return {"budget_hvps": budget, "trace": tr, "by_k": rows,
            "best_k": best["deflated"] if best else None, "best_rel_stderr": best["rel_stderr"] if best else None,
            "probe": "Gaussian", "deflation": "exact top-k eigenvectors (algebraic)"}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device: str) -> dict[str, Any]:
    """Versions, hardware and date of the run (recorded in every benchmark JSON)."""
    import scipy

    env: dict[str, Any] = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
        "scipy": scipy.__version__, "platform": platform.platform(), "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(), "device": str(device),
        "cuda_available": torch.cuda.is_available(),
    }
    if str(device).startswith("cuda") and torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(torch.device(device))
        env["cuda"] = torch.version.cuda
    return env


def _rel(vals: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(vals - ref[: len(vals)]) / np.abs(ref[: len(vals)])))


def _median_time(fn, reps: int) -> float:
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    fn()
    ts = []
    for _ in range(reps):
        sync()
        t = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def hvp_costs(loss32: FunctionalLoss, reps: int = 15, batch: int = 32) -> dict[str, float]:
    """Single-thread timings: gradient, HVP from scratch and on a cached gradient graph, batched HVP."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        th = loss32.theta0()
        v = torch.randn(loss32.n, dtype=loss32.dtype, device=loss32.device)
        vs = torch.randn(batch, loss32.n, dtype=loss32.dtype, device=loss32.device)
        t_grad = _median_time(lambda: loss32.gradient(th), reps)
        out: dict[str, float] = {"gradient_s": t_grad}
        for meth in ("double_backward", "jvp_grad"):
            def fresh(meth: str = meth) -> None:
                HessianOperator(loss32, th, meth).matvec(v)

            op = HessianOperator(loss32, th, meth)
            out[f"{meth}_fresh_ratio"] = _median_time(fresh, reps) / t_grad
            out[f"{meth}_cached_ratio"] = _median_time(lambda: op.matvec(v), reps) / t_grad
            out[f"{meth}_batched_ratio"] = _median_time(lambda: op.matmat(vs), max(reps // 3, 3)) / batch / t_grad
        return out
    finally:
        torch.set_num_threads(threads)


def run_bench(preset: str = "default", *, device: str | None = None, seed: int = 0, anchors: bool = False,
              progress: bool = True, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the benchmark and return the JSON-serializable result (``overrides`` patch the preset)."""
    cfg = dict(PRESETS[preset])
    cfg.update(overrides or {})
    dev = device or cfg["device"]
    model, x, y = make_problem(cfg["width"], cfg["depth"], cfg["batch"], cfg["train_steps"], seed, dev)
    snap = buffer_snapshot(model)
    unchanged: list[bool] = []
    loss64 = FunctionalLoss(model, x, y, bn_mode="train", dtype=torch.float64)
    loss32 = FunctionalLoss(model, x, y, bn_mode="train", dtype=torch.float32)
    n = loss64.n
    res: dict[str, Any] = {"problem": {"preset": preset, "overrides": overrides or {}, "dataset": "sklearn digits", "arch": f"mlp 64-{cfg['width']}x{cfg['depth']}-10",
                                       "norm": "batch (train mode)", "params": count_parameters(model),
                                       "batch": int(x.shape[0]), "train_steps": cfg["train_steps"], "seed": seed,
                                       "device": str(dev), "hvp_dtype": "float32", "hvp_method": "double_backward",
                                       "torch": torch.__version__},
                          "environment": environment(str(dev))}
    t = time.perf_counter()
    if cfg["dense"]:
        h = dense_hessian(loss64, loss64.theta0(), progress=progress)
        ev = exact_spectrum(h).cpu().numpy()
        trace = float(torch.trace(h))
        res["trace_floor"] = trace_floor(ev)
        res["exact"] = {"lambda": ev[:10].tolist(), "trace": trace, "lambda_min": float(ev[-1]),
                        "method": "dense float64 Hessian (double backward, column blocks) + eigvalsh",
                        "seconds": time.perf_counter() - t}
        del h
    else:
        op_ref = HessianOperator(loss64, None, "double_backward")
        # Another start vector than the estimators under test (which use ``seed``), so the
        # float64 comparison below is not a run compared with itself; residual bounds certify it.
        r = lanczos_eigsh(op_ref, 10, tol=1e-13, max_hvps=400, seed=seed + 7919)
        ev = r.eigenvalues
        trace = float("nan")
        res["trace_floor"] = {"unavailable": "no dense spectrum on this preset"}
        res["exact"] = {"lambda": ev.tolist(), "trace": trace, "method": "float64 Lanczos to 1e-13 (no dense), "
                        "independent start vector", "residual_bounds": r.residuals.tolist(),
                        "seconds": time.perf_counter() - t}
    unchanged.append(buffers_identical(model, snap))
    exact_top = np.asarray(res["exact"]["lambda"])

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        unchanged.append(buffers_identical(model, snap))
        return out, time.perf_counter() - t0

    op = HessianOperator(loss32, None, "double_backward")
    res["symmetry_fp32"] = symmetry_check(op, 3, seed)
    r1, s1 = timed(lambda: lanczos_eigsh(HessianOperator(loss32, None), 1, tol=1e-7, max_hvps=100, seed=seed))
    res["top1"] = {"hvps": r1.hvps, "max_rel_err": _rel(r1.eigenvalues, exact_top), "seconds": s1,
                   "bound_rel": float(r1.error_estimates[0] / abs(r1.eigenvalues[0]))}
    op10 = HessianOperator(loss32, None)
    r10, s10 = timed(lambda: lanczos_eigsh(op10, 10, tol=1e-6, max_hvps=200, seed=seed, return_vectors=True))
    ratio = r10.ratio_interval(10)
    res["top10"] = {"hvps": r10.hvps, "max_rel_err": _rel(r10.eigenvalues, exact_top), "seconds": s10,
                    "lambda": r10.eigenvalues.tolist(), "residual_bounds": r10.residuals.tolist(),
                    "gap_bounds": r10.gap_bounds.tolist(), "converged": r10.converged,
                    "lambda1_over_lambda10": {"value": ratio[0], "interval": [ratio[1], ratio[2]],
                                              "exact": float(exact_top[0] / exact_top[9])}}
    r64, s64 = timed(lambda: lanczos_eigsh(HessianOperator(loss64, None), 10, tol=1e-13, max_hvps=200, seed=seed))
    res["top10_fp64"] = {"hvps": r64.hvps, "max_rel_err": _rel(r64.eigenvalues, exact_top), "seconds": s64}
    (ra, cert), sa = timed(lambda: arpack_eigsh(HessianOperator(loss32, None), 10, tol=1e-6, seed=seed))
    res["top10_arpack"] = {"hvps": ra.hvps, "certify_hvps": cert, "max_rel_err": _rel(ra.eigenvalues, exact_top),
                           "seconds": sa}
    rp, sp = timed(lambda: power_iteration(HessianOperator(loss32, None), tol=1e-6, seed=seed))
    res["power_baseline"] = {"hvps": rp.hvps, "rel_err": float(abs(rp.eigenvalues[0] - exact_top[0]) / exact_top[0]),
                             "seconds": sp}
    # trace: deflate the whole Lanczos Krylov basis of the top-10 run (its HVPs are counted)
    budget = 100 - r10.hvps
    tr, st = timed(lambda: hutchinson(op10, rtol=5e-3, max_hvps=max(budget, 10), batch=5, seed=seed,
                                      deflate=(r10.basis, r10.projected)))
    res["trace"] = {"hvps": tr.hvps + r10.hvps, "estimate": tr.estimate, "stderr": tr.stderr,
                    "rel_err": abs(tr.estimate - trace) / abs(trace) if cfg["dense"] else None,
                    "err_over_stderr": abs(tr.estimate - trace) / tr.stderr if cfg["dense"] else None,
                    "seconds": st + s10, "method": "Hutchinson (Rademacher) deflated by the top-10 Lanczos basis"}
    sq, ss = timed(lambda: slq(HessianOperator(loss32, None), probes=cfg["slq_probes"], steps=cfg["slq_steps"],
                               seed=seed))
    res["density"] = {"hvps": sq.hvps, "width": sq.width, "seconds": ss, "probes": cfg["slq_probes"],
                      "steps": cfg["slq_steps"], "trace_estimate": sq.trace(n)}
    if cfg["dense"]:
        res["density"]["w1_over_width"] = w1_to_spectrum(sq, ev) / sq.width
    costs = hvp_costs(loss32, reps=cfg.get("cost_reps", 15))
    res["hvp_costs"] = costs
    res["hvp_cost_ratio"] = costs["double_backward_fresh_ratio"]
    res["hvp_cost_ratio_cached"] = costs["double_backward_cached_ratio"]
    res["hvp_cost_ratio_batched"] = min(costs["double_backward_batched_ratio"], costs["jvp_grad_batched_ratio"])
    unchanged.append(buffers_identical(model, snap))
    res["buffers_unchanged"] = all(unchanged)
    if anchors:
        from gpu_checks.anchors import run_anchors

        res["anchors"] = run_anchors(model, x, y, exact_top, seed=seed)
        unchanged.append(buffers_identical(model, snap))
        res["buffers_unchanged_after_anchors"] = buffers_identical(model, snap)
    else:
        res["anchors"] = {}
    return res


def _summary(res: dict[str, Any]) -> str:
    p = res["problem"]
    lines = [f"curvature benchmark: {p['arch']} on {p['dataset']}, {p['params']} parameters, batch {p['batch']}, "
             f"{p['norm']}, {p['hvp_dtype']} HVPs, device {p['device']}",
             f"exact: lambda1={res['exact']['lambda'][0]:.6g} trace={res['exact']['trace']:.6g} "
             f"({res['exact']['seconds']:.1f} s)",
             f"{'estimator':<16}{'HVPs':>6}{'rel err':>12}{'seconds':>9}"]
    for key, err in (("top1", "max_rel_err"), ("top10", "max_rel_err"), ("top10_fp64", "max_rel_err"),
                     ("top10_arpack", "max_rel_err"), ("power_baseline", "rel_err"), ("trace", "rel_err")):
        e = res[key].get(err)
        lines.append(f"{key:<16}{res[key]['hvps']:>6}{(e if e is not None else float('nan')):>12.3g}"
                     f"{res[key]['seconds']:>9.2f}")
    d = res["density"]
    lines.append(f"{'density (SLQ)':<16}{d['hvps']:>6}{d.get('w1_over_width', float('nan')):>12.3g}{d['seconds']:>9.2f}"
                 "  (W1 / smoothing width)")
    lines.append(f"trace stderr {res['trace']['stderr']:.3g}; HVP/gradient: fresh {res['hvp_cost_ratio']:.2f}, "
                 f"cached graph {res['hvp_cost_ratio_cached']:.2f}, batched {res['hvp_cost_ratio_batched']:.2f}; "
                 f"buffers unchanged: {res['buffers_unchanged']}")
    tf = res.get("trace_floor", {})
    if "by_k" in tf:
        lines.append("trace floor (exact top-k deflation + Gaussian Hutchinson, 100 HVPs): " + ", ".join(
            f"k={r['deflated']}: {100 * r['rel_stderr']:.2f} %" for r in tf["by_k"].values()))
    for name, a in res.get("anchors", {}).items():
        if name in ("versions", "clone_check"):
            lines.append(f"anchors {name}: {a}")
        elif "error" in a:
            lines.append(f"anchor {name}: ERROR {a['error']}")
        else:
            lines.append(f"anchor {name:<22} max rel err {a['max_rel_err']:.3g}, {a['hvps']} HVPs, "
                         f"{a['seconds']:.2f} s" + (f", asymmetry {a['asymmetry']:.2g}" if "asymmetry" in a else "")
                         + f" -- {a['computes']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``bnclaims bench curvature``."""
    ap = argparse.ArgumentParser(prog="bnclaims bench curvature", description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="PATH", help="write the result JSON here")
    ap.add_argument("--anchors", action="store_true", help="also run PyHessian, hessian-eigenthings, curvlinops")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="default",
                    help="quick: width 12 (tests, seconds); default: width 32, 3,594 parameters (about a "
                         "minute on 2 cores); reference: width 64, the 9,226-parameter problem of issue 3 "
                         "(about 5 minutes: dense float64 Hessian); gpu: width 256, depth 4, batch 2048 on "
                         "CUDA, float64 Lanczos as the reference")
    ap.add_argument("--device", default=None, help="torch device (default: the preset's; 'cpu' always works)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the training run, batch and probes")
    args = ap.parse_args(argv)
    dev = args.device or PRESETS[args.preset]["device"]
    if dev.startswith("cuda") and not torch.cuda.is_available():
        print(f"error: device {dev!r} requested but CUDA is not available; use --device cpu")
        return 2
    if args.anchors:
        from gpu_checks.anchors import AnchorsMissing, check_anchors

        try:
            check_anchors()
        except AnchorsMissing as e:
            print(f"error: {e}")
            return 2
    res = run_bench(args.preset, device=dev, seed=args.seed, anchors=args.anchors)
    print(_summary(res))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2, default=float)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
