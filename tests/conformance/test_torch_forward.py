"""Tests for conformance.torch_forward (the conditioning-scaled forward check)."""
from bnclaims import Context, Verdict
from bnclaims.conformance.planted import PLANTED, TORCH_IMPL
from bnclaims.conformance.torch_forward import ForwardCase, evaluate_forward, one_pass_demo, unit_roundoff, check_forward


def _case(dtype, offset, grid, training=True):
    return ForwardCase(dtype, "functional", training, 0, len(grid), ((offset, 1.0, tuple(grid)),), (1.0,), (0.0,),
                       1e-5, ((0, 1.0),))


def test_unit_roundoff_is_two_to_minus_significand_bits():
    assert unit_roundoff("float32") == 2.0 ** -24 and unit_roundoff("bfloat16") == 2.0 ** -8


def test_torch_float64_is_within_bound_on_an_exact_case():
    w = evaluate_forward(TORCH_IMPL, _case("float64", 0.0, [0, 2]))
    assert w["ratio"] <= 1.0 and w["rel_error"] < 1e-15


def test_eps_outside_sqrt_violates_the_bound_on_two_points_in_float64():
    w = evaluate_forward(PLANTED["eps_outside_sqrt"], _case("float64", 0.0, [0, 1]))
    assert w["ratio"] > 1.0 and w["rel_error"] > 1e-10


def test_one_pass_variance_in_float32_loses_hundreds_of_percent_at_large_mean():
    demo = one_pass_demo()
    assert demo["float32"]["relative_error"] > 1.0


def test_forward_check_refutes_eps_outside_with_a_certified_shrunk_case():
    out = check_forward(Context(preset="quick"), PLANTED["eps_outside_sqrt"], ("float64",))
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]
    assert out.evidence["counterexample"]["shape"][0] <= 3
