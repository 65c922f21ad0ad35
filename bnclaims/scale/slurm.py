"""The SLURM executor of the grid: cells run through submitit, as one job array on a SLURM cluster or,
without SLURM, as local submitit processes (how the tests exercise it).

:class:`bnclaims.scale.grid.GridRunner` with ``executor="slurm"`` checks the options it is given with
:func:`submitit_options` when it is made, and hands the cells it has to compute to :func:`run_slurm`:
submission, polling, a failing cell reported as :class:`~bnclaims.scale.cells.CellError` after the
finished ones are kept, and, at the deadline or on any error, cancelling what still runs (on the local
cluster a controller that ignores SIGINT is killed, and the task it would leave behind is found
through Linux's /proc and killed too).

submitit is imported on first use: this module imports without it.
"""
from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from bnclaims.errors import BadInput
from bnclaims.scale.cells import Cell, CellError, run_cell

__all__ = ["SLURM_DEFAULT_TIMEOUT_MIN", "run_folder", "run_slurm", "submitit_options", "which_cluster"]

SLURM_DEFAULT_TIMEOUT_MIN = 60
# submitit's AutoExecutor parameters shared by all clusters; any other option is SLURM's (slurm_*)
_SUBMITIT_GENERIC = {"name", "timeout_min", "mem_gb", "nodes", "cpus_per_task", "gpus_per_node",
                     "tasks_per_node", "stderr_to_stdout"}


def submitit_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """SLURM options as submitit's AutoExecutor names them (``partition`` -> ``slurm_partition``)."""
    out = {}
    for name, value in options.items():
        key = name if name in _SUBMITIT_GENERIC or name.startswith("slurm_") else f"slurm_{name}"
        if key not in _SUBMITIT_GENERIC:
            import submitit

            known = submitit.SlurmExecutor._valid_parameters()
            if key.removeprefix("slurm_") not in known:
                raise BadInput(f"unknown SLURM option {name!r}; submitit knows {', '.join(sorted(known))}")
        out[key] = value
    return out


def which_cluster() -> str:
    """Where submitit runs jobs: ``"slurm"`` on a SLURM cluster, else ``"local"`` (or ``"debug"``)."""
    import submitit

    return submitit.AutoExecutor.which()


def run_folder(base: Path) -> Path:
    """A new folder under ``base`` for one run's pickles and logs."""
    # one folder per run: the local cluster names jobs by pid, and pids are reused
    return base / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"


def _parameters(deadline: float | None, jobs: int, options: Mapping[str, Any]) -> dict[str, Any]:
    minutes = SLURM_DEFAULT_TIMEOUT_MIN if deadline is None else max(
        1, math.ceil((deadline - time.monotonic()) / 60))
    return {"timeout_min": minutes, "slurm_array_parallelism": jobs, **options}


def run_slurm(todo: Sequence[tuple[str, Cell]], deadline: float | None,
              finished: Callable[[str, Cell, Any], None], say: Callable[[str], None], *,
              folder: Path, cluster: str, jobs: int, options: Mapping[str, Any]) -> None:
    """Run the (key, cell) pairs of ``todo`` with submitit in ``folder``, at most ``jobs`` at a time,
    until done or ``deadline`` (a ``time.monotonic()`` value); ``finished(key, cell, record)`` for each
    record as it arrives, ``say`` for messages. ``options``: from :func:`submitit_options`.
    ``folder`` is removed when every cell finished; jobs still running at the end are cancelled."""
    import submitit

    executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
    try:
        executor.update_parameters(**_parameters(deadline, jobs, options))
    except (NameError, AssertionError, ValueError) as exc:
        raise BadInput(f"SLURM options rejected by submitit: {str(exc).splitlines()[0]}") from None
    queue = deque(range(len(todo)))
    running: list[tuple[Any, int]] = []
    if cluster == "slurm":  # one job array; SLURM keeps ``jobs`` of them running
        cells = [cell for _, cell in todo]
        array = executor.map_array(run_cell, [c.function for c in cells], [c.config_dict for c in cells],
                                   [c.seed for c in cells])
        running, queue = list(zip(array, range(len(todo)))), deque()
        say(f"submitted a job array of {len(array)} cells ({array[0].job_id.split('_')[0]})")
    poll = 2.0 if cluster == "slurm" else 0.1
    try:
        while running or queue:
            if deadline is not None and time.monotonic() > deadline:
                say(f"deadline reached; cancelling {len(running)} submitit jobs")
                break
            while queue and len(running) < jobs:  # the local cluster ignores array parallelism
                cell = todo[queue[0]][1]
                job = executor.submit(run_cell, cell.function, cell.config_dict, cell.seed)
                running.append((job, queue.popleft()))
            states = [(job, i, job.done()) for job, i in running]
            running = [(job, i) for job, i, done in states if not done]
            failure = None
            for job, i, done in states:  # keep every success before reporting a failure
                error = job.exception() if done else None
                if done and error is None:
                    finished(*todo[i], job.result())
                elif error is not None and failure is None:
                    failure = CellError(todo[i][1], str(error))
            if failure is not None:
                raise failure
            if len(running) == len(states):
                time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))
    finally:
        _cancel(job for job, _ in running)
    if not running and not queue:  # every record is in memory (and in the cache): logs not needed
        shutil.rmtree(folder, ignore_errors=True)


def _cancel(jobs: Any, grace_s: float = 3.0) -> None:
    """Cancel submitit jobs (scancel on SLURM); on the local cluster, reap the controllers and kill
    any task they leave behind: a controller that ignores SIGINT (inherited from a shell that started
    us in the background) is killed, and its task would otherwise run on as an orphan."""
    jobs = list(jobs)
    controllers = [p for p in (getattr(job, "_process", None) for job in jobs) if p is not None]
    tasks = {p.pid: _child_pids(p.pid) for p in controllers}
    for job in jobs:
        with contextlib.suppress(Exception):
            job.cancel(check=False)
    end = time.monotonic() + grace_s
    for process in controllers:
        try:
            process.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:  # kill its task: the controller reaps it and exits
            _kill_submitit(tasks.pop(process.pid) | _child_pids(process.pid))
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    _kill_submitit(set().union(*tasks.values()))  # left by a controller that died early


def _kill_submitit(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):  # gone already, or not ours
            if b"submitit" in Path(f"/proc/{pid}/cmdline").read_bytes():  # not a reused pid
                os.kill(pid, signal.SIGKILL)


def _child_pids(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from Linux's /proc; empty elsewhere)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found
