"""Tests for bnclaims.cli under bad input, one matrix over every subcommand (list, show, verify,
verify --batch, check, conform, rate, latex, report, bench curvature).

Each case ends in exit 2 with one line on stderr, no traceback and nothing on stdout, within
``LIMIT_S`` seconds; a case marked ``exit=0`` is an extreme but valid input that runs to the end
with every verdict as expected. Cases run in-process through :func:`bnclaims.cli.main` (the heavy
imports are warmed once per module, so the time is the command's own work); a case that hung or
built a giant integer before the fix runs in a subprocess that the test can kill.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bnclaims.cli import main
from bnclaims.numerics.inputs import MAX_BATCH, MAX_CONDITIONING_DIGITS, MAX_DECADES, MAX_EXPONENT, MAX_NUMBER_CHARS

LIMIT_S = 5.0
ROOT = Path(__file__).resolve().parents[2]
PROC = "/proc/bnclaims-no-such-dir/out"  # opening it for writing fails, even for root


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    match: str = ""          # a piece of the one line on stderr
    exit: int = 2
    subprocess: bool = False
    needs_no_cuda: bool = False


def c(id_: str, *argv: str, match: str = "", **kw) -> Case:
    return Case(id_, tuple(argv), match, **kw)


def _batch(m: int) -> str:
    return ",".join(str(i % 7) for i in range(m))


ILL = "1,1." + "0" * (MAX_CONDITIONING_DIGITS // 2 + 5) + "1"   # max|y|/s about 1e205: too many digits

CASES = [
    # -- no subcommand, unknown subcommand
    c("no-command", match="required"),
    c("unknown-command", "frobnicate", match="invalid choice"),
    # -- list
    c("list-json-unwritable", "list", "--json", PROC + ".json", match="cannot write --json"),
    c("list-json-is-a-directory", "list", "--json", "{tmp}", match="is a directory"),
    c("list-json-parent-is-a-file", "list", "--json", "{tmp}/afile/x.json", match="does not exist"),
    c("list-extra-argument", "list", "bn", match="unrecognized arguments"),
    # -- show
    c("show-unknown-id", "show", "bn.no_such_claim", match="unknown claim id"),
    c("show-missing-id", "show", match="required"),
    # -- verify: ids, levels, presets, seeds, jobs, precision, devices, outputs
    c("verify-unknown-id", "verify", "nope.nothing", match="unknown claim id"),
    c("verify-unknown-level", "verify", "--level", "galaxy", match="invalid choice"),
    c("verify-unknown-preset", "verify", "--preset", "huge", match="invalid choice"),
    c("verify-negative-seed", "verify", "--seed", "-1", "--level", "theory", match="--seed must be"),
    c("verify-giant-seed", "verify", "--seed", str(2**64), "--level", "theory", match="--seed must be"),
    c("verify-nan-seed", "verify", "--seed", "nan", match="invalid int value"),
    c("verify-zero-jobs", "verify", "--jobs", "0", "--level", "theory", match="--jobs must be at least 1"),
    c("verify-negative-jobs", "verify", "--jobs", "-3", match="--jobs must be at least 1"),
    c("verify-nan-jobs", "verify", "--jobs", "nan", match="invalid int value"),
    c("verify-low-dps", "verify", "--dps", "20", match="at least 50"),
    c("verify-giant-dps", "verify", "--dps", "100000", match="at most 1000"),
    c("verify-bogus-device", "verify", "bn.grad_projection_form", "--level", "theory", "--device", "bogus",
      match="--device 'bogus'"),
    c("verify-cuda-without-gpu", "verify", "--level", "scale", "--device", "cuda", "--preset", "quick",
      match="CUDA is not available", needs_no_cuda=True),
    c("verify-json-unwritable", "verify", "bn.grad_projection_form", "--level", "theory", "--json",
      PROC + ".json", match="cannot write --json"),
    c("verify-json-missing-dir", "verify", "--json", "{tmp}/missing/x.json", match="does not exist"),
    c("verify-eps-without-batch", "verify", "bn.grad_projection_form", "--level", "theory", "--eps", "1",
      match="only apply together with --batch"),
    c("verify-cache-is-a-file", "verify", "--level", "scale", "--cache", "{tmp}/afile", match="--cache"),
    # -- verify --batch: magnitudes, exponents, sizes, conditioning, malformed numbers
    c("batch-1e308", "verify", "--batch", "1e308,-1e308,1", exit=0),
    c("batch-1e160", "verify", "--batch", "1e160,-1e160", exit=0),
    c("batch-1e-300", "verify", "--batch", "1e-300,2e-300", exit=0),
    c("batch-at-the-magnitude-bounds", "verify", "--batch", f"1e{MAX_DECADES},-1e{MAX_DECADES},1e-{MAX_DECADES}",
      exit=0),
    c("batch-exponent-999999", "verify", "--batch", "1e999999", match="exponent", subprocess=True),
    c("batch-exponent-99999999", "verify", "--batch", "1e99999999,1", match="exponent", subprocess=True),
    c("batch-zero-with-giant-exponent", "verify", "--batch", "0e99999999,1", match="exponent", subprocess=True),
    c("batch-negative-giant-exponent", "verify", "--batch", "1,1e-99999999", match="exponent"),
    c("batch-too-large", "verify", "--batch", f"1e{MAX_DECADES + 1},1", match="out of range"),
    c("batch-too-small", "verify", "--batch", f"1e-{MAX_DECADES + 1},1", match="out of range"),
    c("batch-long-mantissa-past-the-bound", "verify", "--batch", "9" * 990 + "e20,1", match="out of range"),
    c("batch-number-too-long", "verify", "--batch", "1" * (MAX_NUMBER_CHARS + 1) + ",2", match="too long"),
    c("batch-of-1000", "verify", "--batch", _batch(1000), match=f"at most {MAX_BATCH}"),
    c("batch-of-100000", "verify", "--batch", _batch(10**5), match=f"at most {MAX_BATCH}"),
    c("batch-ill-conditioned", "verify", "--batch", ILL, match="ill-conditioned"),
    c("batch-nan", "verify", "--batch", "nan,1", match="finite"),
    c("batch-inf", "verify", "--batch", "1,-inf", match="finite"),
    c("batch-empty-entry", "verify", "--batch", "1,,2", match="cannot read"),
    c("batch-words", "verify", "--batch", "one,two", match="cannot read"),
    c("batch-of-one", "verify", "--batch", "3", match="too small"),
    c("batch-constant-at-eps-0", "verify", "--batch", "2,2,2", match="constant"),
    c("batch-negative-eps", "verify", "--batch", "1,2", "--eps", "-1e-5", match="eps must be >= 0"),
    c("batch-giant-eps-exponent", "verify", "--batch", "1,2", "--eps", "1e99999999", match="exponent"),
    c("batch-zero-gamma", "verify", "--batch", "1,2", "--gamma", "0", match="gamma must be nonzero"),
    c("batch-nan-gamma", "verify", "--batch", "1,2", "--gamma", "nan", match="finite"),
    c("batch-upstream-wrong-length", "verify", "--batch", "1,2,3", "--upstream", "1,0", match="upstream has 2"),
    c("batch-upstream-giant-exponent", "verify", "--batch", "1,2", "--upstream", "1e99999999,1", match="exponent"),
    c("batch-no-claim-takes-a-batch", "verify", "bn.jacobian_near_identity_seed", "--batch", "1,2",
      match="takes a user batch"),
    c("batch-spectrum-with-eps", "verify", "bn.jacobian_spectrum", "--batch", "1,2,3", "--eps", "1",
      match="stated for eps = 0"),
    c("batch-json-unwritable", "verify", "--batch", "1,2,3", "--json", "{tmp}/afile/x.json", match="cannot write"),
    # -- check: malformed claim files, outputs
    c("check-missing-file", "check", "{tmp}/missing_claims.py", match="not found"),
    c("check-syntax-error", "check", "{tmp}/claims_syntax.py", match="SyntaxError"),
    c("check-import-error", "check", "{tmp}/claims_import.py", match="ModuleNotFoundError"),
    c("check-no-claims", "check", "{tmp}/claims_none.py", match="no claims registered"),
    c("check-raises-at-registration", "check", "{tmp}/claims_raise.py", match="RuntimeError: boom"),
    c("check-registers-a-non-claim", "check", "{tmp}/claims_malformed.py", match="malformed claim"),
    c("check-json-unwritable", "check", "{tmp}/claims_mine.py", "--json", PROC + ".json", match="cannot write"),
    c("check-unknown-level", "check", "{tmp}/claims_mine.py", "--level", "cosmic", match="invalid choice"),
    c("check-negative-seed", "check", "{tmp}/claims_mine.py", "--seed", "-5", match="--seed must be"),
    # -- conform
    c("conform-no-module", "conform", "no_such_module_xyz:BN", match="no module named"),
    c("conform-no-attribute", "conform", "torch.nn:NoSuchNorm", match="has no attribute"),
    c("conform-no-colon", "conform", "torch.nn.BatchNorm1d", match="MODULE:ATTR"),
    c("conform-unknown-dtype", "conform", "torch.nn:BatchNorm1d", "--dtype", "float7", match="invalid choice"),
    c("conform-json-unwritable", "conform", "torch.nn:BatchNorm1d", "--json", PROC + ".json", match="cannot write"),
    # -- rate
    c("rate-unknown-activation", "rate", "--activation", "nope", match="unknown activation"),
    c("rate-unparsable-activation", "rate", "--activation", "z**", match="cannot parse"),
    c("rate-overflowing-activation", "rate", "--activation", "exp(exp(exp(z)))", match="overflow"),
    c("rate-divergent-moment", "rate", "--activation", "exp(z**2)", match="diverges or has a heavy tail"),
    c("rate-borderline-divergent-moment", "rate", "--activation", "exp(z**2/4)", match="diverges"),
    c("rate-batch-too-small", "rate", "--activation", "relu", "--batch", "2", match="B >= 4"),
    c("rate-giant-dps", "rate", "--activation", "relu", "--dps", "100000", match="--dps"),
    c("rate-json-unwritable", "rate", "--activation", "relu", "--json", PROC + ".json", match="cannot write"),
    # -- latex
    c("latex-out-unwritable", "latex", "--out", PROC, match="cannot write --out"),
    c("latex-out-is-a-file", "latex", "--out", "{tmp}/afile", match="not a directory"),
    c("latex-out-below-a-file", "latex", "--out", "{tmp}/afile/tex", match="cannot write --out"),
    c("latex-unknown-option", "latex", "--colour", match="unrecognized arguments"),
    # -- report
    c("report-missing-ledger", "report", "--from", "{tmp}/missing.json", match="does not exist"),
    c("report-broken-ledger", "report", "--from", "{tmp}/broken.json", match="not valid JSON"),
    c("report-not-a-ledger", "report", "--from", "{tmp}/notaledger.json", match="not a bnclaims ledger"),
    # -- bench curvature
    c("bench-bogus-device", "bench", "curvature", "--device", "bogus", match="--device 'bogus'"),
    c("bench-cuda-without-gpu", "bench", "curvature", "--device", "cuda", match="CUDA is not available",
      needs_no_cuda=True),
    c("bench-unknown-preset", "bench", "curvature", "--preset", "galaxy", match="invalid choice"),
    c("bench-negative-seed", "bench", "curvature", "--seed", "-1", match="--seed must be"),
    c("bench-json-unwritable", "bench", "curvature", "--json", PROC + ".json", match="cannot write"),
    c("bench-unknown-benchmark", "bench", "memory", match="invalid choice"),
]

FILES = {
    "claims_syntax.py": "def broken(:\n",
    "claims_import.py": "import no_such_module_xyz\n",
    "claims_none.py": "x = 1\n",
    "claims_raise.py": "raise RuntimeError('boom')\n",
    "claims_malformed.py": "from bnclaims import register\nregister('not a claim')\n",
    "broken.json": "{\n",
    "notaledger.json": '{"a": 1}\n',
    "afile": "a file, not a directory\n",
}


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad_inputs")
    for name, text in FILES.items():
        (d / name).write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "docs" / "claims_mine.py", d / "claims_mine.py")
    return d


@pytest.fixture(scope="module")
def warm():
    """Import once what every command imports (the ledger, torch, the benchmark) so that the time
    measured is the command's own."""
    import torch  # noqa: F401

    import bnclaims.conformance.user_bn  # noqa: F401
    import bnclaims.gpu_checks.curvature.bench_curvature  # noqa: F401
    from bnclaims.registry import all_claims

    all_claims()
    return True


def _argv(case: Case, tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in case.argv]


def _run_in_process(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _run_subprocess(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "bnclaims", *argv], capture_output=True, text=True,
                          timeout=60, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def test_the_matrix_has_at_least_forty_cases_over_every_subcommand():
    assert len(CASES) >= 40 and len({k.id for k in CASES}) == len(CASES)
    commands = {k.argv[0] for k in CASES if k.argv}
    assert commands >= {"list", "show", "verify", "check", "conform", "rate", "latex", "report", "bench"}
    assert any("--batch" in k.argv for k in CASES)


@pytest.mark.parametrize("case", CASES, ids=[k.id for k in CASES])
def test_bad_input_ends_in_one_clear_line_and_exit_2_within_seconds(case: Case, tmp: Path, warm, capsys):
    if case.needs_no_cuda:
        import torch

        if torch.cuda.is_available():
            pytest.skip("a CUDA device is present, so 'CUDA is not available' cannot be provoked")
    argv = _argv(case, tmp)
    t0 = time.perf_counter()
    code, out, err = _run_subprocess(argv, tmp) if case.subprocess else _run_in_process(argv, capsys)
    seconds = time.perf_counter() - t0
    assert "Traceback" not in err + out, err
    assert code == case.exit, f"exit {code}, expected {case.exit}; stderr: {err[-500:]}"
    if case.exit == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and case.match in lines[0], lines
        assert len(lines[0]) <= 400, lines[0]
        assert out == "", f"something was done before the refusal: {out[:300]}"
    else:
        assert err == "" and "as expected, 0 differ" in out.splitlines()[-1], out[-500:]
    assert seconds <= LIMIT_S, f"{case.id} took {seconds:.1f}s"
