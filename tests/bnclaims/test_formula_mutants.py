"""Tests for bnclaims/formula.py that kill mutants the mutation tier found surviving (mutation/).

A relation between a vector and a scalar is refused on either side (only ``vector = 0`` is
allowed, componentwise), so that no engine is ever handed a claim without a meaning.
"""
import pytest
import sympy as sp

from bnclaims.formula import FormulaClaim, bn


@pytest.mark.parametrize("lhs,rhs", [(bn.z, bn.beta), (bn.beta, bn.z), (bn.yhat, bn.sum(bn.g)), (bn.m, bn.y)])
def test_a_vector_compared_with_a_nonzero_scalar_is_refused_on_either_side(lhs, rhs):
    with pytest.raises(TypeError, match="compared with a"):
        FormulaClaim("mixed shapes", sp.Eq(lhs, rhs), [])


@pytest.mark.parametrize("rel", [sp.Eq(bn.z - bn.beta * bn.ones, 0), sp.Eq(0, bn.z - bn.beta * bn.ones)])
def test_a_vector_equal_to_zero_is_a_claim_on_either_side(rel):
    assert FormulaClaim("centred output", rel, []).is_vector


@pytest.mark.parametrize("bound,m_min", [(sp.Gt(bn.m, 3), 4), (sp.Ge(bn.m, 3), 3), (sp.Ge(bn.m, sp.Rational(5, 2)), 3),
                                         (sp.Gt(bn.m, sp.Rational(5, 2)), 3), (sp.Eq(bn.m, 5), 5)])
def test_the_smallest_batch_size_is_the_least_integer_meeting_the_bound(bound, m_min):
    from bnclaims.formula import Hypotheses

    hyp = Hypotheses.parse([bound])
    assert hyp.m_min == m_min
    assert list(hyp.m_range(6))[0] == m_min


@pytest.mark.parametrize("make", [lambda: bn.dot(bn.y, bn.m), lambda: bn.H(bn.gamma, bn.g), lambda: bn.J(bn.beta),
                                  lambda: bn.BN(bn.m), lambda: bn.BN(bn.y, eps=bn.g)],
                         ids=["dot-scalar", "H-scalar", "J-scalar", "BN-of-scalar", "BN-vector-eps"])
def test_an_operation_given_an_argument_of_the_wrong_shape_is_refused(make):
    with pytest.raises(TypeError, match="needs (vector|scalar) arguments"):
        shape(make())


def shape(expr):
    from bnclaims.formula import shape as _shape

    return _shape(expr)


def test_a_witness_keyed_by_bn_symbols_is_shown_by_name_and_decided():
    from fractions import Fraction

    from bnclaims import Source

    claim = FormulaClaim("sum z = m beta", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [sp.Gt(bn.gamma, 0)]).claim(
        id="mine.f", source=Source("me", "notes"), expected=None,
        witness={"y": [Fraction(1, 2), 1], bn.gamma: 2, bn.eps: Fraction(1, 3)})
    assert claim.witness.data == {"y": ["1/2", 1], "gamma": 2, "epsilon": "1/3"}
    assert claim.witness.check() is True
