"""Tests for theory/bn_algebra.py: the symbolic-m inner-product algebra against explicit batches."""
import sympy as sp

from bnclaims.theory import bn_algebra as A


def test_centered_batch_is_orthogonal_to_ones_for_symbolic_m():
    assert A.is_zero(A.dot(A.ONE, A.Y - A.ONE * A.mu))


def test_yhat_has_squared_norm_m_sigma2_over_s2():
    assert A.is_zero(A.dot(A.YHAT, A.YHAT) - A.m * (A.s**2 - A.eps) / A.s**2)


def test_algebra_gradient_matches_explicit_gradient_at_a_rational_batch():
    grad = A.representer(A.dot(A.G, A.directional(A.bn_path(A.U)["z"])))
    unit = A.explicit_unit(3)
    y, g = (0, 1, 3), (2, -1, 5)
    sub = A.point_subs(unit, y, g, sp.Rational(1, 3), 2)
    loss = sum(gi * zi for gi, zi in zip(unit.g, unit.z))
    explicit = [sp.radsimp(sp.simplify(sp.diff(loss, v).subs(sub))) for v in unit.y]
    mu = sp.Rational(4, 3)
    s = sp.sqrt(sum((sp.Integer(v) - mu) ** 2 for v in y) / 3 + sp.Rational(1, 3))
    q = sum(gi * (v - mu) for gi, v in zip(g, y)) / s
    vals = {A.m: 3, A.mu: mu, A.s: s, A.eps: sp.Rational(1, 3), A.gamma: 2, A.p1g: sum(g), A.qg: q}
    coeff = {k: c.subs(vals) for k, c in grad.coeffs}
    algebra = [coeff["1"] + coeff["y"] * v + coeff["g"] * gi for v, gi in zip(y, g)]
    assert all(sp.simplify(a - b) == 0 for a, b in zip(algebra, explicit))
