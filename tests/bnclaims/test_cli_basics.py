"""Tests for bnclaims.cli and bnclaims.__main__: --version, python -m bnclaims, nested bench help, closed pipes."""
import subprocess
import sys

import pytest

from bnclaims import __version__
from bnclaims.cli import main


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"bnclaims {__version__}"


def test_python_dash_m_bnclaims_runs_the_same_command_line():
    out = subprocess.run([sys.executable, "-m", "bnclaims", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"bnclaims {__version__}"


def test_bench_help_lists_its_benchmarks_and_exits_0(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "curvature" in out


def test_bench_curvature_help_is_the_benchmarks_own_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "curvature", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "--anchors" in out and "--preset" in out


def test_a_closed_pipe_ends_quietly_without_a_traceback():
    cmd = f"{sys.executable} -m bnclaims show conformance | head -n 1"
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    assert out.stdout.count("\n") == 1 and out.stderr == "", out.stderr[-500:]
