"""Tests for conformance.user_report (verdicts per (check, dtype), JSON and the text report)."""
import json

import pytest

from bnclaims.verdicts import Verdict
from bnclaims.conformance.user_report import CheckResult, ConformReport


def _refuted(dtype, shape, check="forward_train"):
    cx = {"shape": shape, "eps": 1e-5, "gamma": [1.0], "beta": [0.0],
          "numbers": {"ratio": 3.0, "what": "output", "index": 0, "channel": 0, "value": -0.7, "reference": "-1",
                      "abs_error": 0.3, "bound": 0.1, "inputs": [0.0, 1.0] * (shape[0] // 2)},
          "certificate": {"kind": "gap > 0", "interval": ["0.2", "0.2"], "certified": True}}
    return CheckResult(check, dtype, Verdict.REFUTED, "toy", {"counterexample": cx})


def test_a_refutation_needs_a_certificate_and_an_inconclusive_verdict_a_reason():
    with pytest.raises(ValueError, match="certified counterexample"):
        CheckResult("gradient", "float32", Verdict.REFUTED, "toy", {"counterexample": {"certified": False}})
    with pytest.raises(ValueError, match="must say why"):
        CheckResult("gradient", "float32", Verdict.INCONCLUSIVE, "toy")


def test_the_report_prints_within_100_columns_and_keeps_the_smallest_counterexample_per_dtype():
    results = [CheckResult("forward_eval", "float64", Verdict.HOLDS, "toy", {"cases": 3, "max_error_over_bound": 0.1}),
               _refuted("float64", [4, 1], "gradient"), _refuted("float64", [2, 1]),
               CheckResult("hessian", "float16", Verdict.INCONCLUSIVE, "toy", reason="x" * 200)]
    rep = ConformReport("m:f", "m.f (function)", 1, "quick", ("float64", "float16"), 60, "2.x", results)
    assert rep.exit_code == 1 and not rep.all_hold
    assert rep.smallest_per_dtype()["float64"].check == "forward_train"
    lines = rep.lines()
    assert all(len(line) <= 100 for line in lines)
    assert "float64: smallest counterexample (forward_train, shape (2, 1))" in lines
    data = json.loads(json.dumps(rep.to_dict()))
    assert data["counts"] == {"holds": 1, "refuted": 2, "inconclusive": 1}
    assert data["smallest_counterexample_per_dtype"]["float64"]["check"] == "forward_train"


def test_only_a_check_that_does_not_apply_keeps_exit_code_zero():
    holds = CheckResult("forward_train", "float64", Verdict.HOLDS, "toy", {"cases": 1})
    na = CheckResult("hessian", "float64", Verdict.INCONCLUSIVE, "toy", reason="double backward unsupported",
                     applies=False)
    uncertified = CheckResult("gradient", "float64", Verdict.INCONCLUSIVE, "toy", reason="not certified")
    assert ConformReport("m:f", "d", 1, "quick", ("float64",), 60, "2.x", [holds, na]).exit_code == 0
    assert ConformReport("m:f", "d", 1, "quick", ("float64",), 60, "2.x", [holds, na, uncertified]).exit_code == 1
