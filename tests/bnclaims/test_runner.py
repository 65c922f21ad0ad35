"""Tests for bnclaims.runner: records, twins, errors reported and never passed off as verdicts."""
from bnclaims import Context, Level, Outcome, Verdict
from bnclaims.runner import ledger, run_one


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
