"""Tests for gpu_checks.experiments.santurkar2018_ics: Definition 2.1 of Santurkar et al. 2018 (G' after
updating only the earlier layers, same batch) against closed-form deep-linear gradients in float64 numpy,
the bitwise restoration of the weights, and the measurement contract of ics_training."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from bnclaims.tolerances import tol
from bnclaims.gpu_checks.experiments.santurkar2018_ics import ics_probe, ics_training, weight_layers

TOL = tol("experiments.santurkar2018.ics_closed_form_fp64")
SMALL = {"norm": "batch", "depth": 2, "width": 8, "steps": 4, "probes": 2, "batch": 16}


def _closed_form_grads(ws: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """L = ||W_k..W_1 X - Y||^2 / (2n): dL/dW_i = (W_k..W_{i+1})^T E (W_{i-1}..W_1 X)^T / n, E the residual."""
    n = x.shape[1]
    below = [x]
    for w in ws:
        below.append(w @ below[-1])
    e = (below[-1] - y) / n
    grads = []
    for i in range(len(ws)):
        above = np.eye(ws[-1].shape[0])
        for w in ws[i + 1:][::-1]:
            above = above @ w
        grads.append(above.T @ e @ below[i].T)
    return grads


def _reference(ws, x, y, lr, rho):
    """ICS, relative ICS and cos by a separate explicit update of W_1..W_{i-1} and the closed form."""
    g = _closed_form_grads(ws, x, y)
    steps = [(-lr * gi) if rho is None else (-rho * np.linalg.norm(w) * gi / np.linalg.norm(gi))
             for w, gi in zip(ws, g)]
    out = {"ics": [], "rel_ics": [], "cos": []}
    for i in range(1, len(ws)):
        moved = [w + s for w, s in zip(ws[:i], steps[:i])] + [w.copy() for w in ws[i:]]
        gp = _closed_form_grads(moved, x, y)[i]
        out["ics"].append(np.linalg.norm(g[i] - gp))
        out["rel_ics"].append(np.linalg.norm(g[i] - gp) / np.linalg.norm(g[i]))
        out["cos"].append(float(np.sum(g[i] * gp) / (np.linalg.norm(g[i]) * np.linalg.norm(gp))))
    return out


@pytest.mark.parametrize("rho", [None, 0.05], ids=["sgd step", "matched relative step"])
def test_ics_of_a_deep_linear_net_matches_the_closed_form_gradients(rho):
    rng = np.random.default_rng(3)
    dims = [4, 5, 5, 3, 2]
    ws = [rng.normal(size=(b, a)) / math.sqrt(a) for a, b in zip(dims[:-1], dims[1:])]
    x, y = rng.normal(size=(4, 7)), rng.normal(size=(2, 7))
    params = [nn.Parameter(torch.tensor(w)) for w in ws]
    xt, yt = torch.tensor(x), torch.tensor(y)

    def loss_fn():
        h = xt
        for p in params:
            h = p @ h
        return 0.5 * (h - yt).pow(2).sum() / x.shape[1]

    got = ics_probe(loss_fn, params, lr=0.3, rho=rho)
    ref = _reference(ws, x, y, 0.3, rho)
    for key in ("ics", "rel_ics", "cos"):
        np.testing.assert_allclose(got[key], ref[key], rtol=TOL, atol=TOL, err_msg=key)
    assert max(ref["ics"]) > 1e-3  # the earlier layers' update does change G: the comparison is not vacuous
    if rho is not None:
        np.testing.assert_allclose(got["step_rel"], [rho] * (len(ws) - 1), rtol=1e-12)
    assert all(torch.equal(p.detach(), torch.tensor(w)) for p, w in zip(params, ws))


def test_the_probe_restores_the_weights_bitwise_even_when_the_loss_fails():
    p = [nn.Parameter(torch.randn(3, 3)), nn.Parameter(torch.randn(3, 3))]
    before = [q.detach().clone() for q in p]
    calls = []

    def loss_fn():
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("boom")
        return (p[1] @ p[0]).sum() ** 2

    with pytest.raises(RuntimeError, match="boom"):
        ics_probe(loss_fn, p, lr=0.1, rho=None)
    assert all(torch.equal(a, b) for a, b in zip(p, before))


def test_weight_layers_are_the_matrices_in_forward_order_head_last():
    from bnclaims.gpu_checks.experiments import training as T

    m = T.make_model(arch="mlp", norm="batch", depth=3, width=8, seed=0)
    ws = weight_layers(m)
    assert [tuple(w.shape) for w in ws] == [(8, 64), (8, 8), (8, 8), (10, 8)]


def test_ics_training_reports_per_layer_values_and_leaves_the_model_state_unchanged():
    out = ics_training(SMALL, 0)
    assert out["state_unchanged"] is True and out["layers"] == [2, 3]
    assert out["probe_steps"] == [0, 2] and len(out["matched_ics"]) == 2 and len(out["matched_ics"][0]) == 2
    assert out["matched_step_rel"][0] == pytest.approx([0.01, 0.01], rel=1e-5)  # float32
    assert all(-1 <= c <= 1 for row in out["natural_cos"] for c in row)
    assert out == ics_training(SMALL, 0)  # deterministic given the seed
    assert out != ics_training(SMALL, 1)


def test_bad_configurations_are_refused_with_the_key_named():
    with pytest.raises(ValueError, match="norm"):
        ics_training({"norm": "layer"}, 0)
    with pytest.raises(ValueError, match="rho"):
        ics_training({**SMALL, "rho": 0.0}, 0)
    with pytest.raises(ValueError, match="required"):
        ics_training({}, 0)
