"""Tests for theory/formula_explicit.py that kill mutants the mutation tier found surviving (mutation/).

The staged partials dL/dgamma and dL/dbeta against their closed forms <g, yhat> and <1, g>
(Ioffe & Szegedy 2015, Sec. 3), and the broadcast of a zero right-hand side over the m
components of a vector relation.
"""
import sympy as sp

from bnclaims.formula import FormulaClaim, bn
from bnclaims.theory import formula_explicit as X

R = sp.Rational


def point(y, g, gamma=1, beta=0, eps=0):
    m = len(y)
    z = (sp.Integer(0),) * m
    return X.Point(tuple(map(sp.sympify, y)), tuple(map(sp.sympify, g)), z, (z,) * m, 0,
                   sp.sympify(gamma), sp.sympify(beta), sp.sympify(eps))


def test_dL_dgamma_is_g_dot_yhat_and_dL_dbeta_is_the_sum_of_g():
    y, g, eps = (0, 1, 3), (2, -1, 5), R(1, 3)
    p = point(y, g, gamma=2, beta=R(1, 2), eps=eps)
    mu = R(4, 3)
    s = sp.sqrt(sum((sp.Integer(v) - mu) ** 2 for v in y) / 3 + eps)
    g_dot_yhat = sum(gi * (v - mu) / s for gi, v in zip(g, y))
    assert sp.simplify(X.evaluate(bn.dL(bn.gamma), p) - g_dot_yhat) == 0
    assert X.evaluate(bn.dL(bn.beta), p) == sum(g)


def test_a_vector_relation_with_zero_on_one_side_gives_one_pair_per_component():
    p = point((0, 1, 3), (0, 0, 0), gamma=1, beta=2)
    claim = FormulaClaim("z - beta 1 = 0", sp.Eq(bn.z - bn.beta * bn.ones, 0), [sp.Ge(bn.eps, 0)])
    pairs = X.differences(claim, p)
    s = sp.sqrt(R(14, 9))  # mu = 4/3, sigma^2 = (16 + 1 + 25)/27 = 14/9
    want = [(sp.Integer(v) - R(4, 3)) / s for v in (0, 1, 3)]
    assert len(pairs) == 3 and all(rhs == 0 for _, rhs in pairs)
    assert all(sp.simplify(lhs - w) == 0 for (lhs, _), w in zip(pairs, want))


def test_the_float_screen_scales_its_tolerance_so_an_exact_equality_breaks_a_strict_inequality():
    # ||y||^2 = m mu^2 + m sigma^2 exactly, so "<" fails in both orders; at entries near 10^8 the
    # float evaluation misses equality by ~0.1 (far above an absolute 1e-9), on one side or the other
    lhs, rhs = bn.norm2(bn.y), bn.sum(bn.y) ** 2 / bn.m + bn.m * bn.sigma2
    p = point((R(10**8, 3), R(1, 7), R(5, 11)), (0, 0, 0))
    for rel in (sp.Lt(lhs, rhs), sp.Lt(rhs, lhs)):
        claim = FormulaClaim("strict", rel, [])
        assert X._screen(claim, p) == [0]
        assert X.violation(claim, p) is not None
