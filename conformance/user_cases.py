"""Inputs for checking a user's Batch Norm, and the search driver: property run, shrink, certify.

A :class:`UserCase` is one call: per channel an integer grid ``offset + scale * k`` (so a
failing input shrinks to small integers), the BN parameters, and for the derivative checks an
upstream ``g`` and a direction ``v``. Strategies are drawn *per dtype*, so every dtype gets its
own smallest failing input (a float16 underflow cannot hide a defect that float64 shows at
m = 2). :func:`run_check` is the one driver every check uses: :func:`bnclaims.numerics.search.run_property`
on the strategy, :func:`bnclaims.numerics.search.shrink` of a violation, and a certificate
(:mod:`bnclaims.numerics.intervals`) of the shrunk case; the verdict follows from the certificate.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from bnclaims.verdicts import Verdict
from bnclaims.conformance.user_report import CheckResult
from bnclaims.numerics.search import run_property, shrink

__all__ = ["UserCase", "user_cases", "tensor_of", "input_of", "channel_values", "run_check", "OFFSETS", "SCALES", "EPS",
           "GAMMAS", "BETAS", "tiny", "finite_max", "dtype_of"]

OFFSETS = (0.0, 3.0, 100.0, 1e4)
SCALES = (1.0, 1e-3, 1e-6)
EPS = (1e-5, 1e-3, 0.1)
GAMMAS = (1.0, -1.0, 2.0, 0.5, 3.0)
BETAS = (0.0, 1.0, -2.5)


def dtype_of(name: str) -> torch.dtype:
    return getattr(torch, name)


def tiny(dtype: str) -> float:
    """The smallest positive subnormal: the absolute rounding floor of a stored value."""
    return float(torch.finfo(dtype_of(dtype)).smallest_normal) * float(torch.finfo(dtype_of(dtype)).eps)


def finite_max(dtype: str) -> float:
    return float(torch.finfo(dtype_of(dtype)).max)


@dataclass(frozen=True)
class UserCase:
    """One BN call on a ``(m, C, *spatial)`` input; channel ``c`` holds ``offset + scale * grid``."""

    dtype: str
    training: bool
    m: int
    spatial: tuple[int, ...]
    channels: tuple[tuple[float, float, tuple[int, ...]], ...]
    gamma: tuple[float, ...]
    beta: tuple[float, ...]
    eps: float
    running: tuple[tuple[int, float], ...] = ()
    upstream: tuple[tuple[int, ...], ...] = ()
    direction: tuple[tuple[int, ...], ...] = ()

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.m, len(self.channels)) + self.spatial

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def gamma_of(self, c: int) -> float:
        """gamma of channel ``c`` as the implementation sees it (rounded to the dtype)."""
        return float(torch.tensor(self.gamma[c], dtype=dtype_of(self.dtype)))

    def running_stats(self) -> tuple[list[float], list[float]]:
        """Eval mode: running mean ``offset + scale * k`` and variance ``scale^2 * r`` per channel."""
        rm = [o + s * k for (o, s, _), (k, _) in zip(self.channels, self.running)]
        rv = [max(s * s, 1e-8) * r for (_, s, _), (_, r) in zip(self.channels, self.running)]
        return rm, rv

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dtype": self.dtype, "training": self.training, "shape": list(self.shape),
                               "samples": self.m, "features": len(self.channels), "eps": self.eps,
                               "gamma": list(self.gamma), "beta": list(self.beta),
                               "channels": [{"offset": o, "scale": s, "grid": list(k)} for o, s, k in self.channels]}
        if not self.training:
            rm, rv = self.running_stats()
            out.update(running_mean=rm, running_var=rv)
        if self.upstream:
            out["upstream"] = [list(g) for g in self.upstream]
        if self.direction:
            out["direction"] = [list(v) for v in self.direction]
        return out


@st.composite
def user_cases(draw, dtype: str, *, training: bool, layouts: Sequence[tuple[int, ...]], affine: bool,
               max_m: int = 8, max_channels: int = 3, upstream: bool = False, direction: bool = False,
               offsets: Sequence[float] = OFFSETS, scales: Sequence[float] = SCALES) -> UserCase:
    """Cases that shrink toward m = 2, one channel, a 2-D input, offset 0, scale 1, gamma 1, beta 0.

    Half the draws have m in {2, 3}, where a wrong normalization constant (1/(m-1) for 1/m) is
    largest and so visible even within a float16 tolerance.
    """
    m = draw(st.sampled_from([2, 3]) | st.integers(2, max_m))
    spatial = draw(st.sampled_from(list(layouts)))
    n_ch = draw(st.integers(1, max_channels))
    per = m * math.prod(spatial)
    grid = st.lists(st.integers(-8, 8), min_size=per, max_size=per).map(tuple)
    channels = tuple((draw(st.sampled_from(list(offsets))), draw(st.sampled_from(list(scales))), draw(grid))
                     for _ in range(n_ch))
    gamma = tuple(draw(st.sampled_from(GAMMAS)) if affine else 1.0 for _ in range(n_ch))
    beta = tuple(draw(st.sampled_from(BETAS)) if affine else 0.0 for _ in range(n_ch))
    eps = draw(st.sampled_from(EPS))
    running = () if training else tuple((draw(st.integers(-4, 4)), draw(st.sampled_from([1.0, 0.25, 4.0])))
                                        for _ in range(n_ch))
    small = st.lists(st.integers(-4, 4), min_size=per, max_size=per).map(tuple)
    g = tuple(draw(small) for _ in range(n_ch)) if upstream else ()
    v = tuple(draw(small) for _ in range(n_ch)) if direction else ()
    return UserCase(dtype, training, m, tuple(spatial), channels, gamma, beta, eps, running, g, v)


def tensor_of(case: UserCase, columns: Sequence[Sequence[float]], dtype: torch.dtype | None = None) -> torch.Tensor:
    """A ``case.shape`` tensor whose channel ``c`` (flattened over batch and space) is ``columns[c]``."""
    cols = [torch.tensor(list(col), dtype=torch.float64).reshape((case.m,) + case.spatial) for col in columns]
    return torch.stack(cols, dim=1).to(dtype or dtype_of(case.dtype))


def input_of(case: UserCase) -> torch.Tensor:
    return tensor_of(case, [[o + s * k for k in grid] for o, s, grid in case.channels])


def channel_values(t: torch.Tensor, c: int) -> list[float]:
    """Channel ``c`` of ``t`` as exact Python floats, in the order of :func:`tensor_of`."""
    return [float(v) for v in t.detach().select(1, c).reshape(-1).to(torch.float64).tolist()]


def run_check(check: str, dtype: str, strategy: Any, evaluate: Callable[[Any], dict[str, Any]],
              certify: Callable[[Any, dict[str, Any]], dict[str, Any]], *, n: int, seed: int,
              shrink_examples: int, scope: str, simple: Any = None) -> CheckResult:
    """Search ``n`` cases for ``evaluate(case)["ratio"] > 1``; shrink and certify a violation.

    ``evaluate`` returns the worst entry of a case (``ratio`` = error / allowed bound, and the
    numbers behind it; ``skipped`` when the exact result is outside the dtype's range). A
    violation is shrunk on ``simple`` first (one channel, the plainest layout: hypothesis rarely
    deletes a channel once the failing one is not the first), then on ``strategy``. The verdict
    is ``refuted`` only when ``certify`` encloses the violation of the shrunk case.
    """
    t0 = time.perf_counter()
    seen = {"cases": 0, "skipped": 0, "max_ratio": 0.0}

    def ratio_of(case: Any) -> float:
        r = evaluate(case)["ratio"]
        return math.inf if r != r else r

    def tracked(case: Any) -> tuple[float, bool]:
        w = evaluate(case)
        r = math.inf if w["ratio"] != w["ratio"] else w["ratio"]
        seen["cases"] += 1
        seen["skipped"] += bool(w.get("skipped"))
        seen["max_ratio"] = max(seen["max_ratio"], r)
        return r, r <= 1.0

    rep = run_property(strategy, tracked, max_examples=n, seed=seed, shrink_violation=False)
    evidence: dict[str, Any] = {"cases": seen["cases"], "skipped_out_of_range": seen["skipped"], "seed": seed,
                                "max_error_over_bound": seen["max_ratio"]}
    if not rep.violated:
        return CheckResult(check, dtype, Verdict.HOLDS, scope, evidence, seconds=time.perf_counter() - t0)
    small = None
    for strat in ([simple] if simple is not None else []) + [strategy]:
        try:
            small = shrink(strat, lambda c: ratio_of(c) > 1.0, seed=seed, max_examples=shrink_examples)
        except HypothesisException as exc:  # e.g. Flaky: an implementation that is not deterministic
            evidence["shrink_failed"] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        if small is not None:
            break
    case = small if small is not None else rep.violation
    worst = evaluate(case)
    cert = certify(case, worst)
    evidence["counterexample"] = {**case.describe(), "shrunk": small is not None,
                                  "numbers": {k: v for k, v in worst.items() if k not in ("x", "steps")},
                                  "certificate": cert}
    verdict = Verdict.REFUTED if cert.get("certified") else Verdict.INCONCLUSIVE
    reason = "" if cert.get("certified") else "violation found but not certified by interval arithmetic"
    return CheckResult(check, dtype, verdict, scope, evidence, reason=reason, seconds=time.perf_counter() - t0)
