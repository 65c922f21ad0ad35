"""Property runs and counterexample search with shrinking (hypothesis as a library).

:func:`run_property` evaluates a quantitative property on ``n`` drawn cases and returns the
largest error seen; if a case violates it, :func:`shrink` asks hypothesis for the *minimal*
violating case. Both are deterministic given the seed (no example database).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable

from hypothesis import HealthCheck, Phase, find, given, seed as hyp_seed, settings
from hypothesis.errors import NoSuchExample

_QUIET = dict(database=None, deadline=None, suppress_health_check=list(HealthCheck),
              print_blob=False)


@dataclass
class PropertyReport:
    """What a property run saw: case count, largest error, and the first/minimal violation."""

    cases: int = 0
    max_error: Any = 0
    worst_case: Any = None
    violation: Any = None
    shrunk: Any = None
    extra: dict = field(default_factory=dict)

    @property
    def violated(self) -> bool:
        return self.violation is not None


def run_property(strategy, evaluate: Callable[[Any], tuple[Any, bool]], *, max_examples: int,
                 seed: int, shrink_violation: bool = True,
                 shrink_examples: int = 2000) -> PropertyReport:
    """Run ``evaluate(case) -> (error, ok)`` on ``max_examples`` cases; shrink a violation.

    Generation continues past the first violation only to record it; the shrunk
    counterexample comes from :func:`shrink` on the same predicate.
    """
    report = PropertyReport()

    @hyp_seed(seed)
    @settings(max_examples=max_examples, phases=[Phase.explicit, Phase.generate], **_QUIET)
    @given(strategy)
    def prop(case):
        err, ok = evaluate(case)
        report.cases += 1
        if report.worst_case is None or err > report.max_error:
            report.max_error, report.worst_case = err, case
        if not ok and report.violation is None:
            report.violation = case

    prop()
    if report.violation is not None and shrink_violation:
        report.shrunk = shrink(strategy, lambda c: not evaluate(c)[1], seed=seed,
                               max_examples=shrink_examples)
    return report


def shrink(strategy, violates: Callable[[Any], bool], *, seed: int, max_examples: int = 2000) -> Any:
    """The minimal case (in hypothesis' shrink order) for which ``violates`` is true, or None."""
    try:
        return find(strategy, violates,
                    settings=settings(max_examples=max_examples, phases=[Phase.generate, Phase.shrink],
                                      **_QUIET),
                    random=random.Random(seed))
    except NoSuchExample:
        return None
