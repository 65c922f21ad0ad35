"""Tests of theory/scale_invariance.py (C09, C10, C11)."""
import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.theory import scale_invariance as t

CTX = Context(preset="quick")


def _bn(y, gamma=1, beta=0, eps=0):
    m = len(y)
    mu = sp.sympify(sum(y)) / m
    var = sum((v - mu) ** 2 for v in y) / m
    return [gamma * (v - mu) / sp.sqrt(var + eps) + beta for v in y]


def test_symbolic_bn_entry_agrees_with_an_explicit_batch():
    z = t.bn_entry(t.SymBatch(lambda i: t.Y[i]), t.GAMMA, t.BETA, 0)
    y = [0, 1, 3]
    val = z.subs({t.YBAR: sp.Rational(4, 3), t.S2: sp.Rational(14, 9), t.Y[t._J]: 3, t.GAMMA: 1, t.BETA: 0})
    assert sp.simplify(val - _bn(y)[2]) == 0


def test_scale_invariance_holds_exactly_for_a_positive_and_reflects_for_a_negative():
    y = [0, 1, 3]
    assert all(sp.simplify(p - q) == 0 for p, q in zip(_bn([5 * v for v in y], 2, 1), _bn(y, 2, 1)))
    assert all(sp.simplify(p - (2 - q)) == 0 for p, q in zip(_bn([-5 * v for v in y], 2, 1), _bn(y, 2, 1)))
    assert t.prove_scale_invariance(CTX).verdict is Verdict.PROVED
    assert t.prove_scale_invariance(CTX, neg_formula=t.twin_neg_scale_invariant).verdict is Verdict.REFUTED


def test_eps_rescales_by_a_squared_and_the_eps_over_a_twin_is_refuted():
    y, a = [-1, 1, 4], sp.Integer(3)
    lhs, rhs = _bn([a * v for v in y], eps=1), _bn(y, eps=sp.Rational(1, 9))
    assert all(sp.simplify(p - q) == 0 for p, q in zip(lhs, rhs))
    assert t.prove_invariance_with_eps(CTX).verdict is Verdict.PROVED
    out = t.prove_invariance_with_eps(CTX, eps_map=t.twin_eps_over_a)
    assert out.verdict is Verdict.REFUTED and t.exact_nonzero(sp.sympify(out.evidence["counterexample"]["lhs"])
                                                             - sp.sympify(out.evidence["counterexample"]["rhs"]))


def test_gradient_of_a_quadratic_loss_is_orthogonal_to_w_and_scales_as_one_over_a():
    w = sp.symbols("w0:2", real=True)
    X = sp.Matrix([[1, 0], [0, 1], [2, 1]])
    def loss(ws):
        z = _bn(list(X * sp.Matrix(ws)), gamma=2, beta=1)
        return (z[0] - 3) ** 2 + z[1] * z[2]
    pt = {w[0]: sp.Rational(1, 2), w[1]: 3}
    grad = [sp.diff(loss(w), wi).subs(pt) for wi in w]
    assert sp.simplify(grad[0] * pt[w[0]] + grad[1] * pt[w[1]]) == 0
    a = 4
    grad_a = [sp.diff(loss(w), wi).subs({w[0]: a * pt[w[0]], w[1]: a * pt[w[1]]}) for wi in w]
    assert all(sp.simplify(ga - g / a) == 0 for ga, g in zip(grad_a, grad))
    assert t.prove_grad_orthogonal(CTX).verdict is Verdict.PROVED
    assert t.prove_grad_orthogonal(CTX, exponent=t.TWIN_GRAD_SCALE_EXPONENT).verdict is Verdict.REFUTED


def test_exact_decoupling_formula_holds_and_the_literal_seed_formula_fails_at_y_1_2():
    y = [1, 2]
    assert _bn(y) == [-1, 1]
    assert sp.sqrt(2) * (1 - sp.Rational(3, 2)) / sp.sqrt(sp.Rational(1, 2)) == -1
    assert t.check_decoupling(CTX).verdict is Verdict.PROVED
    out = t.check_decoupling(CTX, formula=t.decoupling_seed)
    assert out.verdict is Verdict.REFUTED and out.evidence["counterexample"]["formula"] == "sqrt(5)/5"
