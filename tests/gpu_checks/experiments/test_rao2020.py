"""Tests for gpu_checks.experiments.rao2020: the relative mean of x and Wx (Rao & Sohl-Dickstein §3.1),
the noisy-copy correlation (§4.1) against a brute-force reference and its ordering across normalizers,
the conv gradient ranking (§4.3) and the measurement contract of all three."""
import json
import math
import statistics

import numpy as np
import pytest
import torch

from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments.rao2020 import conv_gradient_ranking, noisy_copy_correlation, relative_mean
from bnclaims.tolerances import tol

TOL = {k: tol(f"experiments.rao2020.{k}") for k in ("relmean_x_rel", "loglog_slope_abs", "pearson_abs_fp64")}
SMALL = [(relative_mean, {"widths": [8, 16], "batch": 4}),
         (noisy_copy_correlation, {"width": 16, "batch": 4, "depth": 3}),
         (conv_gradient_ranking, {"channels": 4, "depth": 3, "batch": 8})]


def test_relu_features_have_relative_mean_one_over_sqrt_pi():
    out = relative_mean({"widths": [256, 1024], "batch": 64}, 0)
    assert out["relmean_x"][1] == pytest.approx(1 / math.sqrt(math.pi), rel=TOL["relmean_x_rel"]), out


def test_the_relative_mean_of_wx_falls_like_one_over_sqrt_n():
    slopes = [relative_mean({"widths": [64, 256, 1024, 4096], "batch": 64}, s)["loglog_slope_wx"] for s in range(3)]
    assert statistics.mean(slopes) == pytest.approx(-0.5, abs=TOL["loglog_slope_abs"]), slopes


def test_the_noisy_copy_correlation_is_the_pearson_correlation_of_the_flattened_layers():
    config = {"norm": "batch", "width": 12, "batch": 5, "depth": 3, "noise": 0.3, "dtype": "float64"}
    out = noisy_copy_correlation(config, 2)
    # rebuild the draws in the documented order: x, eps_1, eps_2, W_1..W_L
    cfg = P.parse_config({"dtype": "float64"}, {}, "test")
    gen = P.generator(2)
    x = P.randn(gen, (5, 12), cfg)
    x1, x2 = x + 0.3 * P.randn(gen, (5, 12), cfg), x + 0.3 * P.randn(gen, (5, 12), cfg)
    layers = P.build_mlp(gen, cfg, width=12, depth=3, norm="batch", act="relu", sigma_w2=2.0)
    ref = [np.corrcoef(a.numpy().ravel(), b.numpy().ravel())[0, 1] for a, b in zip(P.forward(layers, x1),
                                                                                   P.forward(layers, x2))]
    assert np.allclose(out["correlation"], ref, rtol=0, atol=TOL["pearson_abs_fp64"])
    assert out["depths"] == [1, 2, 3] and out["noise"] == 0.3 and "Pearson" in out["measure"]


def test_batch_mean_subtraction_decorrelates_noisy_copies_and_the_others_keep_them():
    config = {"width": 128, "batch": 32, "depth": 20}
    deep = {k: noisy_copy_correlation({**config, "norm": k}, 0)["correlation"][-1]
            for k in ("batch", "bmlv", "lmbv", "layer", "none")}
    assert max(deep["batch"], deep["bmlv"]) < 0.5 < 0.75 < min(deep["lmbv"], deep["layer"], deep["none"]), deep
    assert min(deep["layer"], deep["none"]) > 0.95, deep


def test_bn_gradients_grow_toward_the_input_faster_than_without_normalization():
    config = {"channels": 16, "depth": 12, "batch": 32}
    for seed in (0, 1):
        bn, none = (conv_gradient_ranking({**config, "norm": k}, seed)["log_rate"] for k in ("batch", "none"))
        assert bn > none + 0.05, (seed, bn, none)


def test_the_first_conv_layer_is_excluded_from_the_log_rate_fit():
    out = conv_gradient_ranking({"channels": 8, "depth": 6, "batch": 16}, 0)
    logs = [math.log(v) for v in out["grad_times_weight"]]
    assert out["fit_layers"] == [2, 6] and out["layers"] == [1, 2, 3, 4, 5, 6]
    assert out["log_rate"] == pytest.approx(P.ls_slope([-2, -3, -4, -5, -6], logs[1:]), abs=1e-12)
    assert out["log_rate"] != pytest.approx(P.ls_slope([-1, -2, -3, -4, -5, -6], logs), abs=1e-6)
    assert out["grad_times_weight"] == pytest.approx([g * w for g, w in zip(out["grad_norm"], out["weight_norm"])])


@pytest.mark.parametrize("fn, config", SMALL)
def test_same_config_and_seed_give_identical_json_safe_output_and_seeds_differ(fn, config):
    state = torch.random.get_rng_state()
    a, b, c = fn(config, 7), fn(config, 7), fn(config, 8)
    assert a == b and a != c and json.loads(json.dumps(a, allow_nan=False)) == a
    assert torch.equal(torch.random.get_rng_state(), state), "the global RNG state was touched"


@pytest.mark.parametrize("fn, config, bad, key", [
    (relative_mean, {}, {"widths": [64]}, "widths"), (relative_mean, {}, {"widths": [64, 64]}, "widths"),
    (relative_mean, {}, {"norm": "batch"}, "norm"),
    (noisy_copy_correlation, {"width": 8}, {"noise": 0}, "noise"),
    (noisy_copy_correlation, {"width": 8}, {"norm": "rms"}, "norm"),
    (conv_gradient_ranking, {"channels": 4}, {"depth": 2}, "depth"),
    (conv_gradient_ranking, {"channels": 4}, {"batch": 5000}, "batch"),
    (conv_gradient_ranking, {"channels": 4}, {"width": 4}, "width")])
def test_a_bad_config_raises_value_error_naming_the_key(fn, config, bad, key):
    with pytest.raises(ValueError) as err:
        fn({**config, **bad}, 0)
    assert f"'{key}'" in str(err.value)
