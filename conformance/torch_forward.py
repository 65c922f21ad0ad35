"""The forward check: an implementation's train- and eval-mode output against the exact reference.

Ioffe & Szegedy 2015 (``ioffe2015batch``) Alg. 1 (train) and Alg. 2 (inference), in torch's
conventions (``pytorch_batchnorm_docs``: biased variance to normalize, eps inside the root).
The error allowed is scaled by the problem's conditioning, not counted in ULPs:
``|z - z_ref| <= c * kappa * u * (|gamma| max(1, max|yhat|) + |beta|)`` per channel, with
``kappa = 1 + max|x| / sqrt(var + eps)`` (eval: ``max(|x|, |running_mean|)`` and the running
variance), ``u`` the dtype's unit roundoff and ``c = tol("conformance.c")``. Inputs are drawn
by hypothesis (large means, near-constant channels, 2-D and 4-D inputs) as small integers on
a grid, so a failing case shrinks to something readable; the reference sees the exact values
the implementation sees (after rounding to the dtype).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import mpmath
import torch
from hypothesis import strategies as st

from bnclaims import Context, Outcome, Verdict
from bnclaims.tolerances import tol
from bnclaims.conformance.planted import Implementation
from bnclaims.conformance.reference import TORCH, ref_forward_eval, ref_forward_train
from bnclaims.conformance.threads import single_threaded
from bnclaims.numerics.intervals import certify_positive
from bnclaims.numerics.search import run_property, shrink

__all__ = ["DTYPES", "ForwardCase", "forward_cases", "evaluate_forward", "check_forward",
           "unit_roundoff", "one_pass_demo"]

#: CPU dtypes torch 2.x supports for BatchNorm forward and backward (probed: all four work).
DTYPES = ("float64", "float32", "bfloat16", "float16")
OFFSETS = (0.0, 3.0, 100.0, 1e4)
SCALES = (1.0, 1e-3, 1e-6)
EPS = (1e-5, 1e-3, 0.1)


def unit_roundoff(dtype: str) -> float:
    """u = 2**-p for a p-bit significand (float64 2^-53, float32 2^-24, bf16 2^-8, fp16 2^-11)."""
    return {"float64": 2.0 ** -53, "float32": 2.0 ** -24, "bfloat16": 2.0 ** -8, "float16": 2.0 ** -11}[dtype]


@dataclass(frozen=True)
class ForwardCase:
    """One input: ``channels[c]`` is (offset, scale, integer grid values) and the BN parameters."""

    dtype: str
    path: str
    training: bool
    spatial: int
    m: int
    channels: tuple[tuple[float, float, tuple[int, ...]], ...]
    gamma: tuple[float, ...]
    beta: tuple[float, ...]
    eps: float
    running: tuple[tuple[int, float], ...]

    def describe(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "path": self.path, "training": self.training,
                "shape": list(self.shape), "eps": self.eps, "gamma": list(self.gamma),
                "beta": list(self.beta),
                "channels": [{"offset": o, "scale": s, "grid": list(k)} for o, s, k in self.channels],
                "running": [list(r) for r in self.running]}

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.m, len(self.channels)) + ((2, 2) if self.spatial == 2 else ())


@st.composite
def forward_cases(draw, dtypes: Sequence[str] = DTYPES, min_m: int = 2, max_m: int = 10,
                  offsets: Sequence[float] = OFFSETS) -> ForwardCase:
    """Batches for the forward check: generic, large-mean and near-constant channels."""
    dtype = draw(st.sampled_from(list(dtypes)))
    path = draw(st.sampled_from(["functional", "module"]))
    training = draw(st.booleans().map(lambda b: not b))
    spatial = draw(st.sampled_from([0, 2]))
    m = draw(st.integers(min_m, max_m))
    n_ch = draw(st.integers(1, 3))
    per = m * (4 if spatial == 2 else 1)
    channels = []
    for _ in range(n_ch):
        off = draw(st.sampled_from(list(offsets)))
        sc = draw(st.sampled_from(SCALES))
        grid = draw(st.lists(st.integers(-8, 8), min_size=per, max_size=per))
        channels.append((off, sc, tuple(grid)))
    gamma = tuple(draw(st.sampled_from([1.0, -1.0, 2.0, 0.5, 3.0])) for _ in range(n_ch))
    beta = tuple(draw(st.sampled_from([0.0, 1.0, -2.5])) for _ in range(n_ch))
    eps = draw(st.sampled_from(EPS))
    running = tuple((draw(st.integers(-4, 4)), draw(st.sampled_from([1.0, 0.25, 4.0]))) for _ in range(n_ch))
    return ForwardCase(dtype, path, training, spatial, m, tuple(channels), gamma, beta, eps, running)


def _tensor(case: ForwardCase) -> torch.Tensor:
    dt = getattr(torch, case.dtype)
    cols = [torch.tensor([o + s * k for k in grid], dtype=torch.float64) for o, s, grid in case.channels]
    n_ch = len(case.channels)
    if case.spatial == 2:
        x = torch.stack([c.reshape(case.m, 2, 2) for c in cols], dim=1)
    else:
        x = torch.stack(cols, dim=1)
    assert x.shape[1] == n_ch
    return x.to(dt)


def _running(case: ForwardCase, dt: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    rm = [o + s * k for (o, s, _), (k, _) in zip(case.channels, case.running)]
    rv = [max(s * s, 1e-8) * r for (_, s, _), (_, r) in zip(case.channels, case.running)]
    return torch.tensor(rm, dtype=torch.float64).to(dt), torch.tensor(rv, dtype=torch.float64).to(dt)


def run_impl(impl: Implementation, case: ForwardCase) -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """Run the implementation on the case; returns the input, the output and the running stats used."""
    dt = getattr(torch, case.dtype)
    x = _tensor(case)
    n_ch = len(case.channels)
    w = torch.tensor(case.gamma, dtype=dt)
    b = torch.tensor(case.beta, dtype=dt)
    rm, rv = _running(case, dt)
    with torch.no_grad():
        if case.path == "functional":
            out = impl.functional(x, rm.clone(), rv.clone(), w, b, case.training, 0.1, case.eps)
        else:
            mod = impl.module(n_ch, case.spatial, 0.1, case.eps, dt)
            mod.weight.copy_(w)
            mod.bias.copy_(b)
            mod.running_mean.copy_(rm)
            mod.running_var.copy_(rv)
            mod.train(case.training)
            out = mod(x)
    return x, out, (rm, rv)


def _channel(t: torch.Tensor, c: int) -> list[float]:
    return [float(v) for v in t.select(1, c).reshape(-1).to(torch.float64).tolist()]


def evaluate_forward(impl: Implementation, case: ForwardCase, dps: int = 60) -> dict[str, Any]:
    """Largest ``error / bound`` over channels, with the worst channel's numbers."""
    x, out, (rm, rv) = run_impl(impl, case)
    u, c_tol = unit_roundoff(case.dtype), tol("conformance.c")
    worst: dict[str, Any] = {"ratio": 0.0}
    with mpmath.workdps(dps):
        for c in range(x.shape[1]):
            xs, zs = _channel(x, c), _channel(out, c)
            g, bt = float(case.gamma[c]), float(case.beta[c])
            g, bt = float(torch.tensor(g, dtype=x.dtype)), float(torch.tensor(bt, dtype=x.dtype))
            if case.training:
                ref = ref_forward_train(xs, g, bt, case.eps, TORCH, dps)
                mu = mpmath.fsum([mpmath.mpf(v) for v in xs]) / len(xs)
                var = mpmath.fsum([(mpmath.mpf(v) - mu) ** 2 for v in xs]) / len(xs)
                big = max(abs(v) for v in xs)
            else:
                rmc, rvc = float(rm[c]), float(rv[c])
                ref = ref_forward_eval(xs, rmc, rvc, g, bt, case.eps, TORCH, dps)
                var, big = mpmath.mpf(rvc), max([abs(v) for v in xs] + [abs(rmc)])
            s = mpmath.sqrt(var + mpmath.mpf(case.eps))
            kappa = 1 + big / s
            yh = max([abs((r - bt) / g) for r in ref] + [mpmath.mpf(1)])
            scale = abs(g) * yh + abs(bt)
            bound = c_tol * kappa * u * scale
            if any(not math.isfinite(z) for z in zs):
                err, ratio, i = math.inf, math.inf, next(i for i, z in enumerate(zs) if not math.isfinite(z))
            else:
                diffs = [abs(mpmath.mpf(z) - r) for z, r in zip(zs, ref)]
                i = max(range(len(diffs)), key=lambda j: diffs[j])
                err, ratio = float(diffs[i] / scale), float(diffs[i] / bound)
            if ratio > worst["ratio"] or "channel" not in worst:
                worst = {"ratio": ratio, "rel_error": err, "bound": float(bound / scale),
                         "kappa": float(kappa), "channel": c, "index": i, "value": zs[i],
                         "reference": mpmath.nstr(ref[i], 20), "x": xs, "gamma": g, "beta": bt,
                         "running": [float(rm[c]), float(rv[c])]}
    return worst


def certify_forward_violation(case: ForwardCase, worst: dict[str, Any], dps: int = 60) -> dict[str, Any]:
    """Re-verify a violation in interval arithmetic (``bnclaims.numerics.intervals``) at the exact inputs.

    A non-finite output is a violation once the reference denominator is certified positive;
    otherwise ``|z_i - z_ref_i| - bound > 0`` is certified with the reference enclosed.
    """
    xs = [Fraction(v) for v in worst["x"]]
    g, bt, eps = Fraction(worst["gamma"]), Fraction(worst["beta"]), Fraction(case.eps)
    i, u, c_tol = worst["index"], Fraction(unit_roundoff(case.dtype)), Fraction(tol("conformance.c"))
    rm, rv = (Fraction(v) for v in worst["running"])

    def stats(M, y):
        if case.training:
            mu = sum(y, M.mpf(0)) / len(y)
            return mu, sum([(v - mu) ** 2 for v in y], M.mpf(0)) / len(y)
        return rm_iv(M), rv_iv(M)

    def rm_iv(M):
        return M.mpf(rm.numerator) / rm.denominator

    def rv_iv(M):
        return M.mpf(rv.numerator) / rv.denominator

    if not math.isfinite(worst["value"]):
        def denom(M, y, e):
            return M.sqrt(stats(M, y)[1] + e)
        cert = certify_positive(denom, [xs, eps], dps=dps)
        return {"kind": "non-finite output, reference denominator sqrt(var+eps) > 0", **cert.as_dict()}
    z = Fraction(worst["value"])

    def gap(M, y, e, gm, bb, zi, uu, cc):
        mu, var = stats(M, y)
        s = M.sqrt(var + e)
        ref = [gm * (v - mu) / s + bb for v in y]
        yh = [abs((v - mu) / s) for v in y]
        big = max([abs(v) for v in y] + ([] if case.training else [abs(rm_iv(M))]))
        ymax = max(yh + [M.mpf(1)])
        bound = cc * (1 + big / s) * uu * (abs(gm) * ymax + abs(bb))
        return abs(zi - ref[i]) - bound

    cert = certify_positive(gap, [xs, eps, g, bt, z, u, c_tol], dps=dps)
    return {"kind": "|z - z_ref| - c*kappa*u*scale > 0", **cert.as_dict()}


def one_pass_demo() -> dict[str, Any]:
    """The catastrophic cancellation in numbers: one-pass vs two-pass variance, mean/std 100 and 1e4."""
    gen = torch.Generator().manual_seed(0)
    base = torch.randn(256, generator=gen, dtype=torch.float64)
    out = {}
    for name, dt, ratio in (("bfloat16", torch.bfloat16, 100.0), ("float32", torch.float32, 1e4)):
        x = (ratio + base).to(dt)
        one = float((x * x).mean() - x.mean() ** 2)
        exact = float(x.to(torch.float64).var(unbiased=False))
        out[name] = {"mean_over_std": ratio, "one_pass_var": one, "two_pass_var_float64": exact,
                     "relative_error": abs(one - exact) / exact}
    return out


@single_threaded
def check_forward(ctx: Context, impl: Implementation, dtypes: Sequence[str] = DTYPES,
                  salt: str = "forward", offsets: Sequence[float] = OFFSETS) -> Outcome:
    """Ioffe & Szegedy Alg. 1/2 in torch's conventions: does ``impl`` stay within c*kappa*u?"""
    n = ctx.budget(25, 120, 400)
    seed = ctx.rng(salt).randrange(2 ** 32)
    per_dtype: dict[str, dict[str, float]] = {}

    def evaluate(case: ForwardCase) -> tuple[float, bool]:
        w = evaluate_forward(impl, case, ctx.dps)
        d = per_dtype.setdefault(case.dtype, {"cases": 0, "max_error_over_bound": 0.0, "max_rel_error": 0.0})
        d["cases"] += 1
        d["max_error_over_bound"] = max(d["max_error_over_bound"], w["ratio"])
        d["max_rel_error"] = max(d["max_rel_error"], w["rel_error"])
        return w["ratio"], w["ratio"] <= 1.0

    rep = run_property(forward_cases(dtypes, offsets=offsets), evaluate, max_examples=n, seed=seed, shrink_violation=False)
    seen = {k: dict(v) for k, v in per_dtype.items()}
    if rep.violated:
        rep.shrunk = shrink(forward_cases(dtypes, offsets=offsets), lambda cs: not evaluate(cs)[1], seed=seed, max_examples=300)
    ev: dict[str, Any] = {"implementation": impl.description, "cases": rep.cases, "seed": seed,
                          "dps": ctx.dps, "c": tol("conformance.c"), "max_error_over_bound": rep.max_error,
                          "per_dtype": {k: seen[k] for k in sorted(seen)}}
    scope = (f"{rep.cases} hypothesis cases, dtypes {', '.join(dtypes)}, train+eval, (m,C) and (m,C,2,2), "
             f"F.batch_norm and module, m 2..10, offsets {tuple(offsets)}, scales {SCALES}, eps {EPS}, CPU")
    if not rep.violated:
        return Outcome(Verdict.HOLDS, scope, ev)
    shrunk = rep.shrunk or rep.violation
    w = evaluate_forward(impl, shrunk, ctx.dps)
    cert = certify_forward_violation(shrunk, w, ctx.dps)
    ev.update(counterexample={**shrunk.describe(), "numbers": {k: v for k, v in w.items() if k != "x"}},
              certificate=cert)
    return Outcome(Verdict.REFUTED if cert["certified"] else Verdict.INCONCLUSIVE, scope, ev)
