"""Tests for theory.yang2019: the linear rate (B-2)/(B-3), Thm 8's ReLU rate and its limit, Gaussian Poincare.

The Monte Carlo estimates in numpy (random BN outputs uniform on the sphere of radius sqrt(B) in
1^perp) are the independent reference for the derived formulas.
"""
from fractions import Fraction as F

import numpy as np
import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.tolerances import tol
from bnclaims.verdicts import has_certificate
from bnclaims.theory import yang2019 as ty

CTX = Context(preset="quick")


def _bn_outputs(rng: np.random.Generator, n: int, b: int) -> np.ndarray:
    """n BN outputs of one unit: uniform on the sphere of radius sqrt(b) in 1^perp."""
    u = rng.standard_normal((n, b))
    u -= u.mean(axis=1, keepdims=True)
    return np.sqrt(b) * u / np.linalg.norm(u, axis=1, keepdims=True)


def _within(estimate: float, se: float, exact: float) -> bool:
    return abs(estimate - exact) <= tol("mc.z_score") * se


def test_linear_rate_is_proved_for_symbolic_batch_size_with_steps_and_exprs():
    out = ty.prove_linear_rate(CTX)
    assert out.verdict is Verdict.PROVED and "symbolic B > 3" in out.scope
    assert sp.simplify(out.exprs["rate"] - (ty.B - 2) / (ty.B - 3)) == 0
    assert sp.simplify(out.exprs["a"] - ty.B / (ty.B - 1)) == 0
    assert sp.simplify(out.exprs["projection_shrink"] - (ty.B - 2) / (ty.B - 1)) == 0
    assert out.evidence["thm8_machinery_agrees"] is True
    assert len(out.steps) >= 5 and all(isinstance(x, str) and isinstance(y, str) for x, y in out.steps)
    assert ty.sigma_w not in out.exprs["rate"].free_symbols


def test_linear_rate_twin_b_over_b_minus_2_agrees_at_b_4_and_is_refuted_exactly_at_b_5():
    out = ty.prove_linear_rate_twin(CTX)
    assert out.verdict is Verdict.REFUTED and has_certificate(out.evidence)
    ce = out.evidence["counterexample"]
    assert ce["B"] == 5 and ce["agrees_at"] == [4]
    assert F(ce["derived"]) == F(3, 2) and F(ce["formula"]) == F(5, 3)


def test_linear_rate_with_b_minus_1_over_b_minus_3_is_refuted_at_b_4():
    out = ty.prove_linear_rate(CTX, formula=(ty.B - 1) / (ty.B - 3))
    assert out.verdict is Verdict.REFUTED
    assert out.evidence["counterexample"]["B"] == 4 and out.evidence["counterexample"]["formula"] == "3"


def test_inverse_chi_square_mean_is_one_over_k_minus_2_and_matches_sampling():
    value, cond = ty.inverse_chi2_mean()
    k = sp.Symbol("k", positive=True)
    assert sp.simplify(value - 1 / (k - 2)) == 0 and cond == sp.Gt(k, 2)
    x = np.random.default_rng(7).chisquare(7, 400_000)
    inv = 1 / x
    assert _within(inv.mean(), inv.std() / np.sqrt(inv.size), 1 / 5)


def test_projection_keeps_a_share_b_minus_2_over_b_minus_1_of_a_gradient_in_monte_carlo():
    rng = np.random.default_rng(11)
    for b in (5, 8):
        yhat = _bn_outputs(rng, 200_000, b)
        g = rng.standard_normal((200_000, b))
        g -= g.mean(axis=1, keepdims=True)                        # any g in 1^perp
        pg = g - (g * yhat).sum(axis=1, keepdims=True) * yhat / b   # P g = P_c g - yhat <yhat, g>/B
        ratio = (pg ** 2).sum(axis=1) / (g ** 2).sum(axis=1)
        assert np.abs(pg.sum(axis=1)).max() < 1e-9
        assert _within(ratio.mean(), ratio.std() / np.sqrt(ratio.size), (b - 2) / (b - 1))


def test_relu_rate_at_batch_8_matches_an_independent_monte_carlo_of_the_layer():
    b, n = 8, 200_000
    rng = np.random.default_rng(2019)
    eye, pc = np.eye(b), np.eye(b) - np.ones((b, b)) / b
    # backward factor T = E tr(P D Pc D), P = Pc - yhat yhat^T / B, D = diag(relu'(yhat))
    yhat = _bn_outputs(rng, n, b)
    d = (yhat > 0).astype(float)
    dpcd = d[:, :, None] * pc[None] * d[:, None, :]
    proj = pc[None] - yhat[:, :, None] * yhat[:, None, :] / b
    t = np.einsum("nij,nji->n", proj, dpcd)
    # forward: y = W relu(h) for the next unit, Gaussian with the covariance K of relu(BN outputs)
    x = np.maximum(_bn_outputs(rng, n, b), 0)
    K = x.T @ x / n
    a_samples = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=1) / (b - 1)
    y = rng.standard_normal((n, b)) @ np.linalg.cholesky(K).T
    inv_sigma2 = b / ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    lam = inv_sigma2.mean() * t.mean() / (b - 1)
    rel_se = np.sqrt((inv_sigma2.std() / inv_sigma2.mean()) ** 2 + (t.std() / t.mean()) ** 2
                     + (a_samples.std() / a_samples.mean()) ** 2) / np.sqrt(n)
    exact = float(sp.N(ty.relu_rate(8), 20))
    assert abs(exact - 1.78818997665874812910549193564) < 1e-15
    assert _within(lam, rel_se * lam, exact), (lam, exact, rel_se)
    assert not _within(lam, rel_se * lam, (b - 2) / (b - 3))   # and it is not the linear rate


def test_homogeneous_rate_reproduces_relu_and_the_linear_rate_and_abs_at_batch_8_in_monte_carlo():
    B = ty.B
    assert ty._is_zero(ty.homogeneous_rate(B, 1, 0) - ty.relu_rate(B))
    assert ty._is_zero(ty.homogeneous_rate(B, 1, -1) - (B - 2) / (B - 3))
    assert ty._is_zero(ty.homogeneous_rate(B, 2, 2) - ty.homogeneous_rate(B, 1, 1))  # scale-free
    b, n = 8, 200_000
    rng = np.random.default_rng(5)
    pc = np.eye(b) - np.ones((b, b)) / b
    yhat = _bn_outputs(rng, n, b)
    d = np.sign(yhat)
    proj = pc[None] - yhat[:, :, None] * yhat[:, None, :] / b
    t = np.einsum("nij,nji->n", proj, d[:, :, None] * pc[None] * d[:, None, :])
    x = np.abs(_bn_outputs(rng, n, b))
    a_samples = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=1) / (b - 1)
    chi = 1 / rng.chisquare(b - 1, n)                          # E[1/chi^2_{B-1}], by sampling
    lam = b * chi.mean() * t.mean() / ((b - 1) * a_samples.mean())
    rel_se = np.sqrt(sum((s.std() / s.mean()) ** 2 for s in (chi, t, a_samples))) / np.sqrt(n)
    assert _within(lam, rel_se * lam, float(sp.N(ty.homogeneous_rate(8, 1, 1), 20)))


def test_relu_limit_is_pi_over_pi_minus_1_with_first_order_coefficient_from_the_series():
    out = ty.prove_relu_limit(CTX)
    assert out.verdict is Verdict.PROVED
    assert sp.simplify(out.exprs["limit"] - sp.pi / (sp.pi - 1)) == 0
    c1 = out.exprs["first_order"]
    for b in (10 ** 4, 10 ** 6):   # lambda(B) - limit ~ c1 / B
        err = sp.N(ty.relu_rate(b) - sp.pi / (sp.pi - 1), 40)
        assert abs(err * b - sp.N(c1, 40)) < 20 / b


def test_relu_limit_twin_pi_over_pi_minus_2_is_refuted_by_a_nonzero_exact_difference():
    out = ty.prove_relu_limit_twin(CTX)
    assert out.verdict is Verdict.REFUTED and has_certificate(out.evidence)
    diff = sp.sympify(out.evidence["difference"], locals={"pi": sp.pi})
    assert sp.simplify(diff - (sp.pi / (sp.pi - 1) - sp.pi / (sp.pi - 2))) == 0
    assert abs(float(out.evidence["certificate"]["difference_float"]) + 1.28499618695984880) < 1e-12


def test_gaussian_expectation_gives_double_factorial_moments():
    z = sp.Symbol("z", real=True)
    assert [ty.gaussian_expectation(z ** j) for j in range(9)] == [1, 0, 1, 0, 3, 0, 15, 0, 105]


def test_poincare_is_proved_with_equality_exactly_for_affine_and_an_honest_scope():
    out = ty.prove_poincare(CTX)
    assert out.verdict is Verdict.PROVED
    assert all(out.evidence["hermite_facts"].values()) and out.evidence["truncation_identity"]
    assert "equality iff phi affine" in out.scope and "quoted" in out.scope and "degree <= 8" in out.scope
    a = sp.symbols("a_0:9", real=True)
    assert sp.expand(out.exprs["truncation_gap"] - sum((n - 1) * a[n] ** 2 for n in range(2, 9))) == 0


def test_poincare_twin_pi_over_pi_minus_1_is_refuted_by_a_near_affine_polynomial():
    out = ty.prove_poincare_twin(CTX)
    assert out.verdict is Verdict.REFUTED and has_certificate(out.evidence)
    ce = out.evidence["counterexample"]
    coeffs = [F(c) for c in sp.Poly(sp.sympify(ce["phi"]), sp.Symbol("z")).all_coeffs()[::-1]]
    nodes, weights = np.polynomial.hermite_e.hermegauss(20)          # exact for degree <= 39
    weights = weights / weights.sum()
    phi = sum(float(c) * nodes ** j for j, c in enumerate(coeffs))
    dphi = sum(j * float(c) * nodes ** (j - 1) for j, c in enumerate(coeffs) if j)
    e_d2, var = weights @ dphi ** 2, weights @ phi ** 2 - (weights @ phi) ** 2
    assert abs(e_d2 - float(F(ce["E_dphi2"]))) < 1e-12 and abs(var - float(F(ce["Var_phi"]))) < 1e-12
    assert e_d2 / var < np.pi / (np.pi - 1) and sp.diff(sp.sympify(ce["phi"]), "z", 2) != 0


def test_poincare_with_constant_one_half_is_proved_without_the_equality_case():
    out = ty.prove_poincare(CTX, constant=sp.Rational(1, 2))
    assert out.verdict is Verdict.PROVED and "equality" not in out.scope.split(";")[0]
