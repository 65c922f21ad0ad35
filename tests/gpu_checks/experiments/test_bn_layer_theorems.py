"""Tests for gpu_checks.experiments.bn_layer_theorems: Santurkar's Thm 4.1/4.2 at every BN layer, against a
dense float64 Hessian, in float64 and float32, MLP and conv, with the false twins far outside tolerance."""
import json

import pytest
import torch

from bnclaims.gpu_checks.experiments import bn_layer_theorems as T
from bnclaims.gpu_checks.experiments.training import load_split, loss_of, make_model
from bnclaims.gpu_checks.nets.normalizers import Normalizer, bn_mode

MLP = {"depth": 2, "width": 8, "batch": 16, "steps": 5, "units": 1}
CONV = {"arch": "wrn", "data": "digits_image", "depth": 8, "width": 1, "batch": 2, "steps": 0, "units": 0}


@pytest.mark.parametrize("config", [dict(MLP, dtype="float64"), MLP, dict(CONV, dtype="float64")],
                         ids=["mlp-float64", "mlp-float32", "conv-float64"])
def test_both_theorems_hold_within_rounding_and_their_twins_do_not(config):
    rec = T.layer_theorems(config, 0)
    assert rec["thm41_identity"] <= 1 and rec["thm41_bound"] <= 1 and rec["thm42_identity"] <= 1, rec["worst_thm42"]
    assert rec["thm41_twin"] > 1e2 and rec["thm42_twin"] > 1e2, rec
    assert rec["buffers_unchanged"] is True and rec["units_checked"] > 0
    assert json.loads(json.dumps(rec)) == rec


def test_the_hvp_quadratic_form_matches_a_dense_float64_hessian():
    split = load_split("digits", dtype=torch.float64)
    model = make_model(arch="mlp", norm="batch", depth=2, width=3, seed=4, dtype=torch.float64)
    xb, yb = split.x_train[:5], split.y_train[:5]
    res = T.analyze(model, xb, yb, units=1, seed=0)
    norm = [m for m in model.modules() if isinstance(m, Normalizer)][1]
    box = {}
    norm.register_forward_pre_hook(lambda mod, inp: box.setdefault("y", inp[0].detach()) is None or None)
    with bn_mode("train"):
        loss_of(model, xb, yb)
    y0 = box["y"]

    def lhat(y):
        h = norm.register_forward_pre_hook(lambda mod, inp: (y,))
        try:
            with bn_mode("train"):
                return loss_of(model, xb, yb)
        finally:
            h.remove()

    dense = torch.autograd.functional.hessian(lhat, y0).reshape(y0.numel(), -1)
    v = torch.autograd.functional.jacobian(lhat, y0).reshape(-1)
    exact = float(v @ dense @ v)
    got = res["layers"][1]["thm42"]["directions"][0]["lhs"]
    assert got == pytest.approx(exact, rel=1e-10, abs=1e-300), (got, exact)


def test_the_printed_eps_zero_forms_miss_by_far_more_than_float32_rounding():
    rec = T.layer_theorems(MLP, 1)
    assert rec["thm41_eps0_rel"] > 1e3 * T.unit_roundoff(torch.float32), rec


@pytest.mark.parametrize("bad", [{"arch": "wrn"}, {"batch": 1}, {"units": -1}, {"extra": 0}])
def test_bad_configurations_are_rejected_with_a_clear_error(bad):
    with pytest.raises(ValueError):
        T.layer_theorems(dict(MLP, **bad), 0)
