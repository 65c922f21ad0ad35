"""Tests for bnclaims.scale.verdict and bnclaims.scale.criteria: intervals, bands and the one verdict rule."""
import math

import pytest
from scipy import stats

from bnclaims.scale.criteria import Band, Criterion, Measure
from bnclaims.scale.verdict import decide, t_interval
from bnclaims.verdicts import Level, Verdict, has_certificate


def _per_seed(values, arm="a"):
    return [{arm: {"x": v}} for v in values]


def _x(records):
    return records["a"]["x"]


def _criterion(band, **kw):
    return Criterion(quantity="x", tests=(Measure("x", "the value", band, _x),), **kw)


def test_t_interval_matches_a_hand_computation():
    iv = t_interval([1.0, 2.0, 3.0, 4.0], 0.95)
    half = stats.t.ppf(0.975, 3) * math.sqrt(5 / 3) / 2
    assert iv.mean == 2.5 and iv.n == 4
    assert iv.lo == pytest.approx(2.5 - half, rel=1e-14) and iv.hi == pytest.approx(2.5 + half, rel=1e-14)


def test_t_interval_covers_the_mean_at_its_level_over_many_replicates():
    import random

    rng = random.Random(3)
    covered = 0
    for _ in range(2000):
        xs = [rng.gauss(1.0, 2.0) for _ in range(5)]
        iv = t_interval(xs, 0.9)
        covered += iv.lo <= 1.0 <= iv.hi
    assert 0.88 <= covered / 2000 <= 0.92, covered


def test_t_interval_refuses_one_seed_and_non_finite_values():
    with pytest.raises(ValueError, match="at least 2 seeds"):
        t_interval([1.0], 0.95)
    with pytest.raises(ValueError, match="non-finite"):
        t_interval([1.0, float("nan")], 0.95)


def test_an_interval_inside_the_band_holds():
    d = decide(_criterion(Band(0.9, 1.1)), _per_seed([1.0, 1.01, 0.99, 1.0]))
    assert d.verdict is Verdict.HOLDS and d.tests[0].inside


def test_an_interval_wholly_outside_the_band_is_refuted():
    d = decide(_criterion(Band(0.9, 1.1)), _per_seed([1.5, 1.51, 1.49, 1.5]))
    assert d.verdict is Verdict.REFUTED and d.tests[0].outside
    assert d.tests[0].as_dict()["gap_outside"] > 0.3


def test_a_straddling_interval_is_inconclusive_never_forced():
    d = decide(_criterion(Band(0.9, 1.1)), _per_seed([1.0, 1.2, 1.05, 1.15]))
    assert d.verdict is Verdict.INCONCLUSIVE and "straddles" in d.reason


def test_one_test_wholly_outside_refutes_a_conjunction_even_if_another_straddles():
    c = Criterion(quantity="x", tests=(Measure("x", "x", Band(0.9, 1.1), _x),
                                       Measure("y", "x again", Band(hi=0.0), _x)))
    d = decide(c, _per_seed([1.0, 1.2, 1.05, 1.15]))
    assert d.verdict is Verdict.REFUTED and d.reason.endswith("y")


def test_a_failed_data_precondition_makes_the_verdict_inconclusive():
    c = _criterion(Band(0.9, 1.1), data_preconditions=(Measure("pre", "x is large", Band(5.0), _x),))
    d = decide(c, _per_seed([1.0, 1.0, 1.0]))
    assert d.verdict is Verdict.INCONCLUSIVE and "precondition" in d.reason


def test_bonferroni_widens_each_interval_with_the_number_of_intervals():
    one = _criterion(Band())
    three = Criterion(quantity="x", tests=tuple(Measure(n, n, Band(), _x) for n in "abc"))
    assert one.per_interval_level == pytest.approx(0.95)
    assert three.per_interval_level == pytest.approx(1 - 0.05 / 3)
    values = _per_seed([1.0, 2.0, 3.0])
    w1 = decide(one, values).tests[0].interval
    w3 = decide(three, values).tests[0].interval
    assert (w3.hi - w3.lo) > (w1.hi - w1.lo)


def test_reported_quantities_never_decide():
    c = _criterion(Band(0.9, 1.1), reported=(Measure("r", "reported", Band(hi=-5.0), _x),))
    d = decide(c, _per_seed([1.0, 1.0, 1.01]))
    assert d.verdict is Verdict.HOLDS and d.reported[0].outside


def test_band_helpers_and_descriptions():
    b = Band.around(2.0, 0.05)
    assert (b.lo, b.hi) == (1.9, 2.1) and b.describe() == "[1.9, 2.1]"
    assert Band(1.0).describe() == ">= 1" and Band(hi=0.25).describe() == "<= 0.25"
    with pytest.raises(ValueError, match="empty band"):
        Band(2.0, 1.0)


def test_criterion_summary_states_rule_level_and_correction():
    s = _criterion(Band(0.9, 1.1)).summary()
    assert "straddles" in s["rule"] and "Bonferroni" in s["correction"] and s["confidence"] == 0.95


def test_a_statistical_certificate_counts_at_the_scale_level_only():
    cert = {"certificate": {"statistical": True, "per_seed": [1], "interval": {}, "level": 0.95,
                            "seeds": [1, 2], "preset": "quick", "versions": {}}}
    assert has_certificate(cert, Level.SCALE)
    assert not has_certificate(cert, Level.NUMERICS) and not has_certificate(cert)
    incomplete = {"certificate": {"statistical": True, "per_seed": [1]}}
    assert not has_certificate(incomplete, Level.SCALE)
