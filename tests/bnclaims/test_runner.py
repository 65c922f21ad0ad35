"""Tests for bnclaims.runner: records, twins, errors reported and never passed off as verdicts."""
from dataclasses import replace

from bnclaims import Claim, Context, Level, Outcome, Source, Twin, Verdict, Witness
from bnclaims.registry import BUILTIN
from bnclaims.runner import Runner, certified_only, check_witness, ledger, run_claims, run_one


def test_a_check_that_raises_becomes_an_inconclusive_record_with_the_error():
    def broken(ctx):
        """Always fails."""
        raise ZeroDivisionError("boom")

    rec = run_one(broken, Context(), record_id="x.y", level=Level.THEORY, expected=Verdict.PROVED)
    assert rec.verdict == "inconclusive" and not rec.as_expected
    assert "ZeroDivisionError: boom" in rec.evidence["error"]


def test_evidence_is_made_json_safe_and_the_ledger_has_the_environment():
    def ok(ctx):
        """Returns a non-JSON number."""
        from fractions import Fraction

        return Outcome(Verdict.HOLDS, "one case", {"value": Fraction(1, 3), "nan": float("nan")})

    rec = run_one(ok, Context(), record_id="x.y", level=Level.NUMERICS, expected=Verdict.HOLDS)
    assert rec.evidence == {"value": "1/3", "nan": "nan"} and rec.as_expected
    doc = ledger([rec], Context(seed=7))
    assert doc["environment"]["seed"] == 7 and doc["results"][0]["id"] == "x.y"


def test_an_outcome_without_scope_is_rejected():
    import pytest

    with pytest.raises(ValueError, match="scope"):
        Outcome(Verdict.PROVED, "")


# -- the runtime rules: certificates and non-vacuity -----------------------------------------------


def _always(verdict, evidence=None):
    def check(ctx):
        """A check that returns a fixed outcome."""
        return Outcome(verdict, "fixed", dict(evidence or {}))
    return check


def _claim(cid="mine.c", hypotheses=("x > 0",), witness=None, verdict=Verdict.PROVED, twin=True, **kw):
    return Claim(id=cid, statement="s", source=Source("me", "here"), hypotheses=hypotheses, witness=witness,
                 checks={Level.THEORY: _always(verdict)}, expected=kw.pop("expected", Verdict.PROVED),
                 twin=Twin(change="c", statement="t", checks={Level.THEORY: _always(
                     Verdict.REFUTED, {"exact": True})}) if twin else None, **kw)


def test_a_proof_under_hypotheses_that_its_witness_fails_is_inconclusive_and_says_why():
    claim = _claim(witness=Witness({"x": -1}, lambda: -1 > 0))
    claim_rec, twin_rec = run_claims([claim], [Level.THEORY], Context())
    assert claim_rec.verdict == "inconclusive" and not claim_rec.as_expected
    assert claim_rec.evidence["vacuous"].startswith("hypotheses admit no witness: the witness {'x': -1}")
    assert claim_rec.evidence["reported_verdict"] == "proved"
    assert twin_rec.verdict == "refuted" and twin_rec.as_expected  # a certified refutation stands


def test_a_witness_that_raises_or_is_missing_shows_nothing():
    raising = _claim(witness=Witness({}, lambda: 1 / 0))
    assert "raised ZeroDivisionError" in check_witness(raising).reason
    missing = _claim(witness=None)
    rec = Runner(Context()).run(missing, Level.THEORY)
    assert rec.verdict == "inconclusive" and "gives no Witness" in rec.evidence["vacuous"]


def test_hypotheses_none_and_implementation_claims_need_no_witness():
    assert Runner(Context()).run(_claim(hypotheses=("none beyond the definitions",)), Level.THEORY).verdict == "proved"
    assert Runner(Context()).run(_claim("conformance.mine", hypotheses=("CPU",)), Level.THEORY).verdict == "proved"


def test_a_refutation_under_a_failing_witness_is_left_to_the_certificate_rule():
    claim = _claim(witness=Witness({}, lambda: False), verdict=Verdict.REFUTED, expected=Verdict.REFUTED, twin=False)
    assert Runner(Context()).run(claim, Level.THEORY).verdict == "inconclusive"  # no certificate
    certified = replace(claim, checks={Level.THEORY: _always(Verdict.REFUTED, {"exact": True})})
    assert Runner(Context()).run(certified, Level.THEORY).verdict == "refuted"


def test_the_witness_check_runs_once_per_claim_per_runner_and_is_timed():
    calls = []
    claim = _claim(witness=Witness({}, lambda: calls.append(1) or True))
    runner = Runner(Context())
    records = runner.run_claims([claim], [Level.THEORY, Level.NUMERICS])
    runner.run(claim, Level.THEORY, twin=True)
    assert len(records) == 2 and calls == [1]
    assert runner.witnesses["mine.c"].ok and runner.witnesses["mine.c"].seconds >= 0


def test_every_refutation_needs_a_certificate_at_its_level():
    bare = Outcome(Verdict.REFUTED, "one case", {"counterexample": {"x": 1}})
    for level in Level:
        out = certified_only(bare, level)
        assert out.verdict is Verdict.INCONCLUSIVE and "downgraded" in out.evidence, level
    assert "exact: true" in certified_only(bare, Level.THEORY).evidence["downgraded"]
    exact = Outcome(Verdict.REFUTED, "one case", {"counterexample": {"x": 1}, "exact": True})
    interval = Outcome(Verdict.REFUTED, "one case", {"certificate": {"certified": True}})
    assert all(certified_only(exact, level) is exact for level in Level)
    assert certified_only(interval, Level.NUMERICS) is interval
    statistical = {"statistical": True, "per_seed": [1], "interval": [0, 1], "level": 0.95, "seeds": [1],
                   "preset": "quick", "versions": {}}
    stat = Outcome(Verdict.REFUTED, "seeds", {"certificate": statistical})
    assert certified_only(stat, Level.SCALE) is stat
    assert certified_only(stat, Level.THEORY).verdict is Verdict.INCONCLUSIVE


def test_run_one_applies_the_certificate_rule_to_every_record():
    rec = run_one(_always(Verdict.REFUTED), Context(), record_id="x.y", level=Level.THEORY, expected=Verdict.REFUTED)
    assert rec.verdict == "inconclusive" and rec.evidence["reported_verdict"] == "refuted" and not rec.as_expected


def test_a_check_that_returns_no_outcome_is_an_error_record():
    rec = run_one(lambda ctx: "proved", Context(), record_id="x.y", level=Level.THEORY, expected=Verdict.PROVED)
    assert "must return a bnclaims.Outcome, got str" in rec.evidence["error"]


def test_every_built_in_claim_passes_the_runtime_witness_rule():
    runner = Runner(Context())
    failing = {c.id: runner.witness(c).reason for c in BUILTIN.all_claims() if not runner.witness(c).ok}
    assert not failing, failing
