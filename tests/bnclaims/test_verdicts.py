"""Generic verdict tests over the whole registry (bnclaims.registry + every check).

For every (claim, level) the check must return the claim's expected verdict, and every twin
must be refuted by the same machinery. An unexpected pass fails exactly like an unexpected
failure. Runs at the ``quick`` preset; ``bnclaims verify`` runs the ``default`` budgets.
"""
import json

import pytest

from bnclaims import Context, Level, Verdict, all_claims
from bnclaims.verdicts import has_certificate

JOBS = [(c, lv) for c in all_claims() for lv in c.checks]
#: One context for every scale check, so that a claim and its twin share their experiment's cells.
SCALE_CTX = Context(preset="quick")


def _ctx(level):
    return SCALE_CTX if level is Level.SCALE else Context(preset="quick")
TWIN_JOBS = [(c, lv) for c in all_claims() if c.twin for lv in c.twin.checks]


def _explain(outcome) -> str:
    return json.dumps({"scope": outcome.scope, "evidence": outcome.evidence}, default=str)[:3000]


@pytest.mark.parametrize("claim,level", JOBS, ids=[f"{c.id}[{lv.value}]" for c, lv in JOBS])
def test_claim_gets_its_expected_verdict(claim, level):
    outcome = claim.checks[level](_ctx(level))
    expected = claim.expected_at(level)
    assert outcome.scope
    json.dumps(outcome.evidence)  # evidence is JSON-serializable as returned
    if expected is None:
        assert outcome.verdict is not Verdict.INCONCLUSIVE or outcome.evidence, _explain(outcome)
    else:
        assert outcome.verdict is expected, _explain(outcome)
    if outcome.verdict is Verdict.REFUTED:
        assert outcome.evidence, "a refutation must carry its counterexample"
        assert has_certificate(outcome.evidence, level), "refutations are certified: " + _explain(outcome)


@pytest.mark.parametrize("claim,level", TWIN_JOBS, ids=[f"{c.id}.twin[{lv.value}]" for c, lv in TWIN_JOBS])
def test_false_twin_is_refuted_by_the_same_machinery(claim, level):
    outcome = claim.twin.checks[level](_ctx(level))
    assert outcome.verdict is Verdict.REFUTED, _explain(outcome)
    assert outcome.evidence
    json.dumps(outcome.evidence)
    assert has_certificate(outcome.evidence, level), "refutations are certified: " + _explain(outcome)


def test_has_certificate_finds_nested_certificates_and_nothing_else():
    assert has_certificate({"a": [{"certificate": {"certified": True}}]})
    assert has_certificate({"exact": True})
    assert not has_certificate({"certificate": {"certified": False}, "note": "certified"})


def test_cli_downgrades_an_uncertified_refutation_of_user_data_to_inconclusive():
    from bnclaims import Outcome
    from bnclaims.cli import _certified_only

    bare = _certified_only(Outcome(Verdict.REFUTED, "user batch", {"error": "1e-30"}))
    assert bare.verdict is Verdict.INCONCLUSIVE and "downgraded" in bare.evidence
    kept = _certified_only(Outcome(Verdict.REFUTED, "user batch", {"certificate": {"certified": True}}))
    assert kept.verdict is Verdict.REFUTED
