"""Tests for bnclaims.scale.grid: the memo and the on-disk cache, resuming an interrupted run, a local
pool that gives the records of an inline run, deadlines, errors, input validation and the names the
module re-exports (cells: test_cells.py; the submitit executor: test_slurm.py).

One pool runner serves the module (its workers take seconds to start). The tests that stop the pool
(deadline, failing cell, Ctrl-C, a killed worker) come last and check that the next run restarts it.
"""
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from bnclaims.errors import BadInput
from bnclaims.scale import cells as cells_module
from bnclaims.scale import demo_cells
from bnclaims.scale import grid as grid_module
from bnclaims.scale.grid import (GRID_FORMAT, Cell, CellError, GridRunner, validate_cache_dir, validate_executor,
                                 validate_jobs)

DEMO = "bnclaims.scale.demo_cells"


def cell(fn, seed=0, **config):
    return Cell.make(f"{DEMO}:{fn}", config, seed)


def fresh(fn="sleep", **config):
    """A cell no runner has seen (the memo would answer a repeated one)."""
    return cell(fn, tag=uuid.uuid4().hex, **config)


def counting(monkeypatch, name):
    """Replace demo_cells.<name> by a wrapper that counts its calls (inline runs look it up by name)."""
    calls = []
    original = getattr(demo_cells, name)

    def wrapper(config, seed):
        calls.append(seed)
        return original(config, seed)

    monkeypatch.setattr(demo_cells, name, wrapper)
    return calls


@contextlib.contextmanager
def sigint(handler):
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="module")
def pool():
    with GridRunner(jobs=2) as runner:
        yield runner


# --- memo and cache ------------------------------------------------------------------------------

def test_a_second_run_of_the_same_cells_costs_nothing(monkeypatch):
    calls = counting(monkeypatch, "gaussian_moments")
    cells = [cell("gaussian_moments", s, n=50) for s in range(3)]
    with GridRunner() as runner:
        first = runner.run(cells + cells[:1])  # a repeated cell runs once
        second = runner.run(cells)
    assert calls == [0, 1, 2] and first.computed == 3 and first.executor == "inline"
    assert (second.from_memo, second.from_cache, second.computed) == (3, 0, 0)
    assert second.records == first.records and all(first.record(c) == second.record(c) for c in cells)


def test_records_from_the_cache_equal_fresh_records(tmp_path, monkeypatch):
    cells = [cell("gaussian_moments", s, n=50) for s in range(3)]
    with GridRunner(cache=tmp_path) as runner:
        fresh_result = runner.run(cells)
    path = tmp_path / cells[0].key()[:2] / f"{cells[0].key()}.json"
    doc = json.loads(path.read_text())
    assert doc == {"format": GRID_FORMAT, "function": cells[0].function, "config": {"n": 50}, "seed": 0,
                   "record": fresh_result.record(cells[0])}
    assert not list(tmp_path.rglob("*.tmp"))
    calls = counting(monkeypatch, "gaussian_moments")
    with GridRunner(cache=tmp_path) as runner:
        cached = runner.run(cells)
    assert calls == [] and (cached.from_cache, cached.computed) == (3, 0)
    assert cached.records == fresh_result.records


def test_a_run_stopped_by_its_deadline_resumes_from_the_cache(tmp_path):
    cells = [cell("sleep", s, seconds=0.3) for s in range(4)]
    with GridRunner(cache=tmp_path) as runner:
        start = time.monotonic()
        first = runner.run(cells, deadline=start + 0.45)
    finished = len(first.records)
    assert 1 <= finished <= 3 and first.missing == cells[finished:] and not first.complete
    with pytest.raises(KeyError, match="did not finish before the deadline"):
        first.record(first.missing[0])
    with pytest.raises(KeyError, match="not a cell of this grid"):
        first.record(cell("sleep", 99))
    with GridRunner(cache=tmp_path) as runner:
        second = runner.run(cells)
    assert (second.from_cache, second.computed, second.missing) == (finished, 4 - finished, [])
    assert all(second.records[k] == r for k, r in first.records.items())


def test_a_keyboard_interrupt_keeps_the_finished_cells_on_disk(tmp_path, monkeypatch):
    original, calls = demo_cells.gaussian_moments, []

    def interrupted_on_the_third_call(config, seed):
        calls.append(seed)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(config, seed)

    monkeypatch.setattr(demo_cells, "gaussian_moments", interrupted_on_the_third_call)
    cells = [cell("gaussian_moments", s, n=20) for s in range(4)]
    with GridRunner(cache=tmp_path) as runner, pytest.raises(KeyboardInterrupt):
        runner.run(cells)
    monkeypatch.setattr(demo_cells, "gaussian_moments", original)
    with GridRunner(cache=tmp_path) as runner:
        resumed = runner.run(cells)
    assert (resumed.from_cache, resumed.computed) == (2, 2)


def test_a_corrupt_or_mismatching_cache_file_is_recomputed_with_a_message(tmp_path):
    cells = [cell("gaussian_moments", s, n=30) for s in range(3)]
    with GridRunner(cache=tmp_path) as runner:
        original = runner.run(cells)
    paths = [tmp_path / c.key()[:2] / f"{c.key()}.json" for c in cells]
    paths[0].write_text('{"format": 1, "funct')
    doc = json.loads(paths[1].read_text())
    paths[1].write_text(json.dumps(dict(doc, seed=7)))
    messages = []
    with GridRunner(cache=tmp_path, progress=messages.append) as runner:
        again = runner.run(cells)
    assert (again.from_cache, again.computed) == (1, 2) and again.records == original.records
    ignored = [m for m in messages if m.startswith("ignoring cache file")]
    assert len(ignored) == 2 and "do not match" in ignored[1]
    assert json.loads(paths[1].read_text())["seed"] == 1


def test_a_failing_cell_raises_cell_error_after_the_finished_cells_are_cached(tmp_path):
    cells = [cell("gaussian_moments", 0, n=10), cell("fail", 5, message="boom"), cell("gaussian_moments", 1)]
    with GridRunner(cache=tmp_path) as runner, pytest.raises(CellError) as info:
        runner.run(cells)
    assert info.value.cell == cells[1]
    text = str(info.value)
    assert text.startswith(f'cell {DEMO}:fail(config={{"message": "boom"}}, seed=5) failed:')
    assert "Traceback" in text and "ValueError: boom (seed 5)" in text
    with GridRunner(cache=tmp_path) as runner:
        assert runner.run(cells[:1]).from_cache == 1


# --- executors -----------------------------------------------------------------------------------

AGREEMENT = [cell("gaussian_moments", 11, n=500), cell("bn_gradient_norm", 11, m=64, width=32)]


def test_the_pool_gives_the_records_of_an_inline_run(pool):
    cells = AGREEMENT + [cell("bn_gradient_norm", s, m=32, width=16) for s in range(3)]
    messages = []
    cold = pool._resources.pool is None
    pool.progress = messages.append
    try:
        pooled = pool.run(cells)
    finally:
        pool.progress = None
    with GridRunner() as runner:
        inline = runner.run(cells)
    assert pooled.records == inline.records and pooled.computed == len(cells)
    assert pooled.executor == "local (2 processes)" and inline.executor == "inline"
    assert ("starting 2 worker processes" in messages) == cold
    assert messages[-1].startswith(f"cells {len(cells)}/{len(cells)} done (0 reused, {len(cells)} computed")


def test_the_pool_stops_at_the_deadline_and_reports_the_missing_cells(pool):
    pool.run([fresh(seconds=0)])  # workers started
    quick, slow = fresh(seconds=0), [fresh(seconds=30), fresh(seconds=30)]
    start = time.monotonic()
    result = pool.run([quick] + slow, deadline=start + 1.5)
    assert time.monotonic() - start < 5
    assert result.missing == slow and list(result.records) == [quick.key()] and result.computed == 1
    assert pool._resources.pool is None  # terminated; the next run starts a new one


def test_a_failing_cell_in_the_pool_raises_cell_error_and_stops_the_pool(pool):
    cells = [fresh(seconds=0), cell("fail", 2, message="pool boom")]
    with pytest.raises(CellError, match=r"(?s)seed=2\) failed:.*Traceback.*ValueError: pool boom \(seed 2\)"):
        pool.run(cells)
    assert pool._resources.pool is None  # the cells queued behind the failure are not waited for


def test_ctrl_c_stops_the_pool_and_the_next_run_restarts_it(pool):
    assert pool.run([fresh(seconds=0)]).computed == 1
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    # Python leaves SIGINT ignored when started so (a background job of a script): make it Ctrl-C
    with sigint(signal.default_int_handler):
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                pool.run([fresh(seconds=20), fresh(seconds=20)])
        finally:
            timer.cancel()
    assert time.monotonic() - start < 5 and pool._resources.pool is None


def test_a_killed_worker_is_reported_instead_of_waiting_forever(pool):
    pool.run([fresh(seconds=0)])
    victim = next(iter(pool._resources.pool_pids))
    timer = threading.Timer(1.0, os.kill, (victim, signal.SIGKILL))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(RuntimeError, match="worker process died"):
            pool.run([fresh(seconds=10), fresh(seconds=10)])
    finally:
        timer.cancel()
    assert time.monotonic() - start < 8 and pool._resources.pool is None


# --- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("jobs, message", [(0, "--jobs must be at least 1, got 0"),
                                           (-3, "--jobs must be at least 1, got -3"),
                                           (1.5, "--jobs must be a whole number, got 1.5"),
                                           (True, "--jobs must be a whole number, got True")])
def test_jobs_must_be_a_whole_number_at_least_one(jobs, message):
    with pytest.raises(BadInput) as info:
        validate_jobs(jobs)
    assert str(info.value) == message
    with pytest.raises(BadInput):
        GridRunner(jobs=jobs)


def test_the_cache_is_created_when_missing(tmp_path):
    assert validate_cache_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir() and not any((tmp_path / "a" / "b").iterdir())


@pytest.mark.parametrize("what", [None, "--plots"])
def test_the_directory_must_not_be_a_file_and_the_message_names_its_option(tmp_path, what):
    option = {"what": what} if what else {}  # default: --cache; the CLI checks --plots DIR likewise
    word = what or "--cache"
    (tmp_path / "f").write_text("")
    with pytest.raises(BadInput, match=rf"^{word} .*f: is a file, not a directory$"):
        validate_cache_dir(tmp_path / "f", **option)
    with pytest.raises(BadInput, match=rf"^{word} .*f/sub: cannot create the directory \(.+\)$"):
        validate_cache_dir(tmp_path / "f" / "sub", **option)


def test_the_cache_must_be_writable(tmp_path, monkeypatch):
    import tempfile

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)  # as root, a read-only mode would not stop us
    with pytest.raises(BadInput) as info:
        GridRunner(cache=tmp_path)
    assert str(info.value) == f"--cache {tmp_path}: the directory is not writable (Permission denied)"


def test_the_executor_must_be_local_or_slurm(monkeypatch):
    with pytest.raises(BadInput, match="^--executor must be 'local' or 'slurm', got 'pbs'$"):
        validate_executor("pbs")
    monkeypatch.setitem(sys.modules, "submitit", None)  # as if the slurm extra were not installed
    with pytest.raises(BadInput) as info:
        GridRunner(executor="slurm")
    assert str(info.value) == "--executor slurm needs submitit: pip install 'bnclaims[slurm]'"


def test_the_grid_re_exports_the_cells_and_its_pool_task_resolves_by_module_path():
    assert all(getattr(grid_module, name) is getattr(cells_module, name) for name in cells_module.__all__)
    assert set(cells_module.__all__) < set(grid_module.__all__)
    # spawned pool workers unpickle these by module path
    for fn in (grid_module._pool_task, grid_module._init_worker):
        assert getattr(sys.modules[fn.__module__], fn.__qualname__) is fn


def test_the_grid_imports_and_runs_inline_without_torch_or_submitit():
    code = ("import sys; sys.modules['torch'] = sys.modules['submitit'] = None\n"
            "from bnclaims.errors import BadInput\n"
            "from bnclaims.scale.grid import Cell, GridRunner\n"
            f"c = Cell.make('{DEMO}:gaussian_moments', {{'n': 5}}, 0)\n"
            "print(GridRunner().run([c]).computed)\n"
            "try:\n    GridRunner(executor='slurm')\nexcept BadInput as e:\n    print(e)\n")
    res = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["1", "--executor slurm needs submitit: pip install 'bnclaims[slurm]'"]
