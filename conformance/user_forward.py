"""Forward (train, eval) and running-statistics checks of a user's Batch Norm, per dtype.

Ioffe & Szegedy 2015 (``ioffe2015batch``) Alg. 1 and 2 in torch's conventions
(``pytorch_batchnorm_docs``): normalize with the biased batch variance, eps inside the root;
store the *unbiased* batch variance; ``r <- (1 - p) r + p b``; ``momentum=None`` is the
cumulative average (``p = 1/k`` at step k). Errors are allowed as in
:mod:`bnclaims.conformance.torch_forward` and :mod:`bnclaims.conformance.running_stats`: forward
``c kappa u (|gamma| max(1, max|yhat|) + |beta|)``; running mean ``c (k+1) (u max|x| + t)``,
running variance ``c (k+1) (u kappa^2 |v_ref| + t)`` with ``t`` the dtype's smallest subnormal
(the rounding floor of a stored value). Violations are certified in interval arithmetic at the
exact inputs the implementation saw.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import mpmath
import torch
from hypothesis import strategies as st

from bnclaims.tolerances import tol
from bnclaims.conformance.reference import TORCH, ref_batch_stats, ref_forward_eval, ref_forward_train, ref_running_update
from bnclaims.conformance.torch_forward import certify_forward_violation, unit_roundoff
from bnclaims.conformance.user_cases import UserCase, channel_values, dtype_of, input_of, tensor_of, tiny
from bnclaims.conformance.user_load import ImplementationError, UserBN
from bnclaims.numerics.intervals import certify_positive, enclose, endpoints, iv_of

__all__ = ["evaluate_forward", "certify_forward", "RunningCase", "running_cases", "evaluate_running",
           "certify_running"]


def evaluate_forward(bn: UserBN, case: UserCase, dps: int = 60) -> dict[str, Any]:
    """The worst channel's ``|z - z_ref| / bound`` (``inf`` when the implementation raised or gave NaN)."""
    x = input_of(case)
    dt, n_ch = x.dtype, len(case.channels)
    w, b = torch.tensor(case.gamma, dtype=dt), torch.tensor(case.beta, dtype=dt)
    rm_l, rv_l = case.running_stats() if not case.training else ([0.0] * n_ch, [1.0] * n_ch)
    rm, rv = torch.tensor(rm_l, dtype=torch.float64).to(dt), torch.tensor(rv_l, dtype=torch.float64).to(dt)
    out, error = None, ""
    try:
        with torch.no_grad():
            sess = bn.session(n_ch, dt, momentum=0.1, eps=case.eps, weight=w, bias=b,
                              running_mean=rm.clone(), running_var=rv.clone())
            out = sess(x, case.training)
    except ImplementationError as exc:
        error = str(exc)
    u, c_tol = unit_roundoff(case.dtype), tol("conformance.c")
    worst: dict[str, Any] = {"ratio": -1.0}
    with mpmath.workdps(dps):
        for c in range(n_ch):
            xs = channel_values(x, c)
            zs = channel_values(out, c) if out is not None else [math.nan] * len(xs)
            g, bt, rmc, rvc = float(w[c]), float(b[c]), float(rm[c]), float(rv[c])
            if case.training:
                ref = ref_forward_train(xs, g, bt, case.eps, TORCH, dps)
                _, var = ref_batch_stats(xs, 0)
                big = max(abs(v) for v in xs)
            else:
                ref = ref_forward_eval(xs, rmc, rvc, g, bt, case.eps, TORCH, dps)
                var, big = mpmath.mpf(rvc), max([abs(v) for v in xs] + [abs(rmc)])
            s = mpmath.sqrt(var + mpmath.mpf(case.eps))
            kappa = 1 + big / s
            scale = abs(g) * max([abs((r - bt) / g) for r in ref] + [mpmath.mpf(1)]) + abs(bt)
            bound = c_tol * kappa * u * scale
            bad = [i for i, z in enumerate(zs) if not math.isfinite(z)]
            if bad:
                i, err, ratio = bad[0], math.inf, math.inf
            else:
                diffs = [abs(mpmath.mpf(z) - r) for z, r in zip(zs, ref)]
                i = max(range(len(diffs)), key=lambda j: diffs[j])
                err, ratio = float(diffs[i]), float(diffs[i] / bound)
            if ratio > worst["ratio"]:
                worst = {"ratio": ratio, "what": "output", "channel": c, "index": i, "value": zs[i],
                         "reference": mpmath.nstr(ref[i], 17), "abs_error": err, "bound": float(bound),
                         "kappa": float(kappa), "inputs": xs, "x": xs, "gamma": g, "beta": bt,
                         "running": [rmc, rvc], "error": error}
    return worst


def certify_forward(case: UserCase, worst: dict[str, Any], dps: int = 60) -> dict[str, Any]:
    """:func:`bnclaims.conformance.torch_forward.certify_forward_violation` on the worst channel."""
    return certify_forward_violation(case, worst, dps)  # type: ignore[arg-type]  # reads dtype/training/eps


@dataclass(frozen=True)
class RunningCase:
    """k training steps on ``(m, C, *spatial)`` batches ``offset + scale * grid``; one momentum."""

    dtype: str
    momentum: float | None
    m: int
    spatial: tuple[int, ...]
    offset: float
    scale: float
    eps: float
    batches: tuple[tuple[tuple[int, ...], ...], ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.m, len(self.batches[0])) + self.spatial

    def describe(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "training": True, "shape": list(self.shape), "samples": self.m,
                "features": len(self.batches[0]), "steps_count": len(self.batches),
                "momentum": "None (cumulative)" if self.momentum is None else self.momentum,
                "momentum_label": "cumulative average" if self.momentum is None else f"momentum {self.momentum}",
                "offset": self.offset, "scale": self.scale, "eps": self.eps,
                "batches": [[list(c) for c in b] for b in self.batches]}


@st.composite
def running_cases(draw, dtype: str, *, momenta: Sequence[float | None], layouts: Sequence[tuple[int, ...]],
                  max_m: int = 6, max_channels: int = 2) -> RunningCase:
    """1..3 steps, m in 2..max_m, 1..2 channels, offsets 0/3/100, scales 1 and 1e-2, non-constant batches."""
    momentum = draw(st.sampled_from(list(momenta)))
    m, spatial = draw(st.integers(2, max_m)), tuple(draw(st.sampled_from(list(layouts))))
    n_ch, k = draw(st.integers(1, max_channels)), draw(st.integers(1, 3))
    per = m * math.prod(spatial)
    offset, scale = draw(st.sampled_from([0.0, 3.0, 100.0])), draw(st.sampled_from([1.0, 1e-2]))
    col = st.lists(st.integers(-8, 8), min_size=per, max_size=per).filter(lambda v: len(set(v)) > 1).map(tuple)
    batches = tuple(tuple(draw(col) for _ in range(n_ch)) for _ in range(k))
    return RunningCase(dtype, momentum, m, spatial, offset, scale, 1e-5, batches)


def _inputs(case: RunningCase) -> list[torch.Tensor]:
    # tensor_of reads m, spatial and dtype, which a RunningCase has too
    return [tensor_of(case, [[case.offset + case.scale * k for k in col] for col in b])  # type: ignore[arg-type]
            for b in case.batches]


def evaluate_running(bn: UserBN, case: RunningCase, dps: int = 60) -> dict[str, Any]:
    """The worst stored statistic's ``|stored - reference| / bound`` after the k steps."""
    xs = _inputs(case)
    n_ch, dt = len(case.batches[0]), dtype_of(case.dtype)
    error, rm, rv = "", None, None
    try:
        with torch.no_grad():
            sess = bn.session(n_ch, dt, momentum=case.momentum, eps=case.eps)
            for x in xs:
                sess(x, True)
            rm, rv = sess.running_mean.clone(), sess.running_var.clone()
    except ImplementationError as exc:
        error = str(exc)
    u, c_tol, k, t = unit_roundoff(case.dtype), tol("conformance.c"), len(xs), tiny(case.dtype)
    worst: dict[str, Any] = {"ratio": -1.0}
    with mpmath.workdps(dps):
        for c in range(n_ch):
            cols = [channel_values(x, c) for x in xs]
            ref_m, ref_v = mpmath.mpf(0), mpmath.mpf(1)
            for step, col in enumerate(cols, start=1):
                p = mpmath.mpf(1) / step if case.momentum is None else case.momentum
                ref_m, ref_v = ref_running_update(ref_m, ref_v, col, p, TORCH, dps)
            big = max(abs(v) for col in cols for v in col)
            vmin = min(ref_batch_stats(col, 1)[1] for col in cols)
            kappa = 1 + big / mpmath.sqrt(vmin) if vmin > 0 else mpmath.inf
            bm = c_tol * (k + 1) * (u * big + t)
            bv = c_tol * (k + 1) * (u * kappa ** 2 * abs(ref_v) + t)
            got_m = float(rm[c]) if rm is not None else math.nan
            got_v = float(rv[c]) if rv is not None else math.nan
            for what, val, ref, bound in (("running_mean", got_m, ref_m, bm), ("running_var", got_v, ref_v, bv)):
                err = abs(mpmath.mpf(val) - ref) if math.isfinite(val) else mpmath.inf
                ratio = float(err / bound) if math.isfinite(val) else math.inf
                if ratio > worst["ratio"]:
                    worst = {"ratio": ratio, "what": what, "channel": c, "index": c, "value": val,
                             "reference": mpmath.nstr(ref, 17), "abs_error": float(err), "bound": float(bound),
                             "kappa": float(kappa), "steps": cols, "inputs": cols, "error": error}
    return worst


def certify_running(case: RunningCase, worst: dict[str, Any], dps: int = 60) -> dict[str, Any]:
    """``|stored - reference| - bound > 0`` with reference and bound enclosed (``mpmath.iv``).

    A missing or non-finite stored value is certified by a finite enclosure of the reference.
    """
    cols = [[Fraction(v) for v in col] for col in worst["steps"]]
    k = len(cols)
    is_mean = worst["what"] == "running_mean"
    u, t, c_tol = Fraction(unit_roundoff(case.dtype)), Fraction(tiny(case.dtype)), Fraction(tol("conformance.c"))
    big = max(abs(v) for col in cols for v in col)

    def exact_var(col):
        mu = sum(col, Fraction(0)) / len(col)
        return sum(((v - mu) ** 2 for v in col), Fraction(0)) / (len(col) - 1)

    vmin = min(exact_var(col) for col in cols)

    def reference(M):
        rm_, rv_ = M.mpf(0), M.mpf(1)
        for step, col in enumerate(cols, start=1):
            p = M.mpf(1) / step if case.momentum is None else iv_of(Fraction(case.momentum))
            y = [iv_of(v) for v in col]
            mu = sum(y, M.mpf(0)) / len(y)
            var = sum([(v - mu) ** 2 for v in y], M.mpf(0)) / (len(y) - 1)
            rm_, rv_ = (1 - p) * rm_ + p * mu, (1 - p) * rv_ + p * var
        return rm_, rv_

    if not math.isfinite(worst["value"]):
        val, prec = enclose(lambda M: reference(M)[0 if is_mean else 1], [], dps=dps)
        lo, hi = endpoints(val)
        return {"kind": f"no finite {worst['what']} stored; the exact value is finite",
                "interval": [mpmath.nstr(lo, 20), mpmath.nstr(hi, 20)],
                "certified": bool(mpmath.isfinite(lo) and mpmath.isfinite(hi)), "prec_bits": prec}

    def gap(M, value, uu, tt, cc, bb, vm):
        rm_, rv_ = reference(M)
        if is_mean:
            return abs(value - rm_) - cc * (k + 1) * (uu * bb + tt)
        kappa = 1 + bb / M.sqrt(vm)
        return abs(value - rv_) - cc * (k + 1) * (uu * kappa ** 2 * abs(rv_) + tt)

    cert = certify_positive(gap, [Fraction(worst["value"]), u, t, c_tol, big, vmin], dps=dps)
    return {"kind": f"|{worst['what']} - reference| - bound > 0", **cert.as_dict()}
