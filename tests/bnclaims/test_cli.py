"""Tests for bnclaims.cli: commands, JSON ledger shape, exit codes and one-line errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bnclaims.cli import main

FAST = "bn.dmu_second_term_vanishes"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_prints_every_claim_and_writes_json(capsys, tmp_path):
    path = tmp_path / "claims.json"
    code, out, _ = run(capsys, "list", "--json", str(path))
    assert code == 0 and FAST in out
    data = json.loads(path.read_text())
    assert data["kind"] == "claims" and data["summary"]["claims"] == len(data["claims"])
    assert {"id", "source", "hypotheses", "twin", "expected"} <= set(data["claims"][0])


def test_show_prints_statement_source_hypotheses_and_twin(capsys):
    code, out, _ = run(capsys, "show", "santurkar.thm41_grad_norm")
    assert code == 0
    for word in ("statement:", "source:", "hypotheses:", "false twin", "santurkar2018how"):
        assert word in out


def test_verify_writes_one_record_per_claim_and_level_with_twins(capsys, tmp_path):
    path = tmp_path / "out.json"
    code, out, _ = run(capsys, "verify", FAST, "--level", "theory", "--preset", "quick",
                       "--json", str(path), "--no-progress")
    assert code == 0, out
    data = json.loads(path.read_text())
    assert data["environment"]["seed"] == 20251122 and data["environment"]["packages"]["sympy"]
    ids = [(r["id"], r["level"]) for r in data["results"]]
    assert ids == [(FAST, "theory"), (FAST + ".twin", "theory")]
    rec = data["results"][0]
    assert set(rec) == {"id", "level", "verdict", "expected", "as_expected", "scope", "evidence", "seconds"}
    assert rec["verdict"] == rec["expected"] == "proved" and rec["as_expected"] is True
    assert [c["id"] for c in data["claims"]] == [FAST] and data["summary"]["as_expected"] == 2


@pytest.mark.parametrize("argv,fragment", [
    (["verify", "bn.no_such_claim"], "unknown claim id"),
    (["verify", "--level", "galaxy"], "invalid choice"),
    (["show", "nothing.here"], "unknown claim id"),
    (["verify", "santurkar.thm41_grad_norm", "--batch", "1,2,3", "--eps", "-0.1"], "eps must be >= 0"),
    (["verify", "santurkar.thm41_grad_norm", "--batch", "5"], "batch size 1"),
    (["verify", "santurkar.thm41_grad_norm", "--batch", "1,nan,3"], "finite"),
    (["verify", "santurkar.thm41_grad_norm", "--batch", "1,2,x"], "cannot read"),
    (["verify", "santurkar.thm41_grad_norm", "--batch", "2,2,2"], "constant"),
    (["verify", "santurkar.thm41_grad_norm", "--batch", "1,2,3", "--upstream", "1,0"], "upstream has 2"),
    (["verify", "--dps", "20"], "at least 50"),
    (["verify", "--eps", "0.1"], "only apply together with --batch"),
])
def test_bad_input_exits_2_with_a_one_line_message(capsys, argv, fragment):
    code, out, err = run_safely(capsys, argv)
    assert code == 2
    assert fragment in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def run_safely(capsys, argv):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_on_a_user_batch_evaluates_the_claim_exactly(capsys):
    code, out, _ = run(capsys, "verify", "santurkar.thm41_grad_norm", "--batch", "-3,-1,1,3",
                       "--upstream", "1,0,0,0")
    assert code == 0, out
    assert "santurkar.thm41_grad_norm" in out


def test_console_script_is_installed_and_explains_itself():
    res = subprocess.run([sys.executable, "-m", "bnclaims.cli", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "exit codes" in res.stdout


def test_user_batches_with_a_huge_mean_get_enough_digits_and_still_hold(capsys):
    batch = ",".join(str(10**40 + k) for k in (0, 1, 3))
    code, out, _ = run(capsys, "verify", "bn.grad_projection_form", "santurkar.thm41_grad_norm",
                       "--batch", batch, "--upstream", "1,0,0")
    assert code == 0, out
    assert "holds" in out and "refuted" not in out


# -- bnclaims check: a user's claims file ----------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "claims_mine.py"


def test_check_gives_the_documented_example_its_three_outcomes_and_exit_1(capsys, tmp_path):
    path = tmp_path / "out.json"
    code, out, _ = run(capsys, "check", str(EXAMPLE), "--preset", "quick", "--no-progress", "--json", str(path))
    assert code == 1, out
    doc = json.loads(path.read_text())
    got = {(r["id"], r["level"]): r["verdict"] for r in doc["results"]}
    assert got == {
        ("mine.sum_is_m_beta", "theory"): "proved", ("mine.sum_is_m_beta", "numerics"): "holds",
        ("mine.thm41_three_over_m", "theory"): "refuted", ("mine.thm41_three_over_m", "numerics"): "refuted",
        ("mine.sum_contradictory", "theory"): "inconclusive", ("mine.sum_contradictory", "numerics"): "inconclusive",
        **{(f"{c}.twin", lv): "refuted" for c in ("mine.sum_is_m_beta", "mine.thm41_three_over_m",
                                                  "mine.sum_contradictory") for lv in ("theory", "numerics")}}
    assert doc["environment"]["claims"] == str(EXAMPLE) and doc["environment"]["preset"] == "quick"
    refuted = [r for r in doc["results"] if r["id"] == "mine.thm41_three_over_m"]
    assert all(r["evidence"]["counterexample"] for r in refuted)
    assert "vacuous: hypotheses admit no witness" in out


def test_check_exits_0_when_every_selected_claim_is_as_expected(capsys):
    code, out, _ = run(capsys, "check", str(EXAMPLE), "mine.sum_is_m_beta", "--level", "theory",
                       "--seed", "3", "--no-progress")
    assert code == 0, out
    assert "mine.sum_is_m_beta.twin" in out and "numerics" not in out and "seed 3" in out


@pytest.mark.parametrize("text,fragment", [
    (None, "claims file"),
    ("import no_such_module_xyz\n", "import failed: ModuleNotFoundError"),
    ("x = 1\n", "no claims registered"),
    ("from bnclaims import register\nregister(1)\n", "malformed claim"),
])
def test_check_bad_input_exits_2_with_one_line(capsys, tmp_path, text, fragment):
    path = tmp_path / "claims_bad.py"
    if text is not None:
        path.write_text(text)
    code, out, err = run_safely(capsys, ["check", str(path)])
    assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1, err
    assert text is None or str(path) in err
