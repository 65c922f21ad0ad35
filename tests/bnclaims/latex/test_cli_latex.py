"""Tests for the ``bnclaims latex`` subcommand (bnclaims.cli): --check prints a unified diff, --update
rewrites the golden files, --pdf builds the PDF or says in one line that pdflatex is missing."""
import json
import shutil

import pytest

from bnclaims import cli
from bnclaims.latex import MASTER, SUMMARY, golden

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex is not installed (Debian: texlive-latex-base lmodern)")


@pytest.fixture
def golden_copy(generated, tmp_path, monkeypatch):
    where = tmp_path / "latex"
    where.mkdir()
    for name, text in generated[0].items():
        (where / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(golden, "GOLDEN_DIR", where)
    return where


def test_check_passes_quietly_on_current_golden_files(golden_copy, capsys):
    assert cli.main(["latex", "--check"]) == 0
    assert capsys.readouterr().out == "golden LaTeX up to date\n"


def test_check_prints_a_unified_diff_of_each_stale_file_and_exits_1(golden_copy, capsys):
    text = (golden_copy / SUMMARY).read_text(encoding="utf-8")
    (golden_copy / SUMMARY).write_text(text.replace("False twin", "Twin", 1), encoding="utf-8")
    assert cli.main(["latex", "--check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"--- latex/{SUMMARY} (golden)\n+++ latex/{SUMMARY} (regenerated)\n@@ ")
    assert "\n-Claim & Theory & Numerics & Scale & Twin" in out and "bnclaims latex --update" in out


def test_update_rewrites_the_golden_files_and_lists_them(golden_copy, capsys):
    (golden_copy / MASTER).write_text("old\n", encoding="utf-8")
    assert cli.main(["latex", "--update"]) == 0
    assert capsys.readouterr().out == f"updated  {MASTER} (text changed, mathematics equal)\n"
    assert cli.main(["latex", "--update"]) == 0
    assert capsys.readouterr().out == "golden LaTeX already up to date\n"
    assert cli.main(["latex", "--check"]) == 0


def test_from_is_refused_with_check_because_golden_files_state_expected_verdicts(capsys):
    assert cli.main(["latex", "--check", "--from", "ledger.json"]) == 2
    assert "--from applies to --out/--pdf only" in capsys.readouterr().err


def test_pdf_without_pdflatex_is_a_one_line_error_with_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli.main(["latex", "--pdf", "--out", str(tmp_path / "tex")]) == 2
    err = capsys.readouterr().err
    assert "pdflatex not found" in err and err.count("\n") == 1
    assert not (tmp_path / "tex").exists()


@needs_pdflatex
def test_pdf_from_a_ledger_builds_and_shows_the_observed_verdicts(use_derived, tmp_path, capsys):
    ledger = tmp_path / "ledger.json"
    ledger.write_text(json.dumps({"schema_version": 1, "results": [
        {"id": "santurkar.lemma45_initialization", "level": "theory", "verdict": "inconclusive"}]}),
        encoding="utf-8")
    out = tmp_path / "tex"
    assert cli.main(["latex", "--pdf", "--out", str(out), "--from", str(ledger)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'bnclaims.pdf'}: " in printed and "warning" not in printed
    summary = (out / SUMMARY).read_text(encoding="utf-8")
    assert r"\texttt{ledger.json}" in summary and r"\textbf{inconclusive}$^{*}$" in summary
