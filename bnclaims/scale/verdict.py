"""Intervals over seeds and the one verdict rule of the scale level.

``holds`` when every interval lies inside its band, ``refuted`` when some interval lies wholly outside
its band, ``inconclusive`` when an interval straddles a band edge or a data precondition's interval is
not inside its band. Intervals are two-sided Student t intervals of the per-seed mean (seeds are
independent replicates; arms compared within a seed are paired), Bonferroni-corrected over every
interval of the criterion.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from bnclaims.scale.criteria import Criterion, PerSeed, Measure
from bnclaims.verdicts import Verdict

__all__ = ["Interval", "t_interval", "MeasureResult", "Decision", "decide"]


@dataclass(frozen=True)
class Interval:
    """A confidence interval of a mean over ``n`` seeds."""

    mean: float
    lo: float
    hi: float
    level: float
    n: int
    sd: float

    def as_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "lo": self.lo, "hi": self.hi, "level": self.level, "n": self.n,
                "sd": self.sd}


def t_interval(values: Sequence[float], level: float) -> Interval:
    """Two-sided Student t interval for the mean of ``values`` at confidence ``level`` (n >= 2)."""
    from scipy import stats

    xs = [float(v) for v in values]
    n = len(xs)
    if n < 2:
        raise ValueError(f"an interval over seeds needs at least 2 seeds, got {n}")
    if not all(math.isfinite(v) for v in xs):
        raise ValueError(f"non-finite per-seed value in {xs}")
    mean = math.fsum(xs) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in xs) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean=mean, lo=mean - half, hi=mean + half, level=level, n=n, sd=sd)


@dataclass(frozen=True)
class MeasureResult:
    """One test's per-seed values, interval and where the interval lies relative to the band."""

    test: Measure
    values: list[float]
    interval: Interval

    @property
    def inside(self) -> bool:
        return self.test.band.contains(self.interval.lo, self.interval.hi)

    @property
    def outside(self) -> bool:
        return self.test.band.excludes(self.interval.lo, self.interval.hi)

    def as_dict(self) -> dict[str, Any]:
        band, iv = self.test.band, self.interval
        return {"per_seed": self.values, "interval": iv.as_dict(), "band": band.describe(),
                "position": "inside" if self.inside else ("outside" if self.outside else "straddles"),
                "slack_inside": _finite_or_none(band.slack(iv.lo, iv.hi)),
                "gap_outside": _finite_or_none(band.gap(iv.lo, iv.hi))}


def _finite_or_none(x: float) -> float | None:
    """JSON has no infinity: an unbounded band's slack is reported as null."""
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Decision:
    """The verdict with the results it rests on."""

    verdict: Verdict
    reason: str
    tests: list[MeasureResult]
    preconditions: list[MeasureResult]
    reported: list[MeasureResult]


def _evaluate(tests: Sequence[Measure], per_seed: Sequence[PerSeed], level: float) -> list[MeasureResult]:
    out = []
    for t in tests:
        values = [float(t.value(records)) for records in per_seed]
        out.append(MeasureResult(t, values, t_interval(values, level)))
    return out


def decide(criterion: Criterion, per_seed: Sequence[PerSeed]) -> Decision:
    """Apply the verdict rule to the records of each seed (``[{arm: record}, ...]``)."""
    level = criterion.per_interval_level
    pre = _evaluate(criterion.data_preconditions, per_seed, level)
    results = _evaluate(criterion.tests, per_seed, level)
    rep = _evaluate(criterion.reported, per_seed, level)
    failed_pre = [r.test.name for r in pre if not r.inside]
    if failed_pre:
        return Decision(Verdict.INCONCLUSIVE, "precondition not met: " + ", ".join(failed_pre), results, pre, rep)
    outside = [r.test.name for r in results if r.outside]
    if outside:
        return Decision(Verdict.REFUTED, "interval wholly outside its band: " + ", ".join(outside), results, pre, rep)
    straddle = [r.test.name for r in results if not r.inside]
    if straddle:
        return Decision(Verdict.INCONCLUSIVE, "interval straddles its band: " + ", ".join(straddle), results, pre, rep)
    return Decision(Verdict.HOLDS, "every interval inside its band", results, pre, rep)
