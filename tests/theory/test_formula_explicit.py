"""Tests for theory/formula_explicit.py: exact evaluation of formula claims at explicit batches (jets through
the definitions) against hand values and sympy.diff, the exact violation test, explicit-m proofs."""
import sympy as sp

from bnclaims import Context
from bnclaims.formula import FormulaClaim, bn
from bnclaims.theory import formula_explicit as X

R = sp.Rational
QUICK = Context(preset="quick")


def point(y, g=None, v=None, H=None, i=0, gamma=1, beta=0, eps=0, scalars=()):
    m = len(y)
    z = [0] * m
    sym = [sp.sympify(x) for x in (gamma, beta, eps)]
    return X.Point(tuple(map(sp.sympify, y)), tuple(map(sp.sympify, g or z)), tuple(map(sp.sympify, v or z)),
                   tuple(tuple(map(sp.sympify, r)) for r in (H or [z] * m)), i, *sym, scalars)


def test_squared_gradient_norm_at_the_catalog_instance_is_three_fiftieths():
    assert X.evaluate(bn.norm2(bn.grad), point((-3, -1, 1, 3), g=(1, 0, 0, 0))) == R(3, 50)


def test_hessian_form_equals_sympy_diff_of_the_definition():
    y, d, g, H = (0, 1, 3), (1, 0, -1), (1, 2, 0), [[1, 0, 2], [0, 3, 0], [2, 0, -1]]
    gamma, eps = R(3, 2), R(1, 3)
    t = sp.Symbol("t")

    def bn_of(b):
        mu = sum(b) / 3
        s = sp.sqrt(sum((x - mu) ** 2 for x in b) / 3 + eps)
        return [gamma * (x - mu) / s for x in b]
    z0, zt = bn_of([sp.Integer(x) for x in y]), bn_of([x + t * e for x, e in zip(y, d)])
    dz = sp.Matrix([a - b for a, b in zip(zt, z0)])
    loss = (sp.Matrix([g]) * dz)[0] + (dz.T * sp.Matrix(H) * dz)[0] / 2
    want = sp.diff(loss, t, 2).subs(t, 0)
    got = X.evaluate(bn.hess(bn.v), point(y, g=g, v=d, H=H, gamma=gamma, eps=eps))
    assert sp.simplify(got - want) == 0


def test_staged_partials_match_ioffe_and_szegedy_at_an_exact_point():
    p = point((0, 1, 3), g=(2, -1, 5), gamma=2, eps=R(1, 3))
    mu, var = p.stats()
    s = sp.sqrt(var + p.eps)
    c = [x - mu for x in p.y]
    dsig2 = sum(2 * gi * ci for gi, ci in zip(p.g, c)) * R(-1, 2) / s**3
    dmu = sum(-2 * gi / s for gi in p.g) + dsig2 * sum(-2 * ci for ci in c) / 3
    assert sp.simplify(X.evaluate(bn.dL(bn.sigma2), p) - dsig2) == 0
    assert sp.simplify(X.evaluate(bn.dL(bn.mu), p) - dmu) == 0
    assert X.evaluate(bn.dL(bn.yhat), p) == [4, -2, 10]


def test_float_screen_agrees_with_the_exact_value():
    p = point((0, 1, 3, 7), g=(1, -2, 3, 0), gamma=R(3, 2), eps=R(1, 3))
    exact = X.evaluate(bn.norm2(bn.grad), p)
    assert abs(float(exact) - X.evaluate(bn.norm2(bn.grad), p, exact=False)) < 1e-12


def test_a_strict_inequality_met_with_equality_is_an_exact_violation():
    F = FormulaClaim("strict", sp.Lt(bn.norm2(bn.yhat), bn.m), [sp.Eq(bn.eps, 0)])
    cex = X.violation(F, point((0, 1)))
    assert cex["exact"] is True and cex["difference"] == "0"
    assert X.violation(FormulaClaim("weak", sp.Le(bn.norm2(bn.yhat), bn.m), []), point((0, 1))) is None


def test_zero_test_handles_square_factors_under_a_radical_and_never_calls_a_nonzero_zero():
    x, b = sp.Symbol("x", positive=True), sp.Symbol("b", positive=True)
    assert X.is_zero(sp.sqrt(b**2 * x + b**2) / b - sp.sqrt(x + 1))
    assert not X.is_zero(sp.sqrt(2) - 1) and not X.is_zero(sp.sqrt(x + 1) - sp.sqrt(x))


def test_explicit_proof_stops_at_the_first_batch_size_where_an_identity_fails():
    true = FormulaClaim("entries of z", sp.Eq(bn.entry(bn.z), bn.gamma * (bn.entry(bn.y) - bn.mu) / bn.s + bn.beta))
    assert X.prove_explicit(true, QUICK) == {"2": True, "3": True, "4": True}
    false = FormulaClaim("J symmetric up to 2", sp.Eq(bn.JT(bn.v + bn.e), 2 * bn.J(bn.v + bn.e)))
    assert X.prove_explicit(false, QUICK) == {"2": False}
