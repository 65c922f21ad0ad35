"""Tests for conformance.hessian_paths (torch Hessian paths through training-mode BN)."""
from conformance.hessian_paths import REPRODUCER, minimal_reproducer, network_hessians


def test_jacfwd_of_grad_and_double_backward_agree_with_the_hand_written_bn_hessian():
    paths = network_hessians(3)["paths"]
    for name in ("torch.func.jacfwd(grad)", "torch.func.jacrev(grad)", "torch.autograd.functional.hessian"):
        assert paths[name]["rel_frobenius_vs_true"] < 1e-12


def test_minimal_reproducer_certifies_autograd_right_and_reports_torch_func_against_exact_value():
    out = minimal_reproducer()
    assert out["autograd_on_certificate"]["certified"]
    # the torch.func value is certified off exactly when it differs from autograd by more than the tolerance
    assert out["func_off_certificate"]["certified"] == (abs(out["torch_func_hessian"] - out["autograd_hessian"]) > 1e-6)


def test_reproducer_text_is_runnable_python():
    compile(REPRODUCER, "<reproducer>", "exec")
    assert "torch.func.hessian" in REPRODUCER
