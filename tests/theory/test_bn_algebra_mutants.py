"""Tests for theory/bn_algebra.py that kill mutants the mutation tier found surviving (mutation/).

The explicit-m helpers: :func:`reduce_explicit` on expressions that are not identically zero (an
identity survives any substitution for eps, so only a non-zero value shows a wrong one), and the
search families :func:`unit_vectors` and :func:`small_batches` against their definitions.
"""
import sympy as sp

from bnclaims.theory import bn_algebra as A


def test_reduce_explicit_turns_the_normalizer_into_S_and_eps_into_S2_minus_var():
    for mm in (2, 3):
        unit = A.explicit_unit(mm)
        assert sp.simplify(A.reduce_explicit(unit, unit.s) - unit.S) == 0
        assert sp.simplify(A.reduce_explicit(unit, A.eps) - (unit.S**2 - unit.var)) == 0


def test_reduce_explicit_of_yhat_squared_is_var_over_S2_without_eps():
    unit = A.explicit_unit(2)
    y1, y2 = unit.y
    expected = ((y1 - y2) / 2) ** 2 / unit.S**2  # yhat_1^2 = (y1 - mu)^2 / s^2, mu = (y1 + y2)/2
    assert sp.simplify(A.reduce_explicit(unit, unit.yhat[0] ** 2) - expected) == 0


def test_reduce_explicit_at_eps_zero_reduces_modulo_S2_equals_var():
    unit = A.explicit_unit(2)
    # sum_i yhat_i^2 = m var / s^2: equal to m = 2 exactly when eps = 0 (S^2 = var), not otherwise
    total = sum(h**2 for h in unit.yhat)
    assert A.reduce_explicit(unit, total - 2, eps_zero=True) == 0
    assert A.reduce_explicit(unit, total - 2) != 0


def test_unit_vectors_are_e1_to_em_then_ones_then_one_to_m():
    for mm in (2, 3, 5):
        vs = A.unit_vectors(mm)
        assert len(vs) == mm + 2 and all(len(v) == mm for v in vs)
        assert vs[:mm] == [tuple(int(i == k) for i in range(mm)) for k in range(mm)]
        assert vs[mm] == (1,) * mm and vs[mm + 1] == tuple(range(1, mm + 1))
        assert sp.Matrix(vs).rank() == mm


def test_small_batches_are_every_non_constant_batch_in_the_box_simplest_first():
    batches = A.small_batches(2, bound=1)
    assert sorted(batches) == sorted((a, b) for a in (-1, 0, 1) for b in (-1, 0, 1) if a != b)
    assert batches[0] in ((-1, 0), (0, -1), (0, 1), (1, 0))
    assert all(len(b) == 3 and len(set(b)) > 1 for b in A.small_batches(3, bound=2))
