"""Tests for bnclaims.report.command (``bnclaims report``): output files, byte-stable reruns, one-line errors."""
import hashlib
import json
import subprocess
import sys

import pytest

from bnclaims.cli import main
from bnclaims.schema import SCHEMA_VERSION

from .conftest import SCALE_ID


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_rerun_writes_the_same_bytes(report_dir, ledger_path, capsys):
    before = _digest(report_dir)
    assert set(before) == {"report.html", "report.md", "figures/santurkar.lemma45_initialization.geometry.png",
                           f"figures/{SCALE_ID}.png"}
    assert main(["report", "--from", str(ledger_path), "--out", str(report_dir)]) == 0
    assert "wrote" in capsys.readouterr().out and _digest(report_dir) == before


def test_the_curvature_bench_adds_its_figures(ledger_path, tmp_path, capsys):
    from .test_figures import BENCH

    assert main(["report", "--from", str(ledger_path), "--out", str(tmp_path), "--bench", str(BENCH)]) == 0
    assert {"curvature.eigensolvers.png", "curvature.trace.png"} <= {p.name for p in (tmp_path / "figures").iterdir()}


def test_plots_that_cannot_be_found_are_reported_on_stderr(ledger, tmp_path, capsys):
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(ledger))  # the plots/ directory stayed behind
    assert main(["report", "--from", str(path), "--out", str(tmp_path / "out")]) == 0
    assert f"1 plots named in the ledger were not found ({SCALE_ID}.png)" in capsys.readouterr().err


@pytest.mark.parametrize("make,message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.write_text("{"), "is not valid JSON"),
    (lambda p: p.write_text('{"schema_version": 1, "kind": "claims", "claims": []}'), "is not a bnclaims ledger"),
    (lambda p: p.write_text(f'{{"schema_version": {SCHEMA_VERSION + 1}, "results": []}}'), f"schema_version {SCHEMA_VERSION + 1}, newer than"),
])
def test_bad_ledgers_exit_2_with_one_line_and_no_traceback(tmp_path, make, message):
    path = tmp_path / "ledger.json"
    make(path)
    run = subprocess.run([sys.executable, "-m", "bnclaims", "report", "--from", str(path), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


@pytest.mark.parametrize("argv,message", [
    (["--bench", "{ledger}"], "is not the output of 'bnclaims bench curvature --json'"),
    (["--plots", "{ledger}"], "is not a directory"),
    (["--out", "{ledger}"], "exists and is not a directory"),
])
def test_bad_options_exit_2_with_one_line(ledger_path, tmp_path, capsys, argv, message):
    argv = [a.format(ledger=ledger_path) for a in argv]
    out = [] if "--out" in argv else ["--out", str(tmp_path)]
    assert main(["report", "--from", str(ledger_path), *out, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
