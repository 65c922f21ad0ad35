"""Tests for conformance.user_bn (``bnclaims conform``): torch passes, user-side bugs are refuted.

The buggy implementations live in ``docs/examples/buggy_bn.py`` (none of them is a planted bug of
``conformance/planted.py``); they are checked through the command-line path, ``cmd_conform``
in-process, as a user would run ``bnclaims conform docs/examples/buggy_bn.py:NAME``.
"""
import argparse
import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from bnclaims.conform_cli import CHECK_CHOICES, DTYPE_CHOICES, cmd_conform
from bnclaims.errors import BadInput
from bnclaims.verdicts import Verdict
from bnclaims.conformance.user_bn import CHECKS, DTYPES, conform, load_bn
from bnclaims.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
BUGGY = ROOT / "docs" / "examples" / "buggy_bn.py"


def _cli(spec, tmp_path, *dtypes, checks=None):
    out = tmp_path / "report.json"
    args = argparse.Namespace(spec=spec, dtype=list(dtypes) or None, check=checks, seed=20251122,
                              preset="quick", json=str(out))
    code = cmd_conform(args)
    return code, json.loads(out.read_text())


def _verdicts(report):
    return {(r["check"], r["dtype"]): r["verdict"] for r in report["results"]}


def _assert_certified_and_shrunk(report, check, dtype, max_values=4):
    res = next(r for r in report["results"] if r["check"] == check and r["dtype"] == dtype)
    assert res["verdict"] == "refuted", res
    cx = res["evidence"]["counterexample"]
    assert cx["certificate"]["certified"] is True and cx["shrunk"] is True
    assert cx["features"] == 1 and cx["samples"] * max(1, len(cx["shape"]) - 1) <= max_values, cx["shape"]
    lo, hi = (float(v) for v in cx["certificate"]["interval"])
    assert 0 < lo <= hi
    return cx


@pytest.mark.parametrize("spec", ["torch.nn.functional:batch_norm", "torch.nn:BatchNorm1d"])
def test_torch_batch_norm_holds_at_every_dtype_and_exits_zero(spec, tmp_path, capsys):
    code, report = _cli(spec, tmp_path)
    assert code == 0 and report["exit_code"] == 0
    assert (report["schema_version"], report["kind"]) == (SCHEMA_VERSION, "conform") and "git_commit" in report
    assert set(_verdicts(report).values()) == {"holds"}, _verdicts(report)
    assert set(_verdicts(report)) == {(c, d) for c in CHECKS for d in DTYPES}
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert sum(line.split()[:2] in ([c, d] for c in CHECKS for d in DTYPES) for line in lines if line) == 20


def test_unbiased_variance_in_training_normalization_is_refuted_with_a_certified_two_sample_counterexample(
        tmp_path, capsys):
    code, report = _cli(f"{BUGGY}:unbiased_variance_bn", tmp_path, "float64", "float16")
    assert code == 1 and report["exit_code"] == 1
    v = _verdicts(report)
    assert v[("forward_eval", "float64")] == v[("running_stats", "float64")] == "holds"
    for dtype in ("float64", "float16"):   # each dtype has its own smallest failing input
        cx = _assert_certified_and_shrunk(report, "forward_train", dtype)
        assert cx["dtype"] == dtype and cx["shape"] == [2, 1]
        assert report["smallest_counterexample_per_dtype"][dtype]["certificate"]["certified"] is True
    out = capsys.readouterr().out
    assert "float16: smallest counterexample (forward_train, shape (2, 1))" in out
    assert all(len(line) <= 100 for line in out.splitlines())


def test_a_backward_without_the_mean_gradient_term_is_refuted_by_the_derivative_checks_only(tmp_path):
    code, report = _cli(f"{BUGGY}:mean_grad_dropped_bn", tmp_path, "float64", "float32")
    assert code == 1
    v = _verdicts(report)
    for dtype in ("float64", "float32"):
        assert {v[(c, dtype)] for c in ("forward_train", "forward_eval", "running_stats")} == {"holds"}
        cx = _assert_certified_and_shrunk(report, "gradient", dtype)
        assert cx["numbers"]["what"] == "input" and any(cx["upstream"][0])
        _assert_certified_and_shrunk(report, "hessian", dtype, max_values=6)
    assert report["smallest_counterexample_per_dtype"]["float64"]["check"] == "gradient"


def test_a_module_class_with_keras_momentum_is_refuted_by_the_running_statistics_check():
    report = conform(f"{BUGGY}:FlippedMomentumBN1d", dtypes=("float64",), preset="quick",
                     checks=("forward_train", "running_stats"))
    assert report.verdict("forward_train", "float64") is Verdict.HOLDS
    res = report.result("running_stats", "float64")
    assert res.verdict is Verdict.REFUTED and res.counterexample["certificate"]["certified"]
    assert report.exit_code == 1 and json.dumps(report.to_dict())


def _half_unsupported(x, rm, rv, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if x.dtype == torch.float16:
        raise RuntimeError('"batch_norm" not implemented for \'Half\'')
    return F.batch_norm(x, rm, rv, weight, bias, training, momentum, eps)


def test_an_unsupported_dtype_is_inconclusive_and_says_so_without_hiding_the_others():
    report = conform(_half_unsupported, dtypes=("float64", "float16"), preset="quick", checks=("forward_train",))
    assert report.verdict("forward_train", "float64") is Verdict.HOLDS
    res = report.result("forward_train", "float16")
    assert res.verdict is Verdict.INCONCLUSIVE and res.reason.startswith("dtype unsupported: ")
    assert res.reason.endswith("RuntimeError: \"batch_norm\" not implemented for 'Half'"), res.reason
    assert res.line().startswith("forward_train float16   inconclusive dtype unsupported: RuntimeError")
    assert report.exit_code == 0


class _OnceDifferentiable(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        with torch.enable_grad():
            xd, wd = x.detach().requires_grad_(True), weight.detach().requires_grad_(True)
            out = F.batch_norm(xd, None, None, wd, bias.detach(), True, 0.1, eps)
        ctx.save_for_backward(xd, wd, out)
        return out.detach()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        xd, wd, out = ctx.saved_tensors
        with torch.enable_grad():
            dx, dw = torch.autograd.grad(out, (xd, wd), g)
        return dx, dw, g.sum(dim=[0] + list(range(2, g.dim()))), None


def _no_double_backward(x, rm, rv, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if not training:
        return F.batch_norm(x, rm, rv, weight, bias, False, momentum, eps)
    F.batch_norm(x.detach(), rm, rv, None, None, True, momentum, eps)   # running statistics
    return _OnceDifferentiable.apply(x, weight, bias, eps)


def test_an_implementation_without_double_backward_is_inconclusive_at_the_hessian_only():
    report = conform(_no_double_backward, dtypes=("float64",), preset="quick", checks=("gradient", "hessian"))
    assert report.verdict("gradient", "float64") is Verdict.HOLDS
    res = report.result("hessian", "float64")
    assert res.verdict is Verdict.INCONCLUSIVE and res.reason.startswith("double backward unsupported in float64")


def _crashes_on_large_batches(x, rm, rv, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if x.shape[0] > 3:
        raise IndexError("shared memory tile too small")
    return F.batch_norm(x, rm, rv, weight, bias, training, momentum, eps)


def test_an_exception_on_a_valid_input_is_a_certified_failure_shrunk_to_the_first_failing_size():
    report = conform(_crashes_on_large_batches, dtypes=("float32",), preset="quick", checks=("forward_train",))
    res = report.result("forward_train", "float32")
    assert res.verdict is Verdict.REFUTED
    cx = res.counterexample
    assert cx["shape"] == [4, 1] and "IndexError: shared memory tile too small" in cx["numbers"]["error"]
    assert cx["certificate"]["certified"] and "non-finite" in cx["certificate"]["kind"]


def test_an_object_that_runs_in_no_requested_dtype_is_bad_input():
    with pytest.raises(BadInput, match=r"runs in none of the requested dtypes; .* raised RuntimeError: .*Half"):
        conform(_half_unsupported, dtypes=("float16",), preset="quick")


@pytest.mark.parametrize("spec,message", [
    ("torch.nn.functional.batch_norm", "no ':'"),
    ("torch.nn:", "is not MODULE:ATTR"),
    ("no_such_package_xyz:bn", "no module named 'no_such_package_xyz'"),
    ("docs/examples/missing.py:bn", "no such file"),
    ("torch.nn.functional:no_such_bn", "has no attribute 'no_such_bn'"),
    ("torch.nn:Linear", "cannot construct"),
    ("math:pi", "is a float, not a torch.nn.Module class or a function"),
    ("math:sqrt", "does not take F.batch_norm's arguments"),
    ("json:JSONDecoder", "is a class but not a torch.nn.Module subclass"),
])
def test_a_bad_spec_is_bad_input_with_one_line(spec, message):
    with pytest.raises(BadInput) as info:
        load_bn(spec)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_bad_dtype_and_preset_are_bad_input():
    with pytest.raises(BadInput, match="unknown dtype 'int8'"):
        conform("torch.nn.functional:batch_norm", dtypes=("int8",))
    with pytest.raises(BadInput, match="unknown preset"):
        conform("torch.nn.functional:batch_norm", preset="thorough")


def test_the_cli_choices_mirror_the_library():
    assert DTYPE_CHOICES == DTYPES and CHECK_CHOICES == CHECKS
