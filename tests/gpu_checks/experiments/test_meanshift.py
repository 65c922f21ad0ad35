"""Tests for gpu_checks.experiments.meanshift: the mean pairwise cosine against a pair-by-pair reference,
the mean-shift ordering of catalog C30 (none and LN climb toward 1, BN stays near 1/pi), and the
measurement contract."""
import json
import math

import numpy as np
import pytest

from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments.meanshift import pairwise_cosine
from bnclaims.tolerances import tol

TOL = {k: tol(f"experiments.meanshift.{k}") for k in ("cosine_abs_fp64", "bn_cosine_abs")}


def test_the_cosine_is_the_mean_over_distinct_pairs_of_the_post_activation_layers():
    out = pairwise_cosine({"norm": "layer", "width": 10, "batch": 6, "depth": 3, "dtype": "float64"}, 1)
    cfg = P.parse_config({"dtype": "float64"}, {}, "test")
    gen = P.generator(1)
    x = P.randn(gen, (6, 10), cfg)
    layers = P.build_mlp(gen, cfg, width=10, depth=3, norm="layer", act="relu", sigma_w2=2.0)
    ref = []
    for h in P.forward(layers, x):
        u = h.numpy()
        ref.append(np.mean([u[a] @ u[b] / (np.linalg.norm(u[a]) * np.linalg.norm(u[b]))
                            for a in range(6) for b in range(6) if a != b]))
    assert np.allclose(out["cosine"], ref, rtol=0, atol=TOL["cosine_abs_fp64"])
    assert out["depths"] == [1, 2, 3]


def test_without_batch_centring_independent_inputs_align_and_with_bn_they_stay_at_one_over_pi():
    config = {"width": 128, "batch": 32, "depth": 20}
    deep = {k: pairwise_cosine({**config, "norm": k}, 0)["cosine"] for k in ("none", "layer", "batch")}
    assert min(deep["none"][-1], deep["layer"][-1]) > 0.85 > 0.5 > deep["batch"][-1], deep
    assert max(abs(c - 1 / math.pi) for c in deep["batch"]) < TOL["bn_cosine_abs"], deep["batch"]


def test_same_config_and_seed_give_identical_json_safe_output_and_seeds_differ():
    config = {"norm": "batch", "width": 16, "batch": 4, "depth": 3}
    a, b, c = (pairwise_cosine(config, s) for s in (0, 0, 1))
    assert a == b and a != c and json.loads(json.dumps(a, allow_nan=False)) == a


@pytest.mark.parametrize("bad, key", [({"batch": 1}, "batch"), ({"norm": "bn"}, "norm"), ({"depth": 0}, "depth"),
                                      ({"sigma_w2": 2.0}, "sigma_w2"), ({"device": "gpu"}, "device")])
def test_a_bad_config_raises_value_error_naming_the_key(bad, key):
    with pytest.raises(ValueError) as err:
        pairwise_cosine({"width": 8, "batch": 4, "depth": 2, **bad}, 0)
    assert f"'{key}'" in str(err.value)
