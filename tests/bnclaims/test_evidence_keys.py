"""Tests for bnclaims.schema.evidence_keys: one name for each kind of evidence, held on real records.

The ledger is a quick-preset run of claims that together write every kind of evidence (and wrote every
retired synonym), theory and numerics, plus one cheap network claim at the scale level; the rule is
checked at every depth of every record's evidence. The checks run in a subprocess, so that this module
leaves no state (sympy's symbol cache) to the tests that run after it.
"""
import json
import subprocess
import sys

import pytest

from bnclaims.schema import schema
from bnclaims.schema.evidence_keys import CANONICAL, RETIRED, evidence_keys, kind_of, misnamed

CLAIMS = ("santurkar.lemma45_initialization", "santurkar.lemma45_rhs_is_distance", "santurkar.obs43_reparametrization",
          "santurkar.obs43_minima_critical", "rao.appendix_b_step", "rao.regnorm_minimum_at_zero_mean",
          "rao.appendix_a_variance_regularizer", "cai.bngd_converges_any_lr", "cai.effective_condition_number",
          "scale.decoupling_formula_exact", "yang.relu_explosion_rate_large_batch", "bn.jacobian_near_identity_seed",
          "conformance.torch_batchnorm_forward", "conformance.torch_running_stats",
          "conformance.planted_mapping_no_bessel", "conformance.gradgradcheck_bn",
          "conformance.torch_func_hessian_bn_train")
SCALE_CLAIM = "rao.prelayernorm_mean_small"

#: Refuted records with no input to exhibit, and why.
NO_COUNTEREXAMPLE = {
    ("yang.relu_explosion_rate_large_batch.twin", "theory"):
        "the claim is one number (the limit of the rate): refuted by the exact difference of the two limits",
    ("yang.relu_explosion_rate_large_batch.twin", "numerics"):
        "the claim is one number (the limit of the rate): refuted by an interval enclosure of the true limit",
}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    root = tmp_path_factory.mktemp("evidence")
    out = []
    for name, argv in (("theory_numerics", [*CLAIMS, "--level", "theory", "--level", "numerics"]),
                       ("scale", [SCALE_CLAIM, "--level", "scale", "--jobs", "1"])):
        path = root / f"{name}.json"
        run = subprocess.run([sys.executable, "-m", "bnclaims", "verify", *argv, "--preset", "quick", "--no-progress",
                              "--json", str(path)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        out += json.loads(path.read_text())["results"]
    return out


def test_every_evidence_key_at_every_depth_is_a_canonical_name_or_names_no_kind(records):
    bad = [line for r in records for line in misnamed(r["evidence"], f"{r['id']}@{r['level']}")]
    assert not bad, "\n".join(bad)


def test_the_records_write_every_kind_of_evidence(records):
    seen = {key for r in records for _, key in evidence_keys(r["evidence"])}
    assert set(CANONICAL) - {"witness"} <= seen
    assert any(key == "witness" for r in records if r["id"].startswith("rao.regnorm_minimum_at_zero_mean")
               for _, key in evidence_keys(r["evidence"]))


def test_every_refuted_record_has_a_counterexample_or_a_stated_reason(records):
    refuted = [(r["id"], r["level"]) for r in records if r["verdict"] == "refuted" and r["level"] != "scale"]
    assert len(refuted) >= 20
    missing = [k for k in refuted if k not in NO_COUNTEREXAMPLE
               and next(r for r in records if (r["id"], r["level"]) == k)["evidence"].get("counterexample")
               in (None, {}, [])]
    assert not missing, missing
    assert set(NO_COUNTEREXAMPLE) <= set(refuted)


@pytest.mark.parametrize("old", sorted(RETIRED))
def test_the_rule_rejects_every_retired_name_at_any_depth(old):
    assert misnamed({old: 1}) and misnamed({"part": [{old: 1}]})[0].startswith("evidence.part[0]: " + old)


@pytest.mark.parametrize("key", ["counterexample_pair", "the_witness", "certificates", "max_err_vs_closed",
                                 "worst_seed", "tolerance_rel"])
def test_the_rule_rejects_a_new_synonym_by_its_wording(key):
    assert kind_of(key) is not None and misnamed({"a": {key: 1}})


def test_canonical_names_and_plain_keys_pass():
    evidence = {name: {"certified": True} for name in CANONICAL}
    evidence.update({"per_dtype": {"float32": {"max_error_over_bound": 0.5}}, "max_kappa_ratio": "1.0",
                     "max_final_excess": "0", "violations": [], "cases": 3, "shrunk": True})
    assert misnamed(evidence) == []


def test_the_shipped_schema_documents_each_canonical_name_as_the_module_does():
    props = schema()["$defs"]["record"]["properties"]["evidence"]["properties"]
    assert {k: v["description"] for k, v in props.items() if k not in ("plot", "error")} == CANONICAL
