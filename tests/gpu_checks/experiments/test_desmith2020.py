"""Tests for gpu_checks.experiments.desmith2020: the residual recursion against an independent numpy
float64 implementation, the linear (BN) and doubling (no normalization) growth of De & Smith 2020, and the
measurement contract."""
import json
import statistics

import numpy as np
import pytest
import torch

from bnclaims.gpu_checks.experiments.desmith2020 import residual_second_moment
from bnclaims.tolerances import tol

TOL = {k: tol(f"experiments.desmith2020.{k}") for k in ("reference_rel_fp64", "bn_slope_rel", "none_log2_growth_rel")}


def _numpy_reference(norm, n, b, blocks, seed, eps=1e-5):
    """x_{l+1} = x_l + W_l relu(norm(x_l)) in numpy float64, with the function's draw order (x_0, W_1, ...)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(b, n, generator=gen).double().numpy()
    sm, bv = [np.mean(x ** 2)], [np.mean(x.var(axis=0))]
    for _ in range(blocks):
        w = torch.randn(n, n, generator=gen).double().numpy() * np.sqrt(2.0 / n)
        if norm == "batch":
            z = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
        elif norm == "layer":
            z = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps)
        else:
            z = x
        x = x + np.maximum(z, 0.0) @ w.T
        sm.append(np.mean(x ** 2))
        bv.append(np.mean(x.var(axis=0)))
    return sm, bv


@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
def test_second_moment_and_batch_variance_match_a_numpy_float64_reference(norm):
    out = residual_second_moment({"norm": norm, "width": 24, "batch": 10, "blocks": 6, "dtype": "float64"}, 3)
    sm, bv = _numpy_reference(norm, 24, 10, 6, 3)
    assert np.allclose(out["second_moment"], sm, rtol=TOL["reference_rel_fp64"], atol=0)
    assert np.allclose(out["batch_variance"], bv, rtol=TOL["reference_rel_fp64"], atol=0)


def test_with_bn_on_the_branch_the_second_moment_grows_by_one_per_block():
    out = residual_second_moment({"norm": "batch", "width": 256, "batch": 64, "blocks": 12}, 0)
    assert out["slope"] == pytest.approx(1.0, rel=TOL["bn_slope_rel"]), out["second_moment"]
    # the per-unit batch mean of relu(BN x) becomes a per-unit offset: variance grows more slowly (~1 - 1/pi)
    assert 0.5 < out["batch_variance_slope"] < 0.85 * out["slope"]


def test_without_normalization_the_second_moment_doubles_per_block():
    growth = [residual_second_moment({"norm": "none", "width": 256, "batch": 64, "blocks": 12}, s)["log2_growth"]
              for s in range(3)]
    assert statistics.mean(growth) == pytest.approx(1.0, rel=TOL["none_log2_growth_rel"]), growth


def test_same_config_and_seed_give_identical_json_safe_output_and_seeds_differ():
    config = {"norm": "batch", "width": 16, "batch": 8, "blocks": 4}
    a, b, c = (residual_second_moment(config, s) for s in (5, 5, 6))
    assert a == b and a != c and json.loads(json.dumps(a, allow_nan=False)) == a
    assert a["blocks"] == [0, 1, 2, 3, 4] and len(a["second_moment"]) == 5


@pytest.mark.parametrize("bad, key", [({"norm": "bmlv"}, "norm"), ({"blocks": 1}, "blocks"),
                                      ({"batch": 1}, "batch"), ({"act": "relu"}, "act"),
                                      ({"dtype": "half"}, "dtype"), ({"width": 2.5}, "width")])
def test_a_bad_config_raises_value_error_naming_the_key(bad, key):
    with pytest.raises(ValueError) as err:
        residual_second_moment({"width": 8, "batch": 4, "blocks": 3, **bad}, 0)
    assert f"'{key}'" in str(err.value)


def test_an_overflowing_residual_stream_raises_instead_of_returning_inf():
    with pytest.raises(ValueError, match="not finite"):
        residual_second_moment({"norm": "none", "width": 64, "batch": 4, "blocks": 400}, 0)
