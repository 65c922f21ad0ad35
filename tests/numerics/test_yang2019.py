"""Tests for numerics.yang2019: Thm 8's ReLU rate table and limit, the finite-B rate of homogeneous
activations, and the Poincare panel of Thm 9 (the generic Gaussian moments: test_activations.py)."""
import mpmath
import numpy as np
import pytest
import sympy as sp

from bnclaims import BadInput, Context, Verdict
from bnclaims.tolerances import tol
from bnclaims.verdicts import has_certificate
from bnclaims.numerics import yang2019 as ny

CTX = Context(preset="quick")


def test_relu_rate_table_holds_with_the_printed_values_and_error_of_order_one_over_b():
    out = ny.check_relu_rate_table(CTX)
    assert out.verdict is Verdict.HOLDS
    for b, printed in {"8": 1.7882, "32": 1.5220, "128": 1.4797}.items():
        assert round(float(out.evidence["table"][b]), 4) == printed
    assert out.evidence["table"]["8"].startswith("1.788189976658748129105491935")
    assert out.evidence["monotone"]["non_decreasing_at"] == []
    from bnclaims.theory.yang2019 import relu_rate_limit          # B (lambda(B) - limit) -> the series' 1/B coefficient
    c1 = float(sp.N(relu_rate_limit()[2], 20))
    assert abs(float(out.evidence["errors_times_B"]["30"]) - c1) < 1e-10
    assert abs(mpmath.mpf(out.evidence["richardson_limit"]) - mpmath.mpf(out.evidence["claimed_limit"])) < 1e-35


@pytest.fixture(scope="module")
def relu_twin():
    """The twin of Thm 8's limit, pi/(pi-2) (one run per module)."""
    return ny.check_relu_rate_table_twin(CTX)


def test_relu_rate_twin_limit_pi_over_pi_minus_2_is_refuted_by_a_disjoint_interval_enclosure(relu_twin):
    out = relu_twin
    assert out.verdict is Verdict.REFUTED and has_certificate(out.evidence)
    lo, hi = (float(v) for v in out.evidence["enclosure"]["lambda"])
    assert hi < float(out.evidence["enclosure"]["claimed"][0]) and lo <= np.pi / (np.pi - 1) <= hi


def test_relu_rate_decreases_from_8_to_4096_in_float_too():
    vals = [float(ny.relu_rate_mp(b, 30)) for b in range(8, 4097, 7)]
    assert all(u > v for u, v in zip(vals, vals[1:]))


def test_enclosure_over_large_batches_contains_the_rate_at_a_million_and_the_limit():
    enc = ny.relu_rate_enclosure("1e-6", 40)
    lo, hi = enc.a, enc.b
    with mpmath.workdps(40):
        for b in (10 ** 6, 10 ** 7, 10 ** 12):
            assert lo <= ny.relu_rate_mp(b, 40) <= hi
        assert lo <= mpmath.pi / (mpmath.pi - 1) <= hi


def test_interval_asin_encloses_mpmath_asin():
    with mpmath.workdps(50):
        for x in ("-0.5", "-1e-3", "0", "0.25"):
            old = mpmath.iv.dps
            mpmath.iv.dps = 50
            try:
                enc = ny._asin_iv(mpmath.iv.mpf(x))
            finally:
                mpmath.iv.dps = old
            assert enc.a <= mpmath.asin(mpmath.mpf(x)) <= enc.b and enc.delta < mpmath.mpf(10) ** -45


def test_homogeneous_rate_gives_relu_and_the_linear_rate_at_every_batch_size():
    with mpmath.workdps(40):
        for b in (4, 5, 8, 33, 1000):
            assert abs(ny.homogeneous_rate_mp(b, 1, 0, 40) - ny.relu_rate_mp(b, 40)) < mpmath.mpf(10) ** -35
            assert abs(ny.homogeneous_rate_mp(b, 1, -1, 40) - mpmath.mpf(b - 2) / (b - 3)) < mpmath.mpf(10) ** -35


def test_activation_rate_gives_finite_batch_rates_for_homogeneous_activations_only():
    relu = ny.activation_rate("relu", batch=8)
    assert relu["finite_batch_rate"].startswith("1.7881899766587481291054919356")
    assert ny.activation_rate("linear", batch=8)["finite_batch_rate"] == "1.2"
    tanh = ny.activation_rate("tanh", batch=8)
    assert tanh["finite_batch_rate"] is None and "not available" in tanh["finite_batch_note"]
    assert tanh["large_batch_rate"].startswith("1.177807232304179623296096739")
    big = ny.activation_rate("abs", batch=10 ** 9)                 # finite-B form tends to the Thm 9 rate
    assert abs(float(big["finite_batch_rate"]) - float(big["large_batch_rate"])) < 1e-7
    with pytest.raises(BadInput, match="B >= 4"):
        ny.activation_rate("relu", batch=3)


def test_abs_finite_batch_rate_matches_a_monte_carlo_of_the_layer_at_batch_8():
    b, n = 8, 200_000
    rng = np.random.default_rng(8)

    def outputs():
        u = rng.standard_normal((n, b))
        u -= u.mean(axis=1, keepdims=True)
        return np.sqrt(b) * u / np.linalg.norm(u, axis=1, keepdims=True)

    pc = np.eye(b) - np.ones((b, b)) / b
    yhat = outputs()
    d = np.sign(yhat)
    proj = pc[None] - yhat[:, :, None] * yhat[:, None, :] / b
    t = np.einsum("nij,nji->n", proj, d[:, :, None] * pc[None] * d[:, None, :])
    x = np.abs(outputs())
    y = rng.standard_normal((n, b)) @ np.linalg.cholesky(x.T @ x / n).T
    inv_sigma2 = b / ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    a = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    lam = inv_sigma2.mean() * t.mean() / (b - 1)
    se = lam * np.sqrt(sum((s.std() / s.mean()) ** 2 for s in (inv_sigma2, t, a)) / n)
    exact = float(ny.activation_rate("abs", batch=8)["finite_batch_rate"])
    assert abs(lam - exact) <= tol("mc.z_score") * se, (lam, exact, se)


def test_poincare_panel_holds_and_its_twin_is_refuted_by_an_exact_certified_polynomial():
    out = ny.check_poincare_panel(CTX)
    assert out.verdict is Verdict.HOLDS, out.evidence["problems"]
    rates = {m["activation"]: mpmath.mpf(m["rate"]) for m in out.evidence["members"]}
    assert abs(rates["linear"] - 1) < tol("yang.poincare_equality_abs")
    assert all(r > 1 for k, r in rates.items() if k != "linear")
    assert min(rates, key=rates.get) == "linear" and sorted(rates, key=rates.get)[1] == "He(1, z) + He(2, z)/4"
    twin = ny.check_poincare_panel_twin(CTX)
    assert twin.verdict is Verdict.REFUTED and has_certificate(twin.evidence)
    exact = [v for v in twin.evidence["violations"] if v.get("exact")]
    assert exact[0]["ratio"] == "10/9" and exact[0]["certificate"]["certified"]
    assert twin.evidence["counterexample"]["activation"] == exact[0]["activation"]
    assert {v["activation"] for v in twin.evidence["violations"]} >= {"tanh", "gelu", "silu"}


def test_the_twin_records_signed_errors_that_tend_to_the_gap_between_the_limits(relu_twin):
    """e_k = lambda(10^k) - claimed limit: for the twin the claimed pi/(pi-2) = 2.75 lies above every
    lambda(B) (1.47 to 1.79), so every e_k is negative, and e_30 is the gap pi/(pi-1) - pi/(pi-2) up to
    the O(1/B) term (1e-30)."""
    errors = {k: mpmath.mpf(v) for k, v in relu_twin.evidence["errors"].items()}
    assert all(e < 0 for e in errors.values())
    with mpmath.workdps(30):
        gap = mpmath.pi / (mpmath.pi - 1) - mpmath.pi / (mpmath.pi - 2)
        assert abs(errors["30"] - gap) < mpmath.mpf(10) ** -4 * abs(gap)      # 5 digits are recorded


@pytest.mark.parametrize("text, value", [("pi/(pi-1)", lambda: mpmath.pi / (mpmath.pi - 1)),
                                         ("2*sqrt(2)/3", lambda: 2 * mpmath.sqrt(2) / 3),
                                         ("3*E - 1/2", lambda: 3 * mpmath.e - mpmath.mpf(1) / 2),
                                         ("1/(1 - 2/pi)", lambda: 1 / (1 - 2 / mpmath.pi))])
def test_a_constant_given_as_text_is_evaluated_in_mp_and_enclosed_in_iv(text, value):
    """check_relu_rate_table and check_poincare_panel accept a limit or constant as text
    ("pi/(pi-1)"): products and quotients of its parts must come out as written."""
    const = ny._const_fn(text)
    with mpmath.workdps(50):
        assert abs(const(mpmath.mp) - value()) < mpmath.mpf(10) ** -45
        old = mpmath.iv.dps
        mpmath.iv.dps = 50
        try:
            enc = const(mpmath.iv)
        finally:
            mpmath.iv.dps = old
        assert enc.a <= value() <= enc.b and enc.delta < mpmath.mpf(10) ** -45
