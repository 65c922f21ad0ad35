"""Tests for gpu_checks.experiments.rao_batch_size: accuracy with running against test-batch statistics
(Rao & Sohl-Dickstein Fig. 5), the degenerate test batches 1 and 2, and the measurement contract."""
import json

import pytest
import torch

from bnclaims.tolerances import tol
from bnclaims.gpu_checks.experiments import rao_batch_size as R
from bnclaims.gpu_checks.experiments.training import load_split, make_model, train

SMALL = {"depth": 1, "width": 16, "steps": 20, "test_batches": [1, 2, 4, 360], "shuffles": 1}
U32 = torch.finfo(torch.float32).eps / 2
C = tol("experiments.rao_batch_size.pair_c")


@pytest.fixture(scope="module")
def bn_record():
    return R.test_batch_accuracy(dict(SMALL, norm="batch"), 3)


def test_at_test_batch_one_every_image_gets_the_same_logits(bn_record):
    assert bn_record["batch1_logit_spread"] == 0.0
    assert bn_record["acc_batch"][0] == bn_record["batch1_majority"]


def test_at_test_batch_two_each_unit_is_plus_minus_d_over_sqrt_d2_plus_eps(bn_record):
    assert bn_record["pair_exact_dev"] <= C * U32, bn_record
    assert bn_record["pair_sum_dev"] <= C * U32, bn_record


def test_at_eps_zero_test_batch_two_makes_every_unit_exactly_plus_minus_one():
    split = load_split("digits")
    model = make_model(arch="mlp", norm="batch", depth=2, width=8, seed=1)
    train(model, split, steps=5, lr=0.1, batch=32, seed=1)
    for mod in model.modules():
        if isinstance(mod, R.Normalizer):
            mod.eps = 0.0
    out = R._pair_deviation(model, split.x_test, torch.Generator().manual_seed(0))
    assert out["pair_exact_dev"] <= C * U32, out  # |yhat| = d/sqrt(d^2) = 1 up to rounding


def test_running_statistics_are_untouched_and_the_largest_batch_is_close_to_them(bn_record):
    assert bn_record["buffers_unchanged"] is True
    assert bn_record["gap"] == [bn_record["acc_running"] - a for a in bn_record["acc_batch"]]
    assert abs(bn_record["gap"][-1]) < 0.1 and bn_record["gap"][0] > 0.3, bn_record


def test_layernorm_accuracy_does_not_depend_on_the_test_batch():
    rec = R.test_batch_accuracy(dict(SMALL, norm="layer"), 3)
    assert rec["gap"] == [0.0] * len(rec["gap"]), rec


def test_the_record_is_json_safe(bn_record):
    assert json.loads(json.dumps(bn_record)) == bn_record


@pytest.mark.parametrize("bad", [{"test_batches": [400, 1]}, {"norm": "foo"}, {"arch": "wrn"}, {"shuffles": 0},
                                 {"unknown": 1}])
def test_bad_configurations_are_rejected_with_a_clear_error(bad):
    with pytest.raises(ValueError):
        R.test_batch_accuracy(dict(SMALL, **bad), 0)
