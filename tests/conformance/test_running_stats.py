"""Tests for conformance.running_stats (running mean/variance against the reference)."""
from bnclaims import Context, Verdict
from bnclaims.conformance.conventions import WRONG_MAPPINGS
from bnclaims.conformance.planted import PLANTED, TORCH_IMPL
from bnclaims.conformance.running_stats import RunningCase, check_running_stats, evaluate_running


def _case(momentum, path="module"):
    return RunningCase("float64", path, momentum, 0.0, 1.0, (((0, 2, 4),), ((1, 1, 4),)))


def test_torch_cumulative_average_matches_the_reference_with_p_one_over_k():
    assert evaluate_running(TORCH_IMPL, _case(None))["ratio"] <= 1.0


def test_torch_momentum_point_three_matches_the_reference():
    assert evaluate_running(TORCH_IMPL, _case(0.3, "functional"))["ratio"] <= 1.0


def test_biased_running_variance_misses_by_the_bessel_factor():
    w = evaluate_running(PLANTED["biased_running_var"], _case(0.1, "functional"))
    assert w["ratio"] > 1.0 and w["stat"] == "running_var"


def test_torch_holds_only_with_a_correct_mapping_and_is_refuted_under_p_equals_q():
    ctx = Context(preset="quick")
    good = check_running_stats(ctx, TORCH_IMPL)
    assert good.verdict is Verdict.HOLDS and good.evidence["convention_mapping"]["ok"]
    bad = check_running_stats(ctx, TORCH_IMPL, mappings=WRONG_MAPPINGS["q_equals_p"])
    assert bad.verdict is Verdict.REFUTED
    assert bad.evidence["convention_mapping"]["certificate"]["certified"]
    assert bad.evidence["max_error_over_bound"] <= 1.0  # torch itself follows its documentation
    assert bad.evidence["counterexample"] == bad.evidence["convention_mapping"]["worst_case"]
