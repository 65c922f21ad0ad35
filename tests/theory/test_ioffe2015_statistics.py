"""Tests of theory/ioffe2015_statistics.py (C12, C13, C14)."""
from fractions import Fraction
from itertools import product

import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.theory import ioffe2015_statistics as t

CTX = Context(preset="quick")


def _e_sigma_b2(values, m):
    tot = Fraction(0)
    for b in product(values, repeat=m):
        mb = Fraction(sum(b), m)
        tot += sum((x - mb) ** 2 for x in b) / m
    return tot / len(values) ** m


def test_expected_batch_variance_matches_brute_force_enumeration_for_m_2_to_4():
    e = t.expected_batch_variance(t.iid_pair_moment)
    values = [Fraction(0), Fraction(1), Fraction(5)]
    mean = sum(values) / 3
    var = sum((v - mean) ** 2 for v in values) / 3
    for m in (2, 3, 4):
        assert e.subs({t.M: m, t.SIGMA2: sp.Rational(var.numerator, var.denominator)}) == \
            sp.Rational(*(lambda q: (q.numerator, q.denominator))(_e_sigma_b2(values, m)))


def test_without_replacement_formula_matches_subset_enumeration_n6_m3():
    from itertools import combinations
    pop = [1, 2, 4, 7, 11, 16]
    s2 = sum((Fraction(x) - Fraction(41, 6)) ** 2 for x in pop) / 6
    subs = list(combinations(pop, 3))
    e = sum(sum((Fraction(x) - Fraction(sum(b), 3)) ** 2 for x in b) / 3 for b in subs) / len(subs)
    f = t.expected_batch_variance(t.without_replacement_pair_moment)
    assert f.subs({t.M: 3, t.N: 6, t.SIGMA2: sp.Rational(s2.numerator, s2.denominator)}) == \
        sp.Rational(e.numerator, e.denominator)


def test_unbiased_variance_is_proved_and_its_twin_refuted_at_m_2():
    assert t.prove_unbiased_population_variance(CTX).verdict is Verdict.PROVED
    twin = t.prove_unbiased_population_variance(CTX, formula=t.twin_unbiased_formula)
    assert twin.verdict is Verdict.REFUTED
    assert twin.evidence["counterexample"]["enumerated_E_sigma_B2"] == "1/2"


def test_keras_momentum_that_reproduces_torch_is_uniquely_one_minus_p():
    equations, solutions = t.derive_keras_momentum()
    p = sp.Symbol("p", real=True)
    assert solutions == [1 - p]
    # independent: for rational p, the two documented rules run side by side in exact rationals
    # agree under c = 1 - p for every input, and a different c separates them at the first step
    for p0 in (Fraction(1, 10), Fraction(1, 100), Fraction(3, 7)):
        for c0, same in ((1 - p0, True), (p0, False), (1 - p0 + Fraction(1, 1000), False)):
            rt = rk = Fraction(2)
            diffs = []
            for v in (Fraction(1), Fraction(-5), Fraction(7, 3)):
                rt, rk = (1 - p0) * rt + p0 * v, c0 * rk + (1 - c0) * v
                diffs.append(rt - rk)
            assert all(d == 0 for d in diffs) is same


def test_torch_and_keras_updates_agree_at_a_rational_point_and_twin_convention_does_not():
    p, r, v = Fraction(1, 10), Fraction(3), Fraction(-2)
    c = Fraction(str(t.TORCH_TO_KERAS(sp.Rational(1, 10))))
    assert (1 - p) * r + p * v == c * r + (1 - c) * v
    out = t.prove_running_average_conventions(CTX, torch_to_keras=t.TWIN_TORCH_TO_KERAS)
    assert out.verdict is Verdict.REFUTED and not out.evidence["parts"]["convention"]
    assert all(out.evidence["parts"][k] for k in out.evidence["parts"] if k != "convention")
    ce = out.evidence["counterexample"]["convention"]
    # torch from r0 = 0 with p = 1/10 on v = 1 gives 1/10; Keras with c = p = 1/10 gives 9/10
    assert (ce["p"], ce["c"], ce["torch"], ce["keras"]) == ("1/10", "1/10", "1/10", "9/10")
    assert "not a solution" in out.steps[2][0] and "unique solution" not in out.steps[2][0]


def test_ema_limit_twin_is_refuted_by_the_enumerated_mean_at_m_2():
    out = t.prove_running_average_conventions(CTX, ema_limit=t.TWIN_BIASED_EMA_LIMIT)
    assert out.verdict is Verdict.REFUTED and out.evidence["parts"]["convention"]
    assert out.evidence["counterexample"]["biased_ema_limit"]["E_v_enumerated"] == str(_e_sigma_b2([-1, 1], 2))


def test_ema_mean_closed_form_equals_iterated_recursion_at_c_nine_tenths():
    c, r0, ev = Fraction(9, 10), Fraction(5), Fraction(7, 2)
    r = r0
    for step in range(1, 30):
        r = c * r + (1 - c) * ev
        assert r == c**step * r0 + (1 - c**step) * ev
    out = t.prove_running_average_conventions(CTX)
    assert out.verdict is Verdict.PROVED
    assert sp.simplify(out.exprs["var_inf"] - (1 - t.C) / (1 + t.C) * sp.Symbol("Varv", real=True)) == 0


def test_inference_affine_equals_alg2_at_a_rational_point_and_twin_sign_is_refuted():
    out = t.prove_inference_affine(CTX)
    assert out.verdict is Verdict.PROVED
    a, c = out.exprs["slope"], out.exprs["offset"]
    pt = {sp.Symbol("x", real=True): 3, sp.Symbol("gamma", real=True): 2, sp.Symbol("beta", real=True): -1,
          sp.Symbol("E_x", real=True): 1, sp.Symbol("Var_x", nonnegative=True): 3,
          sp.Symbol("epsilon", nonnegative=True): 1}
    assert (a * 3 + c).subs(pt) == sp.Rational(2 * (3 - 1), 2) - 1
    assert t.prove_inference_affine(CTX, offset=t.twin_inference_offset).verdict is Verdict.REFUTED
