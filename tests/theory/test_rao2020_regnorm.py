"""Tests for theory/rao2020_regnorm.py (Rao & Sohl-Dickstein 2020, eq. 3, Appendices A and B)."""
import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.theory import rao2020_regnorm as t


def test_expectation_over_independent_indices_factorizes_into_squared_mean():
    z = t.ZBAR[t.A_IDX, t.I_IDX] * t.ZBAR[t.B_IDX, t.I_IDX]
    assert sp.expand(t.unit_moments(t.expect_ab(z)) - t.MU**2) == 0


def test_regnorm_equals_twice_sum_of_squared_means_at_an_exact_rational_point():
    zbar = sp.Matrix([[sp.Rational(7, 5), sp.Rational(1, 5)], [1, -1]])  # rows on sum-of-squares 2
    mus = [sp.Rational(12, 10), sp.Rational(-4, 10)]
    assert [sum(zbar.col(i)) / 2 for i in range(2)] == mus
    # independent evaluation: (1/4) sum over the four ordered pairs
    direct = sum((zbar[a, i] + zbar[b, i]) ** 2 - 2 for a in range(2) for b in range(2) for i in range(2)) / 4
    assert direct == 2 * sum(m**2 for m in mus) == t.regnorm_value(zbar)


def test_counterexample_diag_sqrt2_gives_half_against_one_and_paper_chain_2n():
    out = t.refute_appendix_b_step(Context(preset="quick"))
    assert out.verdict is Verdict.REFUTED
    assert out.evidence["E_ab[zbar^a zbar^b]"] == ["1/2", "1/2"]
    assert out.evidence["E_a[(zbar^a)^2]"] == ["1", "1"]
    assert sp.simplify(out.exprs["paper_chain"] - 2 * t.N_SYM) == 0
    assert out.exprs["r_at_counterexample"] == 2


def test_regnorm_identity_is_proved_for_symbolic_sizes_and_a_ne_b_variant_matches():
    out = t.prove_regnorm_identity(Context(preset="quick"))
    assert out.verdict is Verdict.PROVED
    s = next(iter(out.exprs["r"].free_symbols))
    expected = (2 * t.M_SYM * s - 2 * t.N_SYM) / (t.M_SYM - 1)
    assert sp.simplify(out.exprs["r_a_ne_b"] - expected) == 0


def test_twin_without_factor_two_is_refuted_on_a_normalized_batch():
    out = t.prove_regnorm_identity(Context(preset="quick"), formula=t.TWIN_REGNORM)
    assert out.verdict is Verdict.REFUTED
    assert out.evidence["counterexample"]["r_eq3"] != out.evidence["counterexample"]["formula"]


def test_appendix_a_regulariser_depends_only_on_the_mean():
    out = t.refute_appendix_a_variance(Context(preset="quick"))
    assert out.verdict is Verdict.REFUTED
    assert sp.expand(out.exprs["per_unit"] - (t.MU**2 - 1)) == 0
    assert t.appendix_a_value(sp.Matrix([[-1], [1]])) == t.appendix_a_value(sp.Matrix([[-2], [2]])) == -1


def test_derivation_steps_state_only_what_was_established_for_the_formula_under_test():
    ok = t.prove_regnorm_identity(Context(preset="quick"))
    twin = t.prove_regnorm_identity(Context(preset="quick"), formula=t.TWIN_REGNORM)
    ok_text = " ".join(s[0] for s in ok.steps)
    twin_text = " ".join(s[0] for s in twin.steps)
    assert "claimed formula equals r" in ok_text and "Non-negative" in ok_text
    assert "differs" in twin_text and "Non-negative" not in twin_text and "equals r" not in twin_text
    # the printed difference r - claimed is sum mu^2 for the twin (2 sum mu^2 - sum mu^2)
    step = next(s for s in twin.steps if "differs" in s[0])
    assert step[1].endswith(sp.latex(ok.exprs["r"] / 2))
    # and the counterexample step shows r = 4 against 2 on zbar = [[sqrt2, 0], [sqrt2, 0]]
    ce = twin.evidence["counterexample"]
    assert (ce["r_eq3"], ce["formula"]) == ("4", "2")


def test_the_printed_chain_constant_2n_is_refuted_although_it_is_never_below_r():
    # the chain as printed gives r = 2N; r = 2 sum mu^2 <= 2 sum_i M_{2,i} = 2N, so r - 2N is never positive
    # and a counterexample is a batch where it is negative
    out = t.prove_regnorm_identity(Context(preset="quick"), formula=lambda mus, m, n: 2 * n)
    assert out.verdict is Verdict.REFUTED
    ce = out.evidence["counterexample"]
    zbar = sp.Matrix([[sp.sympify(v) for v in row] for row in ce["zbar"]])
    assert all(sum(v**2 for v in zbar.row(a)) == 2 for a in range(2))   # exactly normalized, N = 2
    # eq. (3) at m = N = 2, by hand: (1/4) sum over the four ordered pairs (a, b) and both units
    direct = sum((zbar[a, i] + zbar[b, i]) ** 2 - 2 for a in range(2) for b in range(2) for i in range(2)) / 4
    assert sp.simplify(direct - sp.sympify(ce["r_eq3"])) == 0 and sp.sympify(ce["formula"]) == 4
    assert sp.simplify(direct - 4) < 0


def test_the_counterexample_pool_rows_are_exactly_normalized_and_distinct():
    # the search pool is documented as exactly normalized rows (sum of squares N = 2): a row off the
    # circle would make every batch containing it fail the normalization test and drop out of the search
    assert len(set(t._ROWS2)) == len(t._ROWS2) >= 7
    assert all(sp.simplify(sp.sympify(a)**2 + sp.sympify(b)**2 - 2) == 0 for a, b in t._ROWS2)
