"""Tests for conformance.user_cases (inputs of the user-BN checks and the search driver)."""
import math

import torch

from bnclaims.verdicts import Verdict
from bnclaims.conformance.user_cases import UserCase, channel_values, input_of, run_check, tensor_of, user_cases
from bnclaims.numerics.search import shrink


def test_tensor_layout_round_trips_per_channel():
    case = UserCase("float32", True, 2, (2, 2), ((0.0, 1.0, tuple(range(8))), (3.0, 0.5, tuple(range(8, 16)))),
                    (1.0, 1.0), (0.0, 0.0), 1e-5)
    x = input_of(case)
    assert x.shape == (2, 2, 2, 2) and x.dtype == torch.float32
    assert channel_values(x, 1) == [3.0 + 0.5 * k for k in range(8, 16)]
    assert channel_values(tensor_of(case, [[1.0] * 8, [2.0] * 8], torch.float64), 0) == [1.0] * 8


def test_cases_shrink_to_the_plainest_input():
    strat = user_cases("float64", training=False, layouts=[(), (2,)], affine=True, upstream=True)
    case = shrink(strat, lambda c: True, seed=0, max_examples=20)
    assert (case.m, len(case.channels), case.spatial, case.channels[0][:2]) == (2, 1, (), (0.0, 1.0))
    assert (case.gamma, case.beta, case.eps, case.upstream) == ((1.0,), (0.0,), 1e-5, ((0, 0),))


def _toy(threshold):
    def evaluate(case):
        big = max(abs(k) for k in case.channels[0][2])
        return {"ratio": big / threshold, "value": float(big)}
    return evaluate


def test_run_check_holds_refutes_only_with_a_certificate_and_otherwise_says_why():
    strat = user_cases("float64", training=True, layouts=[()], affine=False)
    args = dict(n=20, seed=1, shrink_examples=100, scope="toy")
    held = run_check("forward_train", "float64", strat, _toy(100), lambda c, w: {}, **args)
    assert held.verdict is Verdict.HOLDS and held.evidence["cases"] == 20
    ref = run_check("forward_train", "float64", strat, _toy(3), lambda c, w: {"certified": True}, **args)
    assert ref.verdict is Verdict.REFUTED
    assert ref.counterexample["numbers"]["value"] == 4.0 and ref.counterexample["shape"] == [2, 1]
    unc = run_check("forward_train", "float64", strat, _toy(3), lambda c, w: {"certified": False}, **args)
    assert unc.verdict is Verdict.INCONCLUSIVE and "not certified" in unc.reason
    assert not math.isnan(unc.evidence["max_error_over_bound"])
