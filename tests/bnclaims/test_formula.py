"""Tests for bnclaims/formula.py: the vocabulary, FormulaClaim, its hypotheses, and the six acceptance
examples adjudicated at both levels through ``FormulaClaim.check`` (theory and numerics engines)."""
import functools
import json

import pytest
import sympy as sp

from bnclaims import Context, Level, Verdict
from bnclaims.formula import FormulaClaim, Hypotheses, bn, shape
from bnclaims.verdicts import has_certificate

R = sp.Rational
a = sp.Symbol("a", real=True)
QUICK = Context(preset="quick")


# --------------------------------------------------------------------------- the vocabulary
def test_vectors_and_scalars_have_shapes_and_vector_products_are_rejected():
    assert shape(bn.gamma * bn.yhat + bn.beta * bn.ones) == "vector"
    assert shape(bn.dot(bn.g, bn.yhat) ** 2 / bn.m) == "scalar"
    assert shape(bn.hess(bn.grad)) == "scalar" and shape(bn.dL(bn.yhat)) == "vector"
    with pytest.raises(TypeError, match="product of two vectors"):
        shape(bn.y * bn.g)
    with pytest.raises(TypeError, match="scalar and a vector"):
        shape(bn.y + 1)


def test_vectors_can_only_be_equal_and_free_scalars_must_be_real():
    with pytest.raises(TypeError, match="componentwise"):
        FormulaClaim("ordered vectors", sp.Le(bn.y, bn.z), [])
    with pytest.raises(TypeError, match="declared real"):
        FormulaClaim("complex scalar", sp.Eq(bn.sum(bn.z) * sp.Symbol("c"), 0), [])
    with pytest.raises(TypeError, match="relation must be"):
        FormulaClaim("not a relation", bn.sum(bn.z), [])


def test_a_partial_derivative_outside_the_graph_is_rejected():
    with pytest.raises(ValueError, match="not in the graph"):
        bn.dL(bn.g)


def test_hypotheses_are_parsed_into_bounds_fixed_values_and_signs():
    h = Hypotheses.parse([sp.Ge(bn.m, 3), sp.Eq(bn.eps, 0), sp.Gt(bn.gamma, 0), sp.Lt(bn.m, 10), sp.true])
    assert (h.m_min, h.m_max, h.eps_zero, h.signs[bn.gamma]) == (3, 9, True, "positive")
    assert list(h.m_range(5)) == [3, 4, 5]
    assert Hypotheses.parse([sp.Gt(bn.m, R(5, 2))]).m_min == 3
    assert Hypotheses.parse([sp.Gt(bn.eps, 0)]).eps_positive
    assert h.holds_at({bn.m: 4, bn.eps: 0, bn.gamma: 2}) and not h.holds_at({bn.m: 4, bn.eps: 0, bn.gamma: -1})
    with pytest.raises(ValueError, match="not a relation"):
        Hypotheses.parse([sp.false])
    with pytest.raises(ValueError, match="no batch size"):
        Hypotheses.parse([sp.Ge(bn.m, 5), sp.Le(bn.m, 4)])


def test_quantities_name_the_free_data_a_claim_depends_on():
    F = FormulaClaim("scale", sp.Eq(bn.BN(a * bn.y), bn.BN(bn.y, eps=bn.eps / a**2)), [sp.Gt(a, 0)])
    assert F.quantities == {"a", "beta", "eps", "gamma"} and F.free_scalars == (a,) and F.is_vector
    G = FormulaClaim("thm 4.2", sp.Eq(bn.hess(bn.grad), 0), [sp.Eq(bn.eps, 0)])
    assert G.quantities == {"H", "g", "gamma"}      # eps is fixed by the hypotheses


def test_claims_print_in_latex_with_inner_products():
    F = FormulaClaim("sum of outputs", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [sp.Ge(bn.eps, 0)])
    assert r"\langle \mathbf{1}, z\rangle" in F.describe()["latex"]
    assert "J^\\top g" in sp.latex(bn.norm2(bn.grad))


def test_check_binds_a_claim_to_a_level_and_scale_is_not_a_formula_level():
    F = FormulaClaim("sum of outputs", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [sp.Ge(bn.eps, 0)])
    assert set(F.checks) == {Level.THEORY, Level.NUMERICS}
    assert F.check(Level.THEORY)(QUICK).verdict is Verdict.PROVED
    with pytest.raises(ValueError, match="theory and numerics"):
        F.check(Level.SCALE)


# --------------------------------------------------------------------------- acceptance examples
def thm41(last: sp.Expr, gamma_power: int = 2) -> FormulaClaim:
    """Santurkar et al. 2018 Thm 4.1 at eps = 0, as an identity, last-term coefficient ``last``."""
    rhs = bn.gamma**gamma_power / bn.sigma2 * (bn.norm2(bn.g) - bn.sum(bn.g) ** 2 / bn.m
                                               - last * bn.dot(bn.g, bn.yhat) ** 2)
    return FormulaClaim("Thm 4.1, eps = 0", sp.Eq(bn.norm2(bn.grad), rhs), [sp.Eq(bn.eps, 0)])


def ioffe_dsigma2(power: sp.Expr) -> FormulaClaim:
    """Ioffe & Szegedy 2015 §3: dL/dsigma^2 = sum_i dL/dyhat_i (y_i - mu)(-1/2) s^power."""
    rhs = bn.dot(bn.dL(bn.yhat), bn.y - bn.mu * bn.ones) * R(-1, 2) * bn.s**power
    return FormulaClaim("dL/dsigma^2", sp.Eq(bn.dL(bn.sigma2), rhs), [sp.Ge(bn.eps, 0)])


def scale_with_eps(eps_rhs: sp.Expr) -> FormulaClaim:
    """BN_eps(a y) = BN_{eps_rhs}(y) for a > 0."""
    return FormulaClaim("scale invariance with eps", sp.Eq(bn.BN(a * bn.y, eps=bn.eps), bn.BN(bn.y, eps=eps_rhs)),
                        [sp.Gt(a, 0)])


def yhat_norm_at_least(k: int, m_min: int | None) -> FormulaClaim:
    """||yhat||^2 >= k at eps = 0 (||yhat||^2 = m there): with k = 3 false only at m = 2."""
    hyp = [sp.Eq(bn.eps, 0)] + ([sp.Ge(bn.m, m_min)] if m_min else [])
    return FormulaClaim(f"||yhat||^2 >= {k}", sp.Ge(bn.norm2(bn.yhat), k), hyp)


SUM_Z = FormulaClaim("sum of outputs", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [sp.Ge(bn.eps, 0)])
EXAMPLES = {
    "thm41": (thm41(1 / bn.m), Verdict.PROVED, Verdict.HOLDS),
    "thm41_two_over_m": (thm41(2 / bn.m), Verdict.REFUTED, Verdict.REFUTED),
    "thm41_one_over_sqrt_m": (thm41(1 / sp.sqrt(bn.m)), Verdict.REFUTED, Verdict.REFUTED),
    "ioffe_dsigma2": (ioffe_dsigma2(-3), Verdict.PROVED, Verdict.HOLDS),
    "ioffe_s_minus_2": (ioffe_dsigma2(-2), Verdict.REFUTED, Verdict.REFUTED),
    "ioffe_s_minus_5_2": (ioffe_dsigma2(R(-5, 2)), Verdict.REFUTED, Verdict.REFUTED),
    "scale_eps_over_a2": (scale_with_eps(bn.eps / a**2), Verdict.PROVED, Verdict.HOLDS),
    "scale_eps_unscaled": (scale_with_eps(bn.eps), Verdict.REFUTED, Verdict.REFUTED),
    "sum_of_outputs": (SUM_Z, Verdict.PROVED, Verdict.HOLDS),
    "yhat_norm_m_ge_3": (yhat_norm_at_least(3, 3), Verdict.PROVED, Verdict.HOLDS),
    "yhat_norm_any_m": (yhat_norm_at_least(3, None), Verdict.REFUTED, Verdict.REFUTED),
    "thm41_gamma_not_squared": (thm41(1 / bn.m, gamma_power=1), Verdict.REFUTED, Verdict.REFUTED),
}


@functools.lru_cache(maxsize=None)
def outcome(name: str, level: Level):
    return EXAMPLES[name][0].check(level)(Context(preset="quick"))


@pytest.mark.parametrize("level", [Level.THEORY, Level.NUMERICS])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_acceptance_example_gets_its_verdict_with_a_certificate_for_refutations(name, level):
    want = EXAMPLES[name][1 if level is Level.THEORY else 2]
    out = outcome(name, level)
    assert out.verdict is want, (out.scope, out.evidence)
    json.dumps(out.evidence)
    if want is Verdict.REFUTED:
        assert has_certificate(out.evidence, level)
        key = "exact" if level is Level.THEORY else "certified"
        cert = out.evidence["counterexample"] if level is Level.THEORY else out.evidence["certificate"]
        assert cert[key] is True and out.evidence.get("hypotheses_hold", True)


@pytest.mark.parametrize("name", ["thm41", "ioffe_dsigma2", "scale_eps_over_a2", "sum_of_outputs"])
def test_true_identities_are_proved_for_symbolic_m_and_hold_at_fifty_digits(name):
    assert outcome(name, Level.THEORY).scope.startswith("symbolic m >= 2")
    num = outcome(name, Level.NUMERICS)
    assert "60 digits" in num.scope and num.evidence["cases"] >= 12


def test_scale_counterexample_needs_positive_eps_and_a_not_one_at_both_levels():
    th = outcome("scale_eps_unscaled", Level.THEORY).evidence["counterexample"]
    nu = outcome("scale_eps_unscaled", Level.NUMERICS).evidence["counterexample"]
    for cex in (th, nu):
        assert sp.Rational(cex["eps"]) > 0 and sp.Rational(cex["a"]) not in (0, 1) and sp.Rational(cex["a"]) > 0


def test_gamma_not_squared_is_refuted_at_gamma_not_one():
    for level in (Level.THEORY, Level.NUMERICS):
        assert sp.Rational(outcome("thm41_gamma_not_squared", level).evidence["counterexample"]["gamma"]) != 1


def test_m_ge_3_claim_is_proved_for_m_ge_3_while_without_the_hypothesis_m_2_refutes_it():
    assert "m >= 3" in outcome("yhat_norm_m_ge_3", Level.THEORY).scope
    assert "m in 3.." in outcome("yhat_norm_m_ge_3", Level.NUMERICS).scope
    for level in (Level.THEORY, Level.NUMERICS):
        assert outcome("yhat_norm_any_m", level).evidence["counterexample"]["m"] == 2


def test_m_ge_3_claim_never_evaluates_a_batch_of_two(monkeypatch):
    from bnclaims.numerics import formula_engine as N
    from bnclaims.theory import formula_explicit as X

    sizes = []
    init_x, init_n = X._Eval.__init__, N._Env.__init__

    def spy_x(self, p, exact=True):
        sizes.append(p.mm)
        init_x(self, p, exact)

    def spy_n(self, M, case):
        sizes.append(case.m)
        init_n(self, M, case)
    monkeypatch.setattr(X._Eval, "__init__", spy_x)
    monkeypatch.setattr(N._Env, "__init__", spy_n)
    false_for_m3 = yhat_norm_at_least(4, 3)          # refuted at m = 3, and its search must start there
    assert false_for_m3.check(Level.THEORY)(QUICK).evidence["counterexample"]["m"] == 3
    assert yhat_norm_at_least(3, 3).check(Level.THEORY)(QUICK).verdict is Verdict.PROVED
    assert yhat_norm_at_least(3, 3).check(Level.NUMERICS)(QUICK).verdict is Verdict.HOLDS
    assert false_for_m3.check(Level.NUMERICS)(QUICK).evidence["counterexample"]["m"] == 3
    assert sizes and min(sizes) == 3


# --------------------------------------------------------------------------- FormulaClaim.claim: a registry entry
def test_claim_builds_a_registry_claim_with_both_checks_a_twin_and_text_hypotheses():
    from bnclaims import Claim, Registry, Source, Twin

    twin = FormulaClaim("sum z = m beta + gamma", sp.Eq(bn.sum(bn.z), bn.m * bn.beta + bn.gamma), [sp.Ge(bn.eps, 0)])
    claim = SUM_Z.claim(id="mine.sum", source=Source("ioffe2015batch", "Alg. 1"), expected=Verdict.PROVED,
                        witness={"y": [0, 1], "eps": 0}, twin=twin, change="+ gamma", title="sum")
    assert isinstance(claim, Claim) and isinstance(claim.twin, Twin) and claim.title == "sum"
    assert set(claim.checks) == set(claim.twin.checks) == {Level.THEORY, Level.NUMERICS}
    assert claim.statement == "sum of outputs" and claim.hypotheses == ("epsilon >= 0",) and claim.has_hypotheses
    assert claim.twin.change == "+ gamma" and claim.twin.statement == "sum z = m beta + gamma"
    assert claim.witness.data == {"y": [0, 1], "eps": 0} and claim.witness.check() is True
    assert Registry("mine").register(claim) is claim
    bare = FormulaClaim("none", sp.Eq(bn.sum(bn.yhat), 0)).claim(id="mine.bare", source=claim.source, expected=None)
    assert not bare.has_hypotheses and bare.witness is None and bare.twin is None


def test_claim_witness_decides_hypotheses_and_domain_exactly():
    from fractions import Fraction

    from bnclaims import Source

    def holds(hyps, witness, relation=sp.Eq(bn.sum(bn.z), bn.m * bn.beta)):
        return FormulaClaim("f", relation, hyps).claim(id="mine.f", source=Source("me", "notes"), expected=None,
                                                       witness=witness).witness.check()

    assert holds([sp.Gt(bn.eps, 0), sp.Lt(bn.eps, 0)], {"eps": "1/2"}) is False      # contradictory: no witness
    assert holds([sp.Gt(bn.eps, 0), sp.Lt(bn.eps, 0)], {"eps": "-1/2"}) is False     # eps < 0 leaves the domain
    assert holds([sp.Gt(bn.eps, 0)], {"eps": Fraction(1, 2)}) is True
    assert holds([sp.Eq(bn.eps, 0)], {"y": [3, 3], "eps": 0}) is False               # sigma2 + eps = 0
    assert holds([sp.Ge(bn.m, 3), sp.Gt(bn.sigma2, 1)], {"y": [0, 2, 4], "eps": 0}) is True
    assert holds([sp.Gt(a, 1)], {"a": 2}, sp.Eq(bn.BN(a * bn.y), bn.BN(bn.y, eps=bn.eps / a**2))) is True
    for bad in ({"eps": 0.5}, {"nope": 1}, {}):                                        # inexact, unknown, undecided
        with pytest.raises((TypeError, ValueError)):
            holds([sp.Gt(bn.eps, 0)], bad)
