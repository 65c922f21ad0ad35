"""Tests for bnclaims/formula_conjunction.py: AllOf combines the parts' outcomes (refuted by the first
refuted part with its certificate, proved/holds only when every part is) and twins are one-part edits;
and the built-in formula claims that run through it and the generic engine."""
import functools

import pytest
import sympy as sp

from bnclaims import Context, Level, Outcome, Verdict
from bnclaims.formula import FormulaClaim, bn
from bnclaims.formula_conjunction import AllOf, combine
from bnclaims.registry import get_claim
from bnclaims.verdicts import has_certificate

QUICK = Context(preset="quick")
SUM_Z = FormulaClaim("sum z", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [sp.Ge(bn.eps, 0)])
SUM_YHAT = FormulaClaim("sum yhat", sp.Eq(bn.sum(bn.yhat), 0), [sp.Ge(bn.eps, 0)])
SUM_YHAT_ONE = FormulaClaim("sum yhat = 1", sp.Eq(bn.sum(bn.yhat), 1), [sp.Ge(bn.eps, 0)])


def fixed(verdict: Verdict, calls: list, name: str):
    def fn(ctx):
        calls.append(name)
        ev = {"counterexample": {"exact": True}} if verdict is Verdict.REFUTED else {}
        return Outcome(verdict, f"scope {name}", ev, [("step", name)], {"x": sp.Integer(1)})
    return fn


@pytest.mark.parametrize("verdicts, want", [
    ((Verdict.PROVED, Verdict.PROVED), Verdict.PROVED),
    ((Verdict.HOLDS, Verdict.HOLDS), Verdict.HOLDS),
    ((Verdict.PROVED, Verdict.HOLDS), Verdict.HOLDS),
    ((Verdict.PROVED, Verdict.INCONCLUSIVE), Verdict.INCONCLUSIVE),
    ((Verdict.INCONCLUSIVE, Verdict.REFUTED), Verdict.REFUTED),
])
def test_the_combined_verdict_is_the_weakest_part_unless_a_part_is_refuted(verdicts, want):
    calls: list = []
    out = combine(("a", "b"), [fixed(v, calls, n) for v, n in zip(verdicts, "ab")], QUICK)
    assert out.verdict is want
    assert set(out.exprs) == {"part1.x", "part2.x"} and ("step", "a") in out.steps


def test_a_refuted_part_stops_the_run_and_keeps_its_certificate():
    calls: list = []
    fns = [fixed(Verdict.PROVED, calls, "a"), fixed(Verdict.REFUTED, calls, "b"), fixed(Verdict.PROVED, calls, "c")]
    out = combine(("a", "b", "c"), fns, QUICK)
    assert out.verdict is Verdict.REFUTED and calls == ["a", "b"]
    assert out.scope.startswith("part 2 (b): ") and out.evidence["part"] == 2 and has_certificate(out.evidence)


def test_identical_scopes_are_stated_once_for_the_parts_that_share_them():
    calls: list = []
    same = [fixed(Verdict.PROVED, calls, "a")] * 2
    assert combine(("a", "b"), same, QUICK).scope == "2 parts, parts 1, 2: scope a"


def test_parts_must_be_formula_claims_and_replace_makes_a_one_part_twin():
    with pytest.raises(TypeError, match="non-empty"):
        AllOf("empty", ())
    F = AllOf("sums", (SUM_Z, SUM_YHAT))
    T = F.replace(1, SUM_YHAT_ONE)
    assert T.parts == (SUM_Z, SUM_YHAT_ONE) and F.parts == (SUM_Z, SUM_YHAT) and set(T.checks) == set(F.checks)


@functools.lru_cache(maxsize=None)
def run(which: str, level: Level):
    F = AllOf("sums", (SUM_Z, SUM_YHAT))
    return (F if which == "claim" else F.replace(1, SUM_YHAT_ONE)).check(level)(QUICK)


@pytest.mark.parametrize("level", [Level.THEORY, Level.NUMERICS])
def test_the_engine_proves_every_part_and_refutes_the_edited_twin_with_a_certificate(level):
    assert run("claim", level).verdict is (Verdict.PROVED if level is Level.THEORY else Verdict.HOLDS)
    twin = run("twin", level)
    assert twin.verdict is Verdict.REFUTED and twin.evidence["part_name"] == "sum yhat = 1"
    assert has_certificate(twin.evidence, level)


# --------------------------------------------------------------------------- the built-in claims on the engine
ENGINE_IDS = ["bn.backprop_ioffe_szegedy", "bn.dmu_second_term_vanishes", "bn.grad_projection_form",
              "santurkar.thm41_grad_norm", "santurkar.thm41_sqrt_m", "santurkar.thm42_hessian_quadratic_form",
              "santurkar.thm41_sigma_reading"]
# theory level on the engine; numerics keeps numerics.scale_invariance (m up to 300, |a| from 1e-30 to 1e30)
ENGINE_THEORY_IDS = ["scale.invariance", "scale.invariance_with_eps", "scale.decoupling_formula_seed",
                     "scale.decoupling_formula_exact"]


def engine_target(fn) -> object:
    assert isinstance(fn, functools.partial), fn
    return fn.func


@pytest.mark.parametrize("cid", ENGINE_IDS + ENGINE_THEORY_IDS)
def test_built_in_formula_claims_and_their_twins_run_through_the_generic_engine(cid):
    from bnclaims.formula import check_numerically, prove
    claim = get_claim(cid)
    levels = (Level.THEORY,) if cid in ENGINE_THEORY_IDS else (Level.THEORY, Level.NUMERICS)
    for checks in [claim.checks] + ([claim.twin.checks] if claim.twin else []):
        assert {engine_target(checks[lv]) for lv in levels} <= {prove, check_numerically, combine}


def test_scale_level_checks_of_thm41_and_thm42_are_kept():
    for cid in ("santurkar.thm41_grad_norm", "santurkar.thm42_hessian_quadratic_form"):
        claim = get_claim(cid)
        assert Level.SCALE in claim.checks and Level.SCALE in claim.twin.checks
