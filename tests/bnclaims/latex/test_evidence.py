"""Tests for bnclaims.latex.evidence: the semantic golden record keeps the evidence behind each verdict,
so that a changed counterexample is a changed result, never printer drift."""
import json

from bnclaims.context import Context
from bnclaims.latex.document import _LATEX_CTX_SEED, GOLDEN_DIR, SEMANTIC
from bnclaims.latex.evidence import evidence_that_matters, semantic_evidence
from bnclaims.latex.golden import _same_math, check_golden
from bnclaims.latex.text import filename
from bnclaims.registry import get_claim
from bnclaims.verdicts import Level, Outcome, Verdict

THM42 = "santurkar.thm42_hessian_quadratic_form"


def _refutation(counterexample: dict) -> Outcome:
    return Outcome(Verdict.REFUTED, "exact counterexample", evidence={
        "counterexample": counterexample, "exact": True, "rhs_60_digits": "1.0000", "gap_float": "0.5"})


def test_the_record_keeps_counterexamples_and_drops_printed_decimals():
    sem = semantic_evidence("twin", _refutation({"y": [-1, 0, 0], "lhs": "-27*sqrt(2)/16", "lhs_float": "-2.3"}))
    assert sem == {"twin.evidence.counterexample": '{"lhs": "-27*sqrt(2)/16", "y": [-1, 0, 0]}',
                   "twin.evidence.exact": "true"}
    assert evidence_that_matters([{"a_20_digits": "1", "b": 2}]) == [{"b": 2}]


def test_a_changed_counterexample_is_not_the_same_mathematics():
    old = semantic_evidence("twin", _refutation({"y": [-1, 0, 0], "lhs": "-27*sqrt(2)/16"}))
    new = semantic_evidence("twin", _refutation({"y": [-1, 0, 0], "lhs": "27*sqrt(2)/16"}))
    key = "twin.evidence.counterexample"
    assert _same_math(old[key], old[key])
    assert not _same_math(old[key], new[key])


def test_check_golden_reports_a_changed_counterexample_as_a_changed_result(tmp_path):
    name = filename(THM42)
    old_sem = {"twin.verdict": "refuted", **semantic_evidence("twin", _refutation({"y": [-1, 0, 0]}))}
    new_sem = {"twin.verdict": "refuted", **semantic_evidence("twin", _refutation({"y": [-1, 0, 1]}))}
    (tmp_path / name).write_text("counterexample $y = (-1, 0, 0)$\n", encoding="utf-8")
    (tmp_path / SEMANTIC).write_text(json.dumps({THM42: old_sem}), encoding="utf-8")
    files = {name: "counterexample $y = (-1, 0, 1)$\n", SEMANTIC: json.dumps({THM42: new_sem})}
    report = check_golden(tmp_path, (files, {THM42: new_sem}))
    assert name in report.result_changed and SEMANTIC in report.result_changed, report.summary()
    assert report.printer_drift == []


def test_the_thm42_twins_counterexample_is_the_one_in_the_golden_record():
    """The exact search of the Thm 4.2 twin (second derivative along the path at t = 0) still finds
    the committed counterexample; any other point or value is a changed result."""
    twin = get_claim(THM42).twin.checks[Level.THEORY](Context(seed=_LATEX_CTX_SEED, preset="default"))
    golden = json.loads((GOLDEN_DIR / SEMANTIC).read_text(encoding="utf-8"))[THM42]
    fresh = semantic_evidence("twin", twin)
    assert "twin.evidence.counterexample" in fresh
    for key, value in fresh.items():
        assert key in golden, f"{key} missing from golden/latex/{SEMANTIC}"
        assert _same_math(golden[key], value), f"{key}: golden {golden[key]}, now {value}"
