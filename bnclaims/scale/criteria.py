"""Pre-registered criteria of the scale level: what is measured, the band it must lie in, at what level.

A scale claim carries its :class:`Criterion` as data on its registry entry, written before any run: the
measured quantity, one :class:`Measure` per sub-criterion (a per-seed number and the :class:`Band` its
interval must lie in), the confidence level, the multiplicity correction, and the preconditions (design
conditions checked before the run, data conditions checked on their own intervals). ``bnclaims show``
prints it and every record copies it into its evidence. The verdict rule is the same for every claim
(:func:`bnclaims.scale.verdict.decide`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

__all__ = ["Band", "Measure", "DesignCondition", "Criterion", "PerSeed", "record_value"]

#: The records of one seed, by arm name: ``{arm: record}``.
PerSeed = Mapping[str, Mapping[str, Any]]


def record_value(arm: str, key: str, index: int | None = None) -> Callable[[PerSeed], float]:
    """The per-seed number ``records[arm][key]`` (or its entry ``index``): the plainest ``Measure.value``."""
    def value(records: PerSeed) -> float:
        v = records[arm][key]
        return float(v if index is None else v[index])
    value.__name__ = f"{key}_{arm}".replace(" ", "_")
    return value


def _fmt(x: float) -> str:
    return f"{x:.6g}"


@dataclass(frozen=True)
class Band:
    """The closed interval ``[lo, hi]`` a confidence interval must lie in (either end may be infinite)."""

    lo: float = -math.inf
    hi: float = math.inf

    def __post_init__(self) -> None:
        if not self.lo <= self.hi:
            raise ValueError(f"empty band [{self.lo}, {self.hi}]")

    @classmethod
    def around(cls, centre: float, rel: float) -> "Band":
        """``centre (1 +- rel)``: the band of a relative tolerance."""
        half = abs(centre) * rel
        return cls(centre - half, centre + half)

    def contains(self, lo: float, hi: float) -> bool:
        return self.lo <= lo and hi <= self.hi

    def excludes(self, lo: float, hi: float) -> bool:
        return hi < self.lo or lo > self.hi

    def gap(self, lo: float, hi: float) -> float:
        """How far ``[lo, hi]`` lies outside the band (0 when they meet)."""
        return max(self.lo - hi, lo - self.hi, 0.0)

    def slack(self, lo: float, hi: float) -> float:
        """How far ``[lo, hi]`` lies inside the band from its nearer edge (0 unless contained)."""
        return max(min(lo - self.lo, self.hi - hi), 0.0) if self.contains(lo, hi) else 0.0

    def describe(self) -> str:
        if self.lo == -math.inf and self.hi == math.inf:
            return "any value"
        if self.lo == -math.inf:
            return f"<= {_fmt(self.hi)}"
        if self.hi == math.inf:
            return f">= {_fmt(self.lo)}"
        return f"[{_fmt(self.lo)}, {_fmt(self.hi)}]"


@dataclass(frozen=True)
class Measure:
    """One sub-criterion: a number computed per seed from that seed's records, and its band.

    ``value`` receives ``{arm: record}`` for one seed; a paired comparison of two arms is a ``value``
    that subtracts them within the seed (arms of one seed share their initialization seed).
    """

    name: str
    quantity: str
    band: Band
    value: Callable[[PerSeed], float] = field(compare=False, repr=False)

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "quantity": self.quantity, "band": self.band.describe(),
                "band_lo": self.band.lo if math.isfinite(self.band.lo) else None,
                "band_hi": self.band.hi if math.isfinite(self.band.hi) else None}


@dataclass(frozen=True)
class DesignCondition:
    """A precondition on the design, checked on each arm's configuration before anything runs."""

    text: str
    check: Callable[[Mapping[str, Any]], bool] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Criterion:
    """The pre-registered decision of a scale claim (or of its false twin).

    ``tests`` decide; ``data_preconditions`` are tests whose intervals must lie inside their bands for
    the experiment to count at all (otherwise ``inconclusive``). Every interval, preconditions included,
    is a two-sided t interval over seeds at level ``1 - (1 - confidence) / k`` (Bonferroni over the
    ``k`` intervals). ``reported`` tests are computed and shown beside the verdict (another reading of
    the claim, a diagnostic) at the same per-interval level, and never decide.
    """

    quantity: str
    tests: tuple[Measure, ...]
    confidence: float = 0.95
    design_preconditions: tuple[DesignCondition, ...] = ()
    data_preconditions: tuple[Measure, ...] = ()
    reported: tuple[Measure, ...] = ()
    reading: str = ""

    def __post_init__(self) -> None:
        if not self.tests:
            raise ValueError("a criterion needs at least one test")
        if not 0.5 < self.confidence < 1:
            raise ValueError(f"confidence must be in (0.5, 1), got {self.confidence}")
        names = [t.name for t in self.tests + self.data_preconditions + self.reported]
        if len(set(names)) != len(names):
            raise ValueError(f"test names must be unique: {names}")

    @property
    def n_intervals(self) -> int:
        return len(self.tests) + len(self.data_preconditions)

    @property
    def per_interval_level(self) -> float:
        """Bonferroni: each interval at ``1 - alpha / k`` so that all hold jointly at ``confidence``."""
        return 1 - (1 - self.confidence) / self.n_intervals

    def summary(self) -> dict[str, Any]:
        """The criterion as JSON: printed by ``show`` and copied into every record."""
        return {
            "quantity": self.quantity,
            "reading": self.reading,
            "tests": [t.summary() for t in self.tests],
            "confidence": self.confidence,
            "interval": "two-sided Student t over seeds (paired within a seed across arms)",
            "correction": f"Bonferroni over {self.n_intervals} intervals: each at level "
                          f"{self.per_interval_level:.4g}",
            "design_preconditions": [c.text for c in self.design_preconditions],
            "data_preconditions": [t.summary() for t in self.data_preconditions],
            "reported_beside": [t.summary() for t in self.reported],
            "rule": ("holds when every interval lies inside its band; refuted when some interval lies "
                     "wholly outside its band; inconclusive when an interval straddles an edge, a "
                     "precondition fails, or the time budget runs out"),
        }
