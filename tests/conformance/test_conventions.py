"""Tests for conformance.conventions (the framework table, the documented rules and the mapping to torch)."""
from fractions import Fraction

import mpmath
import pytest
import torch

from bnclaims.conformance.conventions import (FRAMEWORKS, MAPPINGS, RULES, WRONG_MAPPINGS, check_mapping, documented_run,
                                     render_table, torch_momentum_from)


def test_table_names_every_framework_and_renders_as_markdown():
    text = render_table()
    for fw in ("PyTorch", "Keras", "Flax", "CNTK"):
        assert fw in text
    assert len(FRAMEWORKS) == 4 and text.startswith("| framework")


def test_keras_momentum_point_nine_is_torch_momentum_point_one():
    assert torch_momentum_from("keras", Fraction(9, 10)) == Fraction(1, 10)


def test_cntk_time_constant_maps_to_one_minus_exp_of_minus_m_over_t():
    assert abs(torch_momentum_from("cntk", Fraction(10), 10) - (1 - mpmath.exp(-1))) < mpmath.mpf(10) ** -14
    assert torch_momentum_from("cntk", Fraction(0), 10) == 1 and torch_momentum_from("cntk", "inf", 10) is None


def test_documented_keras_rule_one_step_is_the_exact_blend_of_the_biased_batch_statistics():
    # batch (0, 1, 2, 5): mean 2, biased variance 14/4 = 7/2; q = 9/10 from (0, 1):
    # mean 0.9*0 + 0.1*2 = 1/5; variance (biased, scaled by m/(m-1) = 4/3) 0.9 + 0.1 * 14/3 = 41/30
    batch = [Fraction(v) for v in (0, 1, 2, 5)]
    with mpmath.workdps(60):
        (rm, rv), = documented_run(mpmath.mp, RULES["keras"], Fraction(9, 10), MAPPINGS["keras"], [batch])
        assert abs(rm - mpmath.mpf(1) / 5) < mpmath.mpf(10) ** -50
        assert abs(rv - mpmath.mpf(41) / 30) < mpmath.mpf(10) ** -50
    mod = torch.nn.BatchNorm1d(1, momentum=0.1, dtype=torch.float64)
    mod(torch.tensor([[0.0], [1.0], [2.0], [5.0]], dtype=torch.float64))
    assert abs(mod.running_mean.item() - 0.2) < 1e-15 and abs(mod.running_var.item() - 41 / 30) < 1e-15


def test_stated_mappings_reproduce_what_torch_batchnorm1d_stores_for_identical_and_different_batches():
    out = check_mapping(k_max=4)
    assert out["ok"] and not out["refuted"] and 0 <= out["max_error_over_bound"] <= 1.0
    assert {(r["framework"], r["scenario"]) for r in out["rows"]} == {
        (fw, sc) for fw in ("cntk", "flax", "keras") for sc in ("identical", "different")}
    assert out["variance_compared"] == {"cntk": False, "flax": True, "keras": True}


@pytest.mark.parametrize("wrong", sorted(WRONG_MAPPINGS))
def test_a_planted_wrong_mapping_is_refuted_by_the_same_check_with_a_certificate(wrong):
    out = check_mapping(k_max=3, mappings=WRONG_MAPPINGS[wrong])
    assert not out["ok"] and out["refuted"] and out["certificate"]["certified"]
    assert out["max_error_over_bound"] > 1e6
