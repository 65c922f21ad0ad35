"""Tests for bnclaims.latex.summary: the verdict table, expected or from a ledger."""
from bnclaims.latex import bibliography, document, summary
from bnclaims.registry import all_claims, get_claim
from bnclaims.verdicts import Level

CLAIMS = sorted(all_claims(), key=lambda c: c.id)
PAPERS = document.papers(CLAIMS, bibliography.load())


def _row(text: str, claim_id: str) -> str:
    tt = summary.tt_id(claim_id)
    return next(line for line in text.splitlines() if line.startswith(r"\quad " + tt + " "))


def test_without_a_ledger_the_table_says_it_states_expected_verdicts():
    text = summary.summary_tex(CLAIMS, PAPERS)
    assert r"\emph{expected} verdict" in text and "no ledger was given" in text
    assert _row(text, "santurkar.lemma45_initialization").split(" & ")[1:4] == ["refuted", "refuted", "--"]


def test_every_claim_has_one_row_under_its_paper():
    text = summary.summary_tex(CLAIMS, PAPERS)
    for claim in CLAIMS:
        row = _row(text, claim.id)
        paper = text.rfind(r"\cite{", 0, text.index(row))
        assert text.startswith(rf"\cite{{{claim.source.bibkey}}}", paper)


def test_a_ledger_verdict_that_differs_is_marked_and_a_missing_one_is_not_run():
    claim = get_claim("santurkar.lemma45_initialization")
    ledger = {"git_commit": "0123456789abcdef", "results": [
        {"id": claim.id, "level": "theory", "verdict": "inconclusive"},
        {"id": "mine.other", "level": "theory", "verdict": "proved"}]}
    text = summary.summary_tex(CLAIMS, PAPERS, ledger, "run.json")
    cells = _row(text, claim.id).split(" & ")
    assert cells[1] == r"\textbf{inconclusive}$^{*}$" and cells[2] == "not run"
    assert r"\texttt{run.json}" in text and "0123456789ab" in text and "1 records of claims" in text


def test_a_twin_that_was_not_refuted_is_marked():
    claim = next(c for c in CLAIMS if c.twin is not None and Level.THEORY in c.twin.checks)
    ledger = {"results": [{"id": f"{claim.id}.twin", "level": "theory", "verdict": "holds"}]}
    assert _row(summary.summary_tex(CLAIMS, PAPERS, ledger, "x.json"), claim.id).split(" & ")[4] == \
        r"\textbf{holds}$^{*}$"
