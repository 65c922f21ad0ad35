"""Tests for conformance.conventions (the framework table and its momentum mapping)."""
from fractions import Fraction

import mpmath

from conformance.conventions import FRAMEWORKS, check_mapping, render_table, torch_momentum_from


def test_table_names_every_framework_and_renders_as_markdown():
    text = render_table()
    for fw in ("PyTorch", "Keras", "Flax", "CNTK"):
        assert fw in text
    assert len(FRAMEWORKS) == 4 and text.startswith("| framework")


def test_keras_momentum_point_nine_is_torch_momentum_point_one():
    assert torch_momentum_from("keras", Fraction(9, 10)) == Fraction(1, 10)


def test_cntk_time_constant_maps_to_one_minus_exp_of_minus_m_over_t():
    assert abs(torch_momentum_from("cntk", mpmath.mpf(10), 10) - (1 - mpmath.exp(-1))) < mpmath.mpf(10) ** -14


def test_simulated_identical_batches_agree_under_the_mapping_and_not_without_it():
    out = check_mapping(k_max=4)
    assert out["ok"]
    first = out["rows"][0]
    assert first["torch_mean"] == first["keras_mean(q=1-p)"] != first["keras_mean(q=p, unmapped)"]
