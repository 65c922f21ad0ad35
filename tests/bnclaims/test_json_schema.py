"""Tests for bnclaims.schema (the JSON contract): every document the CLI writes validates against the
shipped JSON Schema, list and verify share the claim shape, and the reader refuses what is not a ledger."""
import json
import math
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from bnclaims import BadInput
from bnclaims.cli import main
from bnclaims.schema import SCHEMA_VERSION, read_ledger, schema

FAST = "bn.dmu_second_term_vanishes"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "claims_mine.py"


def _validator():
    return jsonschema.Draft202012Validator(schema())


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    """verify, check and list documents, written once by the command line."""
    root = tmp_path_factory.mktemp("docs")
    paths = {k: root / f"{k}.json" for k in ("verify", "check", "list")}
    assert main(["verify", FAST, "--level", "theory", "--preset", "quick", "--no-progress",
                 "--json", str(paths["verify"])]) == 0
    assert main(["check", str(EXAMPLE), "mine.sum_is_m_beta", "mine.thm41_three_over_m", "--level", "theory",
                 "--preset", "quick", "--no-progress", "--json", str(paths["check"])]) == 1
    assert main(["list", "--json", str(paths["list"])]) == 0
    return {k: json.loads(p.read_text()) for k, p in paths.items()}


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_inside_the_package():
    shipped = resources.files("bnclaims.schema").joinpath("ledger.schema.json")
    assert shipped.is_file()
    jsonschema.Draft202012Validator.check_schema(json.loads(shipped.read_text(encoding="utf-8")))
    assert schema()["properties"]["schema_version"] == {"const": SCHEMA_VERSION}


@pytest.mark.parametrize("which", ["verify", "check", "list"])
def test_every_document_the_command_line_writes_validates_against_the_schema(documents, which):
    doc = documents[which]
    _validator().validate(doc)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["command"][:2] == ["bnclaims", which]
    assert doc["git_commit"] is None or len(doc["git_commit"]) == 40


def test_list_and_verify_describe_a_claim_in_the_same_shape(documents):
    listed = {c["id"]: c for c in documents["list"]["claims"]}
    (ran,) = documents["verify"]["claims"]
    assert ran == listed[FAST]


def test_as_expected_and_the_summary_agree_with_the_records(documents):
    doc = documents["check"]
    for rec in doc["results"]:
        assert rec["as_expected"] == (rec["verdict"] == rec["expected"]), rec["id"]
    s = doc["summary"]
    assert (s["records"], s["differ"]) == (4, 1)  # the 3/m transcription of Thm 4.1 is refuted
    assert s["as_expected"] + s["differ"] == s["records"] == sum(s["verdicts"].values()) == sum(s["levels"].values())
    assert {c["id"] for c in doc["claims"]} == {"mine.sum_is_m_beta", "mine.thm41_three_over_m"}


def test_the_schema_rejects_a_record_without_as_expected(documents):
    doc = json.loads(json.dumps(documents["verify"]))
    del doc["results"][0]["as_expected"]
    with pytest.raises(jsonschema.ValidationError, match="as_expected"):
        _validator().validate(doc)


@pytest.mark.parametrize("content,message", [
    ("{not json", "is not valid JSON"),
    ('{"kind": "claims", "claims": []}', "is not a bnclaims ledger"),
    ('[1, 2]', "is not a bnclaims ledger"),
    ('{"schema_version": 99, "results": []}', "newer than this bnclaims reads"),
    ('{"schema_version": 1, "results": [{"id": 3}]}', "result 0 is not a ledger record"),
])
def test_the_reader_refuses_what_is_not_a_ledger_it_can_read(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(BadInput, match=message):
        read_ledger(path)


def test_the_reader_takes_a_ledger_written_before_the_contract_as_version_0(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"environment": {}, "results": [
        {"id": FAST, "level": "theory", "verdict": "proved", "expected": "proved", "scope": "", "evidence": {},
         "seconds": 0.1}]}))
    assert read_ledger(path)["results"][0]["id"] == FAST


def test_rate_json_starts_with_the_same_envelope_as_the_ledger(tmp_path):
    from bnclaims.cli import main

    path = tmp_path / "rate.json"
    assert main(["rate", "--activation", "relu", "--json", str(path)]) == 0
    doc = json.loads(path.read_text())
    assert (doc["schema_version"], doc["kind"]) == (SCHEMA_VERSION, "rate") and doc["command"][:3] == ["bnclaims", "rate", "--activation"]
    assert abs(float(doc["large_batch_rate"]) - math.pi / (math.pi - 1)) < 1e-12  # relu: pi/(pi - 1)
