"""Tests for gpu_checks.experiments.hessian_spectra: the reported top eigenvalues against dense exact spectra in
every mode (Rao & Sohl-Dickstein §6, Ghorbani et al. 2019 §4), the float32 + Rayleigh-Ritz path against
float64, the gradient fractions, the SLQ record, untouched running statistics and the measurement contract."""
import json
import math

import numpy as np
import pytest
import torch

from bnclaims.tolerances import tol
from bnclaims.gpu_checks.curvature.dense_hessian import dense_hessian
from bnclaims.gpu_checks.curvature.functional_loss import buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.experiments import training as T
from bnclaims.gpu_checks.experiments.hessian_spectra import (analysis_batch, hessian_loss, spectra_through_training,
                                                   top_eigenpairs)
from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments.hessian_spectra import SPEC

TINY = {"depth": 2, "width": 6, "steps": 0, "checkpoints": [0], "hessian_batch": 48, "ks": [2, 3, 4]}
EXCESS = tol("experiments.hessian_spectra.ritz_excess_rel")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny problems run on one thread, as the grid runs its cells: a second thread only contends."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _exact(model, mode, seed, hb=48):
    split = T.load_split("digits")  # the cell's data (float32), cast to float64 by the loss
    x, y = analysis_batch(split, hb, seed)
    loss = hessian_loss(model, mode, x, y, split.x_train, dtype=torch.float64)
    h = dense_hessian(loss, loss.theta0())
    w, v = torch.linalg.eigh(h)
    return w.flip(0).numpy(), v.flip(1), loss.gradient(loss.theta0())


@pytest.mark.parametrize("norm, mode", [("batch", "train"), ("batch", "population"), ("batch", "eval"),
                                        ("layer", "train"), ("none", "train")])
def test_every_reported_eigenvalue_is_within_its_certified_bound_of_the_exact_spectrum(norm, mode):
    out = spectra_through_training({**TINY, "norm": norm, "modes": [mode], "lanczos_tol": 1e-10}, 3)
    rec = out["spectra"][mode][0]
    model = T.make_model(arch="mlp", norm=norm, depth=2, width=6, seed=3)
    exact, vecs, g = _exact(model, mode, 3)
    ev, res = np.array(rec["eigenvalues"]), np.array(rec["residuals"])
    assert len(ev) == 4 and rec["hvps"] == rec["lanczos_hvps"] > 0 and rec["converged"]
    assert (np.abs(ev - exact[:4]) <= res + EXCESS * abs(exact[0])).all(), (ev, exact[:4], res)
    for i, k in enumerate((2, 3, 4)):  # the log-ratio's error follows from the two certified bounds
        bound = res[0] / ev[0] + res[k - 1] / ev[k - 1] + EXCESS
        assert abs(rec["log_ratio"][i] - math.log(exact[0] / exact[k - 1])) <= bound, (k, rec["log_ratio"], bound)
    frac = [float(((vecs[:, :k].T @ g) ** 2).sum() / (g @ g)) for k in (2, 3, 4)]
    assert rec["grad_fraction"] == pytest.approx(frac, abs=tol("experiments.hessian_spectra.grad_fraction_abs"))
    assert out["buffers_unchanged"] is True


def test_float32_lanczos_with_float64_rayleigh_ritz_matches_float64_lanczos():
    cfg = {**TINY, "norm": "batch", "modes": ["train", "population"], "lanczos_tol": 1e-9}
    a = spectra_through_training(cfg, 1)
    b = spectra_through_training({**cfg, "hessian_dtype": "float32", "lanczos_tol": 1e-6}, 1)
    for mode in ("train", "population"):
        ra, rb = a["spectra"][mode][0], b["spectra"][mode][0]
        scale = abs(ra["eigenvalues"][0])
        assert np.allclose(ra["eigenvalues"], rb["eigenvalues"], rtol=0,
                           atol=tol("experiments.hessian_spectra.refined_vs_fp64_rel") * scale), mode
        assert rb["refine_hvps"] == 4 + SPEC["refine_extra"][0] and rb["hvps"] == rb["lanczos_hvps"] + rb["refine_hvps"]


def test_the_analysis_leaves_trained_running_statistics_bit_identical():
    split = T.load_split("digits")
    model = T.make_model(arch="mlp", norm="batch", depth=2, width=6, seed=0)
    T.train(model, split, steps=5, lr=0.1, batch=32, seed=0)
    cfg = P.parse_config({**TINY, "modes": ["train", "population", "eval"]}, SPEC, "test")
    x, y = analysis_batch(split, 48, 0)
    snap = buffer_snapshot(model)
    for mode in ("train", "population", "eval"):
        top_eigenpairs(model, mode, x, y, split.x_train, cfg, 0)
    assert buffers_identical(model, snap)


def test_training_checkpoints_and_slq_records_have_the_documented_shape():
    cfg = {**TINY, "norm": "batch", "steps": 6, "checkpoints": [0, 3, 6], "batch": 32, "modes": ["train", "population"],
           "slq_modes": ["train", "eval"], "slq_probes": 2, "slq_steps": 8}
    out = spectra_through_training(cfg, 0)
    assert out["checkpoints"] == [0, 3, 6] and len(out["train_loss"]) == 6
    assert {m: len(v) for m, v in out["spectra"].items()} == {"train": 3, "population": 3}
    assert set(out["slq"]) == {"train", "eval"}
    s = out["slq"]["eval"]
    assert np.array(s["nodes"]).shape == (2, 8) and np.allclose(np.array(s["weights"]).sum(1), 1.0)
    assert s["hvps"] == 16 and 0 <= out["test_accuracy"]["running_statistics"] <= 1
    # training changed the model between checkpoints
    assert out["spectra"]["train"][0]["eigenvalues"] != out["spectra"]["train"][2]["eigenvalues"]


def test_same_config_and_seed_give_identical_json_safe_output_and_seeds_differ():
    cfg = {**TINY, "norm": "layer", "steps": 2, "checkpoints": [0, 2], "batch": 32, "ks": [2]}
    state = torch.random.get_rng_state()
    a, b, c = (spectra_through_training(cfg, s) for s in (7, 7, 8))
    assert a == b and a != c and json.loads(json.dumps(a, allow_nan=False)) == a
    assert torch.equal(torch.random.get_rng_state(), state), "the global RNG state was touched"


def test_every_arm_of_a_seed_shares_the_analysis_batch():
    split = T.load_split("digits")
    x1, y1 = analysis_batch(split, 64, 5)
    x2, y2 = analysis_batch(split, 64, 5)
    x3, _ = analysis_batch(split, 64, 6)
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and not torch.equal(x1, x3)


@pytest.mark.parametrize("bad, match", [
    ({"checkpoints": [5, 0]}, "increasing"), ({"checkpoints": [0, 700]}, "<= steps"),
    ({"norm": "layer", "modes": ["population"]}, "batch-statistics"), ({"norm": "none", "slq_modes": ["eval"]}, "batch-"),
    ({"modes": ["train", "train"]}, "twice"), ({"modes": ["inference"]}, "modes"), ({"data": "cifar_shaped"}, "mlp"),
    ({"arch": "wrn"}, "image data"), ({"lr": 0}, "lr"), ({"ks": [11, 9]}, "increasing"), ({"hessian_batch": 5000}, "hessian_batch"),
    ({"unknown": 1}, "unknown config key")])
def test_bad_configurations_are_refused_with_a_message_naming_them(bad, match):
    with pytest.raises(ValueError, match=match):
        spectra_through_training({**TINY, **bad}, 0)


@pytest.mark.slow
def test_the_gpu_design_path_runs_on_a_small_wide_resnet_with_float32_lanczos_and_population_statistics():
    cfg = {"arch": "wrn", "depth": 8, "width": 1, "data": "digits_image", "steps": 1, "checkpoints": [0, 1],
           "batch": 8, "hessian_batch": 8, "ks": [2], "norm": "batch", "modes": ["train", "population"],
           "hessian_dtype": "float32", "max_hvps": 30, "lanczos_tol": 1e-4}
    out = spectra_through_training(cfg, 0)
    for mode in ("train", "population"):
        for rec in out["spectra"][mode]:
            assert rec["refine_hvps"] == 2 + SPEC["refine_extra"][0] and all(r >= 0 for r in rec["residuals"])
    assert out["buffers_unchanged"] is True
