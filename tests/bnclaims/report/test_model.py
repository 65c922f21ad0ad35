"""Tests for bnclaims.report.model: records grouped by paper and claim, descriptions, scale-level plots."""
import json

from bnclaims.report.bibtex import reference
from bnclaims.report.model import build_report

from .conftest import SCALE_ID


def test_claims_are_grouped_by_paper_with_their_records_and_twins(ledger, ledger_path):
    report = build_report(ledger, ledger_path=ledger_path)
    by_id = {c.id: (p.ref.short, c) for p in report.papers for c in p.claims}
    assert by_id["santurkar.lemma45_initialization"][0] == "Santurkar et al. (2018)"
    paper, dmu = by_id["bn.dmu_second_term_vanishes"]
    assert paper == reference(dmu.info["source"]["bibkey"]).short != dmu.info["source"]["bibkey"]
    assert dmu.records["theory"]["verdict"] == "proved" and dmu.twin_records["theory"]["verdict"] == "refuted"
    assert report.levels == ["theory", "scale"] and report.missing_plots == []


def test_the_scale_plot_named_in_the_evidence_is_found_in_the_recorded_plots_directory(ledger, ledger_path):
    report = build_report(ledger, ledger_path=ledger_path)
    (view,) = [c for p in report.papers for c in p.claims if c.id == SCALE_ID]
    assert [f.name for f in view.figures] == [f"{SCALE_ID}.png"]
    assert view.figures[0].png == (ledger_path.parent / "plots" / f"{SCALE_ID}.png").read_bytes()


def test_a_plot_that_is_missing_or_named_with_a_path_is_noted_not_read(ledger, tmp_path):
    doc = json.loads(json.dumps(ledger))
    doc["results"][-1]["evidence"]["plot"] = "../../etc/passwd.png"
    report = build_report(doc, ledger_path=tmp_path / "elsewhere.json")
    (view,) = [c for p in report.papers for c in p.claims if c.id == SCALE_ID]
    assert view.figures == [] and report.missing_plots == ["../../etc/passwd.png"]
    assert "was not found" in view.notes[0]


def test_a_ledger_from_before_the_contract_is_described_from_the_builtin_claims(ledger):
    old = {"environment": ledger["environment"], "results": ledger["results"][:2]}
    report = build_report(old)
    (paper,) = report.papers
    assert paper.claims[0].info["latex"] and paper.claims[0].as_expected
