"""Tests for theory/formula_search.py that kill mutants the mutation tier found surviving (mutation/).

The cross-check of an algebra proof goes on to the next batch size when the generic point of the
first one does not meet the hypotheses (mu > 1 fails at m = 2 for the generic batch (0, 1) and
holds at m = 3 for (0, 1, 3)).
"""
import sympy as sp

from bnclaims import Context
from bnclaims.formula import FormulaClaim, bn
from bnclaims.theory import formula_search as S


def test_the_cross_check_skips_a_batch_size_without_a_generic_point_and_checks_the_next():
    claim = FormulaClaim("sum z = m beta", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [sp.Gt(bn.mu, 1)])
    out = S.cross_check(claim, Context(preset="quick"))
    assert [c["m"] for c in out] == [3] and out[0]["consistent"] is True
