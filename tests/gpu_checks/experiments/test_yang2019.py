"""Tests for gpu_checks.experiments.yang2019: the renormalized profile against one plain float64 backward
pass, the rates of Yang et al. 2019 (Thm 8) and of un-normalized nets as smoke tests, the per-sample
upstream gradient, side-effect freedom and the measurement contract."""
import json
import math
import statistics

import pytest
import torch

from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments.yang2019 import build, gradient_profile
from bnclaims.gpu_checks.nets.normalizers import bn_mode
from bnclaims.tolerances import tol

SMALL = {"width": 32, "batch": 8, "depth": 16, "dtype": "float64"}
TOL = {k: tol(f"experiments.yang2019.{k}") for k in ("profile_abs_fp64", "linear_rate_rel", "none_rate_rel", "constant_upstream_fp32", "constant_upstream_fp64", "fp32_vs_fp64_rate_rel")}


def _plain_profile(config, seed):
    """log ||dL/dh_l||^2 from one autograd backward pass through the whole network (no renormalization)."""
    layers, x, g, _ = build(config, seed)
    hs = [x.clone().requires_grad_(True)]
    with bn_mode("train"):
        for layer in layers:
            hs.append(layer(hs[-1]))
    grads = torch.autograd.grad(hs[-1], hs, g)
    return [math.log(float(t.pow(2).sum())) for t in grads]


@pytest.mark.parametrize("extra", [{"norm": "batch", "act": "relu"}, {"norm": "batch", "act": "linear"},
                                   {"norm": "layer", "act": "tanh"}, {"norm": "none", "act": "relu", "skip": True},
                                   {"norm": "bmlv", "act": "gelu"}, {"norm": "prelayer", "act": "silu"}])
def test_the_renormalized_profile_equals_one_plain_backward_pass_in_float64(extra):
    config = {**SMALL, **extra}
    got = gradient_profile(config, 4)["log_sq_norm"]
    ref = _plain_profile(config, 4)
    err = max(abs(a - b) for a, b in zip(got, ref))
    assert len(got) == 17 and err < TOL["profile_abs_fp64"], f"max |log error| {err:.3g}, config {config}, seed 4"


def test_the_linear_bn_rate_is_close_to_b_minus_2_over_b_minus_3():
    rates = [gradient_profile({"norm": "batch", "act": "linear", "width": 256, "batch": 8, "depth": 30}, s)["rate"]
             for s in range(3)]
    mean = statistics.mean(rates)
    assert mean == pytest.approx(6 / 5, rel=TOL["linear_rate_rel"]), f"rates {rates}, prediction 1.2"


@pytest.mark.parametrize("init, expected", [("lecun", 0.5), ("variance_preserving", 1.0)])
def test_without_normalization_relu_rate_is_half_under_lecun_and_one_under_he(init, expected):
    config = {"norm": "none", "act": "relu", "width": 256, "batch": 16, "depth": 30, "init": init}
    rates = [gradient_profile(config, s)["rate"] for s in range(2)]
    assert statistics.mean(rates) == pytest.approx(expected, rel=TOL["none_rate_rel"]), f"rates {rates}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_constant_upstream_gradient_is_annihilated_by_the_top_bn_layer(dtype):
    """P 1 = 0: below the top BN layer only rounding remains; the per-sample upstream keeps O(1)."""
    config = {"norm": "batch", "act": "linear", "width": 64, "batch": 8, "depth": 14, "dtype": dtype}
    const = gradient_profile({**config, "upstream": "constant"}, 0)["log_sq_norm"]
    gauss = gradient_profile(config, 0)["log_sq_norm"]
    rel_const = math.exp(0.5 * (const[-2] - const[-1]))
    rel_gauss = math.exp(0.5 * (gauss[-2] - gauss[-1]))
    assert rel_const < TOL[f"constant_upstream_fp{dtype[-2:]}"] and rel_gauss > 0.5, (rel_const, rel_gauss)


def test_running_statistics_are_left_bit_identical():
    layers, x, g, _ = build({"norm": "batch", "width": 16, "batch": 8, "depth": 14}, 0)
    snap = [{k: b.clone() for k, b in layer.norm.named_buffers()} for layer in layers]
    P.renormalized_backward(layers, x, g)
    assert all(snap_l.keys() == dict(layer.norm.named_buffers()).keys() and
               all(torch.equal(b, snap_l[k]) for k, b in layer.norm.named_buffers())
               for snap_l, layer in zip(snap, layers))
    layers[0](x)  # witness: outside bn_mode a training-mode normalizer does write its statistics
    assert not torch.equal(snap[0]["running_mean"], layers[0].norm.running_mean)


def test_same_config_and_seed_give_identical_json_safe_output_and_seeds_differ():
    config = {"norm": "batch", "act": "relu", "width": 32, "batch": 8, "depth": 14}
    state = torch.random.get_rng_state()
    a, b, c = gradient_profile(config, 1), gradient_profile(config, 1), gradient_profile(config, 2)
    assert a == b and a != c
    assert torch.equal(torch.random.get_rng_state(), state), "the global RNG state was touched"
    assert json.loads(json.dumps(a, allow_nan=False)) == a
    assert a["fit_range"] == [8, 9] and len(a["forward_sq_norm"]) == 15 and a["sigma_w2"] == 2.0


def test_float32_and_float64_see_the_same_network():
    config = {"norm": "batch", "act": "relu", "width": 64, "batch": 16, "depth": 20}
    r32, r64 = (gradient_profile({**config, "dtype": d}, 0)["rate"] for d in ("float32", "float64"))
    assert r32 == pytest.approx(r64, rel=TOL["fp32_vs_fp64_rate_rel"])


def test_the_rate_is_exp_of_minus_the_fitted_slope_over_the_stated_range():
    out = gradient_profile({"width": 32, "batch": 8, "depth": 20}, 0)
    lo, hi = out["fit_range"]
    assert (lo, hi) == (8, 15)
    assert out["slope"] == pytest.approx(P.ls_slope(range(lo, hi + 1), out["log_sq_norm"][lo:hi + 1]), abs=1e-12)
    assert out["rate"] == pytest.approx(math.exp(-out["slope"]), rel=1e-12)


@pytest.mark.parametrize("bad, key", [({"depth": 13}, "depth"), ({"norm": "batchnorm"}, "norm"),
                                      ({"act": "elu"}, "act"), ({"width": 0}, "width"), ({"skip": 1}, "skip"),
                                      ({"init": "lecun", "sigma_w2": 2.0}, "sigma_w2"), ({"batch": 1}, "batch"),
                                      ({"dtype": "bfloat16"}, "dtype"), ({"loss": "mse"}, "loss"),
                                      ({"input": "digits"}, "input"), ({"sigma_w2": 0}, "sigma_w2")])
def test_a_bad_config_raises_value_error_naming_the_key(bad, key):
    with pytest.raises(ValueError) as err:
        gradient_profile({"width": 8, "batch": 4, "depth": 14, **bad}, 0)
    assert f"'{key}'" in str(err.value)


def test_an_overflowing_forward_pass_raises_instead_of_returning_inf():
    with pytest.raises(ValueError, match="not finite"):
        gradient_profile({"norm": "none", "act": "relu", "width": 16, "batch": 4, "depth": 14, "sigma_w2": 1e6}, 0)
