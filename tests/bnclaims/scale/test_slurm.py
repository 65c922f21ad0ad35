"""Tests for bnclaims.scale.slurm, through GridRunner(executor="slurm"): records equal to an inline run,
a failing cell reported with the other jobs cancelled, a task whose controller ignores Ctrl-C killed at
the deadline, and SLURM option names checked against submitit's.

Without a SLURM cluster submitit runs the cells as local processes; the tests need the optional extra
bnclaims[slurm] (submitit) and are skipped, with that reason, without it.
"""
import contextlib
import signal
import time
from pathlib import Path

import pytest

from bnclaims.errors import BadInput
from bnclaims.scale.cells import Cell, CellError
from bnclaims.scale.grid import GridRunner

DEMO = "bnclaims.scale.demo_cells"


def cell(fn, seed=0, **config):
    return Cell.make(f"{DEMO}:{fn}", config, seed)


AGREEMENT = [cell("gaussian_moments", 11, n=500), cell("bn_gradient_norm", 11, m=64, width=32)]


def processes_mentioning(text):
    """Pids of live processes whose command line contains ``text`` (Linux /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if text.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
    return found


@pytest.fixture
def ctrl_c_ignored():
    """Jobs started while SIGINT is ignored ignore submitit's local cancel (SIGINT to the controller)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    yield
    signal.signal(signal.SIGINT, previous)


def test_submitit_gives_the_records_of_an_inline_run(tmp_path):
    pytest.importorskip("submitit", reason="the slurm executor is the optional extra bnclaims[slurm]")
    with GridRunner(jobs=2, executor="slurm", cache=tmp_path) as runner:
        submitted = runner.run(AGREEMENT)
    with GridRunner() as runner:
        inline = runner.run(AGREEMENT)
    assert submitted.records == inline.records and submitted.computed == 2
    assert submitted.executor == f"slurm (submitit, cluster={runner_cluster()})"
    assert not (tmp_path / "submitit").exists() or not any((tmp_path / "submitit").iterdir())


def runner_cluster():
    import submitit

    return submitit.AutoExecutor.which()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes through Linux's /proc")
def test_submitit_reports_a_failing_cell_and_cancels_the_other_jobs(tmp_path):
    pytest.importorskip("submitit", reason="the slurm executor is the optional extra bnclaims[slurm]")
    start = time.monotonic()
    with GridRunner(jobs=2, executor="slurm", cache=tmp_path) as runner:
        with pytest.raises(CellError, match=r"(?s)fail\(config=.*ValueError: demo failure \(seed 0\)"):
            runner.run([cell("fail"), cell("sleep", seconds=60)])
    assert time.monotonic() - start < 15 and processes_mentioning(str(tmp_path)) == []


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes through Linux's /proc")
def test_a_submitit_task_whose_controller_ignores_ctrl_c_is_killed_at_the_deadline(tmp_path, ctrl_c_ignored):
    pytest.importorskip("submitit", reason="the slurm executor is the optional extra bnclaims[slurm]")
    with GridRunner(executor="slurm", cache=tmp_path) as runner:
        start = time.monotonic()
        result = runner.run([cell("sleep", seconds=60)], deadline=start + 2.0)
        assert time.monotonic() - start < 12 and len(result.missing) == 1
    assert processes_mentioning(str(tmp_path)) == []


def test_slurm_options_need_the_slurm_executor_and_known_names():
    with pytest.raises(BadInput, match="executor is 'local'"):
        GridRunner(slurm_options={"partition": "gpu"})
    pytest.importorskip("submitit", reason="the slurm executor is the optional extra bnclaims[slurm]")
    with pytest.raises(BadInput, match="^unknown SLURM option 'partiton'; submitit knows .*partition"):
        GridRunner(executor="slurm", slurm_options={"partiton": "gpu"})
    runner = GridRunner(executor="slurm", slurm_options={"partition": "gpu", "slurm_qos": "low", "mem_gb": 4})
    assert runner.slurm_options == {"slurm_partition": "gpu", "slurm_qos": "low", "mem_gb": 4}
