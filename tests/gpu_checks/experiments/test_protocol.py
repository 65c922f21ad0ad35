"""Tests for gpu_checks.experiments.protocol: config validation, private randomness, initialization
variances against independent references, the layer, slope fitting and the finiteness guard."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate, special

from bnclaims.gpu_checks.experiments import protocol as P

SPEC = {"n": (4, P.integer(1, 10)), "kind": ("a", P.one_of("a", "b")), "flag": (False, P.boolean),
        "x": (P.REQUIRED, P.real(0.0, strict=True)), "ws": ([2, 3], P.int_list(2, 100, min_len=2)),
        "s2": (None, P.optional(P.real(0.0)))}


def test_parse_config_fills_defaults_and_resolves_device_and_dtype():
    cfg = P.parse_config({"x": 2, "dtype": "float64"}, SPEC, "t")
    assert cfg["n"] == 4 and cfg["kind"] == "a" and cfg["x"] == 2.0 and cfg["s2"] is None
    assert cfg["dtype"] is torch.float64 and cfg["device"] == torch.device("cpu")


@pytest.mark.parametrize("config, key", [
    ({"x": 1, "bogus": 1}, "bogus"), ({}, "x"), ({"x": 0}, "x"), ({"x": float("nan")}, "x"),
    ({"x": 1, "n": 11}, "n"), ({"x": 1, "n": True}, "n"), ({"x": 1, "n": 2.0}, "n"),
    ({"x": 1, "kind": "c"}, "kind"), ({"x": 1, "flag": 1}, "flag"), ({"x": 1, "ws": [2]}, "ws"),
    ({"x": 1, "ws": [2, 1]}, "ws[1]"), ({"x": 1, "s2": -1}, "s2"), ({"x": 1, "dtype": "float16"}, "dtype"),
    ({"x": 1, "device": "tpu"}, "device")])
def test_a_bad_config_raises_value_error_naming_the_key(config, key):
    with pytest.raises(ValueError) as err:
        P.parse_config(config, SPEC, "t")
    assert f"'{key}'" in str(err.value)


def test_a_config_that_is_not_a_dict_is_rejected():
    with pytest.raises(ValueError, match="dict"):
        P.parse_config([("x", 1)], SPEC, "t")


@pytest.mark.parametrize("seed", [-1, 1.0, True, 2 ** 63, "0"])
def test_a_bad_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="seed"):
        P.generator(seed)


def test_draws_are_private_and_identical_across_dtypes():
    state = torch.random.get_rng_state()
    a = P.randn(P.generator(3), (5, 7), {"dtype": torch.float32, "device": torch.device("cpu")})
    b = P.randn(P.generator(3), (5, 7), {"dtype": torch.float64, "device": torch.device("cpu")})
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(a.double(), b)


def _e_dphi2_quad(dphi):
    val, _ = integrate.quad(lambda z: dphi(z) ** 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -np.inf, np.inf)
    return val


def test_default_sigma_w2_of_gelu_and_silu_is_one_over_e_dphi2_by_adaptive_quadrature():
    def dgelu(z):
        return 0.5 * (1 + special.erf(z / math.sqrt(2))) + z * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def dsilu(z):
        s = special.expit(z)
        return s * (1 + z * (1 - s))

    assert P.default_sigma_w2("gelu") == pytest.approx(1 / _e_dphi2_quad(dgelu), rel=1e-10)
    assert P.default_sigma_w2("silu") == pytest.approx(1 / _e_dphi2_quad(dsilu), rel=1e-10)
    assert (P.default_sigma_w2("relu"), P.default_sigma_w2("linear"), P.default_sigma_w2("tanh")) == (2.0, 1.0, 1.0)


def test_init_variances_and_the_sigma_w2_conflict():
    assert P.init_variance("lecun", "relu", None) == 1.0
    assert P.init_variance("torch_default", "relu", None) == pytest.approx(1 / 3)
    assert P.init_variance("variance_preserving", "relu", 0.5) == 0.5
    with pytest.raises(ValueError, match="sigma_w2"):
        P.init_variance("lecun", "relu", 2.0)


def test_torch_default_weights_are_uniform_with_the_nn_linear_bound_and_variance():
    cfg = {"dtype": torch.float64, "device": torch.device("cpu")}
    w = P.weight(P.generator(0), (400, 100), "torch_default", 1 / 3, cfg)
    assert float(w.abs().max()) <= 0.1
    assert float(w.var()) == pytest.approx(1 / 300, rel=0.02)
    g = P.weight(P.generator(0), (400, 100), "variance_preserving", 2.0, cfg)
    assert float(g.var()) == pytest.approx(2 / 100, rel=0.02)


def test_ls_slope_is_exact_on_a_line_and_needs_two_points():
    assert P.ls_slope([1, 2, 3, 4], [3.5, 1.5, -0.5, -2.5]) == pytest.approx(-2.0, abs=1e-14)
    with pytest.raises(ValueError):
        P.ls_slope([1], [2])


def test_finite_returns_floats_and_rejects_nan_and_inf():
    assert P.finite("v", torch.tensor([1.0, 2.0])) == [1.0, 2.0]
    assert P.finite("v", torch.tensor(3.0)) == 3.0
    with pytest.raises(ValueError, match="v is not finite at index 1"):
        P.finite("v", [1.0, math.inf])
    with pytest.raises(ValueError, match="not finite"):
        P.finite("v", float("nan"))


def test_a_gradient_that_vanishes_exactly_is_an_error_not_a_nan():
    cfg = {"dtype": torch.float64, "device": torch.device("cpu")}
    layers = P.build_mlp(P.generator(0), cfg, width=4, depth=2, norm="none", act="linear", sigma_w2=1.0)
    with pytest.raises(ValueError, match="vanished"):
        P.renormalized_backward(layers, torch.ones(3, 4, dtype=torch.float64), torch.zeros(3, 4, dtype=torch.float64))


def test_the_dense_layer_computes_act_norm_of_w_h_plus_the_skip():
    cfg = {"dtype": torch.float64, "device": torch.device("cpu")}
    (layer,) = P.build_mlp(P.generator(1), cfg, width=5, depth=1, norm="layer", act="relu", sigma_w2=2.0, skip=True)
    h = torch.randn(3, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    z = h @ layer.weight.T
    zt = (z - z.mean(1, keepdim=True)) / torch.sqrt(z.var(1, correction=0, keepdim=True) + 1e-5)
    assert torch.allclose(layer(h), h + torch.relu(zt), rtol=0, atol=1e-14)
