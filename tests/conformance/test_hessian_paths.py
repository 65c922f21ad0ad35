"""Tests for conformance.hessian_paths (torch Hessian paths through training-mode BN)."""
import contextlib
import io
import warnings

from bnclaims.tolerances import tol
from bnclaims.conformance.hessian_paths import REPRODUCER, minimal_reproducer, network_hessians


def test_jacfwd_of_grad_and_double_backward_agree_with_the_hand_written_bn_hessian():
    paths = network_hessians(3)["paths"]
    for name in ("torch.func.jacfwd(grad)", "torch.func.jacrev(grad)", "torch.autograd.functional.hessian"):
        assert paths[name]["rel_frobenius_vs_true"] < 1e-12


def test_minimal_reproducer_certifies_autograd_right_and_reports_torch_func_against_exact_value():
    out = minimal_reproducer()
    assert out["autograd"]["certificate"]["certified"]
    # the torch.func value is certified off exactly when it differs from autograd by more than the tolerance
    assert out["certificate"]["certified"] == (abs(out["path_value"] - out["autograd_value"]) > 1e-6)


def test_the_certified_entry_belongs_to_the_measured_instance():
    thr = tol("conformance.hessian_disagree_rel")
    out = minimal_reproducer()
    assert out["rel_frobenius_vs_true"] == out["measured"]["torch.func.hessian"]["rel_frobenius_vs_true"]
    assert out["certificate"]["certified"] == (out["rel_frobenius_vs_true"] > thr)
    agree = minimal_reproducer(0, "torch.autograd.functional.hessian")
    assert agree["rel_frobenius_vs_true"] < thr and not agree["certificate"]["certified"]


def test_the_pasted_reproducer_prints_the_measured_numbers():
    buf = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(buf):
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        exec(REPRODUCER, {})
    out = minimal_reproducer()
    assert repr(out["path_value"]) in buf.getvalue() and repr(out["autograd_value"]) in buf.getvalue()


def test_reproducer_text_is_runnable_python():
    compile(REPRODUCER, "<reproducer>", "exec")
    assert "torch.func.hessian" in REPRODUCER
