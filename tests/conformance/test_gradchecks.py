"""Tests for conformance.gradchecks (gradcheck, gradgradcheck and the reference backward)."""
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bnclaims.conformance.gradchecks import certify_gradient_error, first_grad_gap, sigma_constant_bn, torch_bn_train


def _data():
    x = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)
    one = torch.ones(1, dtype=torch.float64)
    return x, one, 0 * one


def test_all_ones_upstream_cannot_tell_the_sigma_detached_bug_apart():
    x, w, b = _data()
    assert first_grad_gap(sigma_constant_bn, x, w, b, torch.ones_like(x))["ratio"] <= 1.0


def test_random_upstream_exposes_the_sigma_detached_bug_and_torch_passes():
    x, w, b = _data()
    g = torch.tensor([[1.0], [0.0], [-2.0]], dtype=torch.float64)
    assert first_grad_gap(sigma_constant_bn, x, w, b, g)["ratio"] > 1.0
    assert first_grad_gap(torch_bn_train, x, w, b, g)["ratio"] <= 1.0


def test_torch_gradgradcheck_passes_with_random_grad_outputs():
    x, w, b = _data()
    xs = [t.clone().requires_grad_(True) for t in (x, w + 0.5, b)]
    assert torch.autograd.gradgradcheck(torch_bn_train, xs, grad_outputs=(torch.randn(3, 1, dtype=torch.float64),))


def _exact_bound_and_reference(x, w, g, i):
    """The c*kappa*u*scale bound of first_grad_gap and the true dL/dy_i, recomputed at 80 digits."""
    import mpmath
    from bnclaims.tolerances import tol

    ys, gs = x.reshape(-1).tolist(), g.reshape(-1).tolist()
    with mpmath.workdps(80):
        m = len(ys)
        mu = mpmath.fsum(ys) / m
        s = mpmath.sqrt(mpmath.fsum([(mpmath.mpf(v) - mu) ** 2 for v in ys]) / m + mpmath.mpf(1e-5))
        yh = [(v - mu) / s for v in ys]
        gbar = mpmath.fsum(gs) / m
        gy = mpmath.fsum([a * h for a, h in zip(gs, yh)]) / m
        true = w / s * (gs[i] - gbar - yh[i] * gy)
        kappa = 1 + max(abs(v) for v in ys) / s
        bound = tol("conformance.c") * kappa * mpmath.mpf(2) ** -53 * abs(w) / s * 3 * max(abs(a) for a in gs) * m
        return bound, true


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(-50, 50), min_size=2, max_size=7).filter(lambda v: len(set(v)) > 1),
       st.sampled_from([0.0, 3.0, 1e4, 1e8]), st.sampled_from([1.0, 1e-3]), st.integers(0, 2 ** 31))
def test_a_correct_torch_gradient_is_never_certified_as_wrong(grid, offset, scale, seed):
    x = (offset + scale * torch.tensor(grid, dtype=torch.float64)).reshape(-1, 1)
    gen = torch.Generator().manual_seed(seed)
    g = torch.randn(x.shape, generator=gen, dtype=torch.float64)
    w = torch.randn(1, generator=gen, dtype=torch.float64)
    worst = first_grad_gap(torch_bn_train, x, w, 0 * w, g)
    assert not certify_gradient_error(worst, 60)["certified"], worst


def test_certificate_subtracts_the_bound_half_bound_off_is_not_certified_twice_the_bound_is():
    x = torch.tensor([[0.0], [1.0], [3.0], [7.0]], dtype=torch.float64)
    g = torch.tensor([[1.0], [0.0], [-2.0], [0.5]], dtype=torch.float64)
    worst = first_grad_gap(torch_bn_train, x, torch.ones(1, dtype=torch.float64),
                           torch.zeros(1, dtype=torch.float64), g)
    bound, true = _exact_bound_and_reference(x, 1.0, g, worst["index"])
    assert certify_gradient_error({**worst, "value": float(true + 2 * bound)}, 60)["certified"]
    assert not certify_gradient_error({**worst, "value": float(true + bound / 2)}, 60)["certified"]
    assert not certify_gradient_error({**worst, "value": float(true)}, 60)["certified"]


def test_sigma_detached_gradient_is_certified_wrong():
    x, w, b = _data()
    g = torch.tensor([[1.0], [0.0], [-2.0]], dtype=torch.float64)
    worst = first_grad_gap(sigma_constant_bn, x, w, b, g)
    assert certify_gradient_error(worst, 60)["certified"]
