"""The running-statistics check: stored mean/variance after k training steps against the reference.

``pytorch_batchnorm_docs``: ``running = (1 - momentum) * running + momentum * batch``, the
stored variance is the *unbiased* batch variance (while the forward pass normalizes with the
biased one), and ``momentum=None`` gives the cumulative average (``p = 1/k`` at step k).
Ioffe & Szegedy 2015 Alg. 2 (``ioffe2015batch``) motivates the unbiased ``m/(m-1)``. Errors
are scaled by conditioning: mean ``c (k+1) u``, variance ``c (k+1) u kappa^2`` with
``kappa = 1 + max|x| / sigma_min`` over the steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import mpmath
import torch
from hypothesis import strategies as st

from bnclaims import Context, Outcome, Verdict
from bnclaims.tolerances import tol
from bnclaims.conformance.conventions import Mapping, check_mapping
from bnclaims.conformance.planted import Implementation
from bnclaims.conformance.reference import TORCH, ref_batch_stats, ref_running_update
from bnclaims.conformance.torch_forward import unit_roundoff
from bnclaims.conformance.threads import single_threaded
from bnclaims.numerics.intervals import certify_positive
from bnclaims.numerics.search import run_property, shrink

__all__ = ["RunningCase", "running_cases", "evaluate_running", "check_running_stats"]

MOMENTA = (0.1, 0.3, None)


@dataclass(frozen=True)
class RunningCase:
    """k batches of shape (m, C) on an integer grid ``offset + scale * k``; one momentum."""

    dtype: str
    path: str
    momentum: float | None
    offset: float
    scale: float
    batches: tuple[tuple[tuple[int, ...], ...], ...]

    def describe(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "path": self.path, "momentum": self.momentum, "offset": self.offset,
                "scale": self.scale, "batches": [[list(c) for c in b] for b in self.batches]}


def _nonconstant(v: list[int]) -> bool:
    return len(set(v)) > 1


@st.composite
def running_cases(draw, dtypes: Sequence[str] = ("float64", "float32")) -> RunningCase:
    """1..3 steps, m in 2..8, 1..2 channels, offsets 0/3/100, scales 1 and 1e-2."""
    dtype = draw(st.sampled_from(list(dtypes)))
    momentum = draw(st.sampled_from(list(MOMENTA)))
    path = "module" if momentum is None else draw(st.sampled_from(["functional", "module"]))
    m, n_ch, k = draw(st.integers(2, 8)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    offset, scale = draw(st.sampled_from([0.0, 3.0, 100.0])), draw(st.sampled_from([1.0, 1e-2]))
    col = st.lists(st.integers(-8, 8), min_size=m, max_size=m).filter(_nonconstant)
    batches = tuple(tuple(tuple(draw(col)) for _ in range(n_ch)) for _ in range(k))
    return RunningCase(dtype, path, momentum, offset, scale, batches)


def _run(impl: Implementation, case: RunningCase) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    dt = getattr(torch, case.dtype)
    n_ch = len(case.batches[0])
    xs = [torch.tensor([[case.offset + case.scale * b[c][i] for c in range(n_ch)] for i in range(len(b[0]))],
                       dtype=torch.float64).to(dt) for b in case.batches]
    with torch.no_grad():
        if case.path == "functional":
            rm, rv = torch.zeros(n_ch, dtype=dt), torch.ones(n_ch, dtype=dt)
            for x in xs:
                impl.functional(x, rm, rv, None, None, True, case.momentum, 1e-5)
        else:
            mod = impl.module(n_ch, 1, case.momentum, 1e-5, dt)
            mod.train()
            for x in xs:
                mod(x)
            rm, rv = mod.running_mean, mod.running_var
    return xs, rm, rv


def evaluate_running(impl: Implementation, case: RunningCase, dps: int = 60) -> dict[str, Any]:
    """Largest error/bound of the stored statistics against :func:`ref_running_update`."""
    xs, rm, rv = _run(impl, case)
    u, c_tol, k = unit_roundoff(case.dtype), tol("conformance.c"), len(xs)
    worst: dict[str, Any] = {"ratio": -1.0}
    with mpmath.workdps(dps):
        for c in range(xs[0].shape[1]):
            cols = [[float(v) for v in x[:, c].to(torch.float64).tolist()] for x in xs]
            ref_m, ref_v = mpmath.mpf(0), mpmath.mpf(1)
            for step, col in enumerate(cols, start=1):
                p = mpmath.mpf(1) / step if case.momentum is None else case.momentum
                ref_m, ref_v = ref_running_update(ref_m, ref_v, col, p, TORCH, dps)
            big = max(abs(v) for col in cols for v in col)
            smin = mpmath.sqrt(min(ref_batch_stats(col, 1)[1] for col in cols))
            kappa = 1 + big / smin
            bm = c_tol * (k + 1) * u * max(big, 1)
            bv = c_tol * (k + 1) * u * kappa ** 2 * abs(ref_v)
            em, ev = abs(mpmath.mpf(float(rm[c])) - ref_m), abs(mpmath.mpf(float(rv[c])) - ref_v)
            for what, err, bound, val, ref in (("running_mean", em, bm, float(rm[c]), ref_m),
                                               ("running_var", ev, bv, float(rv[c]), ref_v)):
                ratio = float(err / bound) if val == val else float("inf")
                if ratio > worst["ratio"]:
                    worst = {"ratio": ratio, "stat": what, "channel": c, "value": val,
                             "reference": mpmath.nstr(ref, 20), "abs_error": float(err),
                             "bound": float(bound), "kappa": float(kappa)}
    return worst


def _certify(case: RunningCase, worst: dict[str, Any], dps: int) -> dict[str, Any]:
    """Interval re-verification: ``|stored - reference| - bound > 0`` with the reference enclosed."""
    from fractions import Fraction

    from bnclaims.numerics.intervals import iv_of

    xs, _, _ = _run_inputs(case)
    c = worst["channel"]
    cols = [[Fraction(float(v)) for v in x[:, c].tolist()] for x in xs]
    stat_is_mean = worst["stat"] == "running_mean"

    def gap(M, value, bound):
        rm_, rv_ = M.mpf(0), M.mpf(1)
        for step, col in enumerate(cols, start=1):
            p = (M.mpf(1) / step) if case.momentum is None else iv_of(Fraction(case.momentum))
            y = [iv_of(v) for v in col]
            mu = sum(y, M.mpf(0)) / len(y)
            var = sum([(v - mu) ** 2 for v in y], M.mpf(0)) / (len(y) - 1)
            rm_, rv_ = (1 - p) * rm_ + p * mu, (1 - p) * rv_ + p * var
        return abs(value - (rm_ if stat_is_mean else rv_)) - bound

    # the float bound is enlarged by a relative margin so that its rounding cannot certify
    margin = 1 + Fraction(tol("conformance.certificate_bound_margin_rel"))
    cert = certify_positive(gap, [Fraction(worst["value"]), Fraction(worst["bound"]) * margin], dps=dps)
    return {"kind": f"|{worst['stat']} - reference| - bound > 0", **cert.as_dict()}


def _run_inputs(case: RunningCase) -> tuple[list[torch.Tensor], None, None]:
    dt = getattr(torch, case.dtype)
    n_ch = len(case.batches[0])
    return [torch.tensor([[case.offset + case.scale * b[c][i] for c in range(n_ch)] for i in range(len(b[0]))],
                         dtype=torch.float64).to(dt).to(torch.float64) for b in case.batches], None, None


@single_threaded
def check_running_stats(ctx: Context, impl: Implementation, salt: str = "running",
                        mappings: dict[str, Mapping] | None = None) -> Outcome:
    """torch's documented update (unbiased variance, momentum p, None = cumulative) vs ``impl``.

    Also checks the cross-framework mapping of :mod:`bnclaims.conformance.conventions` (``mappings``;
    default: the stated one): each framework's documented rule, mapped to torch, against what
    the real ``torch.nn.BatchNorm1d`` stores after k identical and k different batches. The
    verdict needs both parts: ``holds`` when neither is violated, ``refuted`` when either
    violation is certified by interval arithmetic, else ``inconclusive``.
    """
    n = ctx.budget(20, 100, 400)
    seed = ctx.rng(salt).randrange(2 ** 32)
    per_dtype: dict[str, float] = {}

    def evaluate(cs: RunningCase) -> tuple[float, bool]:
        ratio = evaluate_running(impl, cs, ctx.dps)["ratio"]
        per_dtype[cs.dtype] = max(per_dtype.get(cs.dtype, 0.0), ratio)
        return ratio, ratio <= 1.0

    rep = run_property(running_cases(), evaluate, max_examples=n, seed=seed, shrink_violation=False)
    k_max = ctx.budget(4, 6, 10)
    mapping = check_mapping(k_max, mappings, seed=ctx.rng(salt + ":mapping").randrange(2 ** 31), dps=ctx.dps,
                            dtypes=("float64", "float32")[:ctx.budget(1, 2, 2)])
    ev: dict[str, Any] = {"implementation": impl.description, "cases": rep.cases, "seed": seed, "dps": ctx.dps,
                          "max_error_over_bound": rep.max_error,
                          "per_dtype": {k: {"max_error_over_bound": v} for k, v in sorted(per_dtype.items())},
                          "convention_mapping": mapping}
    scope = (f"{rep.cases} hypothesis cases, float64/float32, 1..3 training steps, momentum 0.1/0.3/None, "
             f"F.batch_norm and module; Keras/Flax/CNTK documented rules mapped to torch vs nn.BatchNorm1d, "
             f"{k_max} identical and {k_max} different batches")
    if not rep.violated:
        if mapping["ok"]:
            return Outcome(Verdict.HOLDS, scope, ev)
        if mapping["refuted"]:
            ev["counterexample"] = mapping["worst_case"]
        return Outcome(Verdict.REFUTED if mapping["refuted"] else Verdict.INCONCLUSIVE, scope, ev)
    shrunk = shrink(running_cases(), lambda cs: evaluate_running(impl, cs, ctx.dps)["ratio"] > 1.0,
                    seed=seed, max_examples=150) or rep.violation
    w = evaluate_running(impl, shrunk, ctx.dps)
    cert = _certify(shrunk, w, ctx.dps)
    ev.update(counterexample={**shrunk.describe(), "numbers": w}, certificate=cert)
    refuted = cert["certified"] or mapping["refuted"]
    return Outcome(Verdict.REFUTED if refuted else Verdict.INCONCLUSIVE, scope, ev)
