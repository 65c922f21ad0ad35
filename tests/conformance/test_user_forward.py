"""Tests for conformance.user_forward (forward and running-statistics checks of a user's BN)."""
import math

import torch
import torch.nn.functional as F

from bnclaims.conformance.user_cases import UserCase
from bnclaims.conformance.user_forward import (RunningCase, certify_forward, certify_running, evaluate_forward,
                                      evaluate_running)
from bnclaims.conformance.user_load import from_object


def _unbiased(x, rm, rv, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    var = x.var(dim=0, unbiased=True) if training else rv
    mu = x.mean(dim=0) if training else rm
    return (x - mu) / torch.sqrt(var + eps) * weight + bias


def _no_update(x, rm, rv, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    return F.batch_norm(x, rm.clone(), rv.clone(), weight, bias, training, momentum, eps)


def _fails(x, *args, **kwargs):
    raise ValueError("kernel not built")


def _case(training=True, dtype="float64"):
    return UserCase(dtype, training, 2, (), ((0.0, 1.0, (0, 1)),), (1.0,), (0.0,), 1e-5,
                    () if training else ((1, 4.0),))


def test_torch_forward_is_within_the_bound_in_train_and_eval_mode():
    for training in (True, False):
        for dtype in ("float64", "float16"):
            w = evaluate_forward(from_object(F.batch_norm), _case(training, dtype))
            assert w["ratio"] <= 1.0 and certify_forward(_case(training, dtype), w)["certified"] is False


def test_the_unbiased_normalization_is_certified_at_two_samples():
    w = evaluate_forward(from_object(_unbiased), _case())
    assert w["ratio"] > 1.0 and abs(w["value"] + 2 ** -0.5) < 1e-5
    assert certify_forward(_case(), w)["certified"] is True


def test_an_implementation_that_raises_is_a_violation_with_its_message():
    w = evaluate_forward(from_object(_fails), _case())
    assert w["ratio"] == math.inf and "ValueError: kernel not built" in w["error"]
    assert certify_forward(_case(), w)["certified"] is True


def _running(momentum=0.1, batches=(((0, 1, 3),), ((2, -1, 5),))):
    return RunningCase("float64", momentum, 3, (), 0.0, 1.0, 1e-5, batches)


def test_torch_running_statistics_hold_including_the_cumulative_average():
    bn1d = from_object(torch.nn.BatchNorm1d)
    assert bn1d.cumulative and evaluate_running(bn1d, _running(None))["ratio"] <= 1.0
    w = evaluate_running(from_object(F.batch_norm), _running(0.3))
    assert w["ratio"] <= 1.0 and certify_running(_running(0.3), w)["certified"] is False


def test_running_statistics_that_are_never_written_back_are_certified_wrong():
    w = evaluate_running(from_object(_no_update), _running(0.3))
    assert w["ratio"] > 1.0 and certify_running(_running(0.3), w)["certified"] is True


def test_missing_running_statistics_certify_against_a_finite_reference():
    w = evaluate_running(from_object(_fails), _running())
    assert w["ratio"] == math.inf
    cert = certify_running(_running(), w)
    assert cert["certified"] is True and "finite" in cert["kind"]
