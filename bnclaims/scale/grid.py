"""The grid runner of the scale level: an experiment is a grid of seeded cells.

A *cell* (:mod:`bnclaims.scale.cells`) is one call ``fn(config, seed) -> record`` of a pure function
named by its import path ``"package.module:function"``; the record is a JSON object of finite numbers,
strings and lists. :class:`GridRunner` runs cells inline, in a pool of local worker processes, or as a
SLURM job array through submitit (:mod:`bnclaims.scale.slurm`), and keeps every finished record

- in memory, across the runs of one runner (a claim and its false twin share cells: the second run
  costs nothing), and
- with ``cache=DIR``, on disk as ``DIR/<key[:2]>/<key>.json``, written atomically as each cell
  finishes, so that an interrupted run (Ctrl-C, a deadline, a failing cell) resumes where it stopped.

Every executor runs a cell with one torch thread, and every record passes through JSON before it is
kept, so the same seed gives identical records inline, in the pool, on the cluster and from the cache.
The names of :mod:`bnclaims.scale.cells` are re-exported here.

Example::

    from bnclaims.scale.grid import Cell, GridRunner

    cells = [Cell.make("bnclaims.scale.demo_cells:gaussian_moments", {"n": 1000}, seed)
             for seed in range(4)]
    with GridRunner(jobs=2, cache=".bnclaims-cache") as runner:
        result = runner.run(cells)
    result.record(cells[0])["mean"]

The pool starts its workers with ``spawn`` (no fork of a process that holds torch threads or CUDA):
a script that runs a pool needs the ``if __name__ == "__main__":`` guard, and cell functions must be
importable by their path (not defined in ``__main__`` or a test module).
"""
from __future__ import annotations

import contextlib
import json
import multiprocessing
import numbers
import os
import shutil
import signal
import tempfile
import time
import traceback
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from bnclaims.errors import BadInput
from bnclaims.scale.cells import GRID_FORMAT, Cell, CellError, _digest, _normalize, _torch, run_cell
from bnclaims.scale.slurm import run_folder, run_slurm, submitit_options, which_cluster

__all__ = ["GRID_FORMAT", "Cell", "CellError", "GridResult", "GridRunner", "run_cell",
           "validate_cache_dir", "validate_executor", "validate_jobs"]

EXECUTORS = ("local", "slurm")
PROGRESS_EVERY_S = 2.0


@dataclass
class GridResult:
    """The records of one :meth:`GridRunner.run`, and the cells that did not finish in time."""

    records: dict[str, dict]  # cell key -> record, for every finished cell
    missing: list[Cell]  # cells not finished before the deadline
    from_cache: int  # loaded from the on-disk cache
    computed: int
    seconds: float
    executor: str  # "inline", "local (N processes)", "slurm (submitit, cluster=...)"
    from_memo: int = 0  # reused from an earlier run of the same runner

    @property
    def complete(self) -> bool:
        return not self.missing

    def record(self, cell: Cell) -> dict:
        """The record of ``cell``; KeyError saying why when it has none."""
        try:
            return self.records[cell.key()]
        except KeyError:
            why = ("it did not finish before the deadline" if cell in self.missing
                   else "it is not a cell of this grid")
            raise KeyError(f"no record for cell {cell.label()}: {why}") from None


# --- the local pool's workers ------------------------------------------------------------------

def _init_worker() -> None:
    """Pool worker start-up: one thread everywhere, Ctrl-C left to the parent (which terminates us)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    torch = _torch()
    if torch is not None:
        torch.set_num_threads(1)


def _pool_task(task: tuple[int, str, dict, int]) -> tuple[int, bool, Any]:
    index, function, config, seed = task
    try:
        return index, True, run_cell(function, config, seed)
    except Exception:  # reported to the parent as CellError, with this traceback
        return index, False, traceback.format_exc()


# --- validation ----------------------------------------------------------------------------------

def validate_jobs(n: Any) -> int:
    """``n`` as a number of parallel jobs (>= 1); BadInput otherwise."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise BadInput(f"--jobs must be a whole number, got {n!r}")
    if n < 1:
        raise BadInput(f"--jobs must be at least 1, got {n}")
    return int(n)


def validate_cache_dir(path: str | os.PathLike, what: str = "--cache") -> Path:
    """A directory to write to (the cache; ``what="--plots"`` for the plots), created if missing;
    BadInput, its message starting with ``what`` and the path, if it is a file or is not writable."""
    root = Path(path).expanduser()
    if root.exists() and not root.is_dir():
        raise BadInput(f"{what} {path}: is a file, not a directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"{what} {path}: cannot create the directory ({exc.strerror or exc})") from None
    try:
        fd, probe = tempfile.mkstemp(dir=root, prefix=".write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BadInput(f"{what} {path}: the directory is not writable ({exc.strerror or exc})") from None
    return root


def validate_executor(name: Any) -> str:
    """``"local"`` or ``"slurm"`` (which needs submitit); BadInput otherwise."""
    if name not in EXECUTORS:
        raise BadInput(f"--executor must be 'local' or 'slurm', got {name!r}")
    if name == "slurm":
        try:
            import submitit  # noqa: F401  (an availability probe: the name is not used here)
        except ImportError:
            raise BadInput("--executor slurm needs submitit: pip install 'bnclaims[slurm]'") from None
    return name


# --- the runner ----------------------------------------------------------------------------------

class _Resources:
    """What a runner must release: its worker pool and its scratch folder (also at exit, via finalize)."""

    def __init__(self) -> None:
        self.pool: Any = None
        self.pool_pids: set[int] = set()
        self.scratch: str | None = None

    def stop_pool(self, graceful: bool = False) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close() if graceful else pool.terminate()
            pool.join()

    def release(self, graceful: bool = False) -> None:
        self.stop_pool(graceful)
        scratch, self.scratch = self.scratch, None
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


class _Progress:
    def __init__(self, callback: Callable[[str], None] | None, total: int, done: int) -> None:
        self.callback, self.total, self.done = callback, total, done
        self.last = time.monotonic()

    def say(self, message: str) -> None:
        if self.callback is not None:
            self.callback(message)

    def tick(self) -> None:
        self.done += 1
        if time.monotonic() - self.last >= PROGRESS_EVERY_S:
            self.last = time.monotonic()
            self.say(f"cells {self.done}/{self.total} done")


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


class GridRunner:
    """Runs grids of cells: inline (``jobs=1``), in ``jobs`` local processes, or on SLURM.

    ``cache``: a directory for finished records (resumable runs). ``progress``: a callback for
    one-line messages. ``slurm_options``: submitit/SLURM parameters, e.g. ``{"partition": "gpu",
    "gpus_per_node": 1, "timeout_min": 120}`` (unprefixed SLURM names get ``slurm_``; the default
    ``timeout_min`` is what is left to the deadline, or 60). submitit's pickles and logs go to
    ``cache/submitit/run-*`` (a temporary folder without a cache: on a real cluster, give a cache on a
    shared file system), removed after a run in which every cell finished. Without SLURM, submitit
    runs the cells as local processes, at most ``jobs`` at a time.
    """

    def __init__(self, jobs: int = 1, cache: str | os.PathLike | None = None, executor: str = "local",
                 progress: Callable[[str], None] | None = None,
                 slurm_options: Mapping[str, Any] | None = None) -> None:
        self.jobs = validate_jobs(jobs)
        self.executor = validate_executor(executor)
        self.cache = validate_cache_dir(cache) if cache is not None else None
        self.progress = progress
        if slurm_options and executor != "slurm":
            raise BadInput("SLURM options were given but the executor is 'local'; use --executor slurm")
        self.slurm_options = submitit_options(slurm_options or {})
        self._memo: dict[str, str] = {}  # key -> record as canonical JSON text
        self._resources = _Resources()
        self._finalizer = weakref.finalize(self, self._resources.release)
        self._cluster = which_cluster() if executor == "slurm" else None

    @property
    def description(self) -> str:
        """How cells run: "inline", "local (N processes)" or "slurm (submitit, cluster=...)"."""
        if self.executor == "slurm":
            return f"slurm (submitit, cluster={self._cluster})"
        return "inline" if self.jobs == 1 else f"local ({self.jobs} processes)"

    def __enter__(self) -> GridRunner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker pool and remove scratch folders; the runner can still run (it restarts them)."""
        self._resources.release(graceful=True)

    def run(self, cells: Sequence[Cell], *, deadline: float | None = None) -> GridResult:
        """Records of ``cells`` (reused, loaded from the cache, or computed), and the cells that did
        not finish before ``deadline`` (a ``time.monotonic()`` value). A cell that raises stops the
        run with :class:`CellError`, and Ctrl-C with KeyboardInterrupt; finished cells are cached
        first, so the next run resumes."""
        start = time.monotonic()
        unique: dict[str, Cell] = {}
        for cell in cells:
            unique.setdefault(cell.key(), cell)
        records: dict[str, dict] = {}
        from_memo = from_cache = 0
        todo: list[tuple[str, Cell]] = []
        for key, cell in unique.items():
            if key in self._memo:
                records[key] = json.loads(self._memo[key])
                from_memo += 1
            elif self.cache is not None and (record := self._load(key, cell)) is not None:
                records[key] = self._remember(key, record)
                from_cache += 1
            else:
                todo.append((key, cell))
        progress = _Progress(self.progress, len(unique), len(records))

        def finished(key: str, cell: Cell, record: Any) -> None:
            records[key] = self._remember(key, _normalize(record, cell.function))
            if self.cache is not None:
                self._store(key, cell, records[key])
            progress.tick()

        if todo and not _expired(deadline):
            if self.executor == "slurm":
                self._run_slurm(todo, deadline, finished, progress)
            elif self.jobs == 1:
                self._run_inline(todo, deadline, finished)
            else:
                self._run_pool(todo, deadline, finished, progress)
        missing = [cell for key, cell in todo if key not in records]
        seconds = time.monotonic() - start
        if unique:
            progress.say(f"cells {len(records)}/{len(unique)} done ({from_memo + from_cache} reused, "
                         f"{len(todo) - len(missing)} computed, {len(missing)} missing) in {seconds:.1f} s, "
                         f"{self.description}")
        return GridResult(records, missing, from_cache, len(todo) - len(missing), seconds, self.description,
                          from_memo)

    # --- memo and cache

    def _remember(self, key: str, record: dict) -> dict:
        self._memo[key] = json.dumps(record, sort_keys=True)
        return json.loads(self._memo[key])

    def _path(self, key: str) -> Path:
        assert self.cache is not None
        return self.cache / key[:2] / f"{key}.json"

    def _load(self, key: str, cell: Cell) -> dict | None:
        path = self._path(key)
        if not path.exists():
            return None
        try:
            doc = json.loads(path.read_text())
            if not isinstance(doc, dict) or doc.get("format") != GRID_FORMAT:
                raise ValueError(f"not a grid cache file of format {GRID_FORMAT}")
            if _digest(doc["function"], doc["config"], doc["seed"]) != key:
                raise ValueError("its function, config or seed do not match its name")
            if not isinstance(doc["record"], dict):
                raise ValueError("its record is not a JSON object")
            return _normalize(doc["record"], cell.function)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if self.progress is not None:
                self.progress(f"ignoring cache file {path} ({exc}); recomputing {cell.label()}")
            return None

    def _store(self, key: str, cell: Cell, record: dict) -> None:
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        doc = {"format": GRID_FORMAT, "function": cell.function, "config": cell.config_dict,
               "seed": cell.seed, "record": record}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:12]}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(json.dumps(doc, sort_keys=True, indent=1) + "\n")
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    # --- executors

    def _run_inline(self, todo: list[tuple[str, Cell]], deadline: float | None,
                    finished: Callable[[str, Cell, Any], None]) -> None:
        for key, cell in todo:
            if _expired(deadline):
                return
            try:
                record = run_cell(cell.function, cell.config_dict, cell.seed)
            except Exception as exc:
                raise CellError(cell, traceback.format_exc()) from exc
            finished(key, cell, record)

    def _pool(self, progress: _Progress) -> Any:
        res = self._resources
        if res.pool is None:
            progress.say(f"starting {self.jobs} worker processes")
            res.pool = multiprocessing.get_context("spawn").Pool(self.jobs, initializer=_init_worker)
            res.pool_pids = self._worker_pids()
        return res.pool

    def _worker_pids(self) -> set[int]:
        # Pool replaces a worker that dies (killed by the OS, a segfault) and its task is lost: the
        # changed pids are how we notice, rather than wait forever. ``_pool`` is private but stable.
        return {p.pid for p in getattr(self._resources.pool, "_pool", ())}

    def _run_pool(self, todo: list[tuple[str, Cell]], deadline: float | None,
                  finished: Callable[[str, Cell, Any], None], progress: _Progress) -> None:
        pool = self._pool(progress)
        tasks = [(i, cell.function, cell.config_dict, cell.seed) for i, (_, cell) in enumerate(todo)]
        results = pool.imap_unordered(_pool_task, tasks, chunksize=1)
        pending = len(tasks)
        try:
            while pending:
                wait = PROGRESS_EVERY_S if deadline is None else min(PROGRESS_EVERY_S,
                                                                   deadline - time.monotonic())
                if wait <= 0:
                    progress.say(f"deadline reached with {pending} cells running or queued; stopping the pool")
                    self._resources.stop_pool()
                    return
                try:
                    index, ok, payload = results.next(timeout=wait)
                except multiprocessing.TimeoutError:
                    if self._worker_pids() != self._resources.pool_pids:
                        raise RuntimeError("a grid worker process died (killed by the OS, out of memory?); "
                                           "finished cells are kept, rerun to resume") from None
                    continue
                pending -= 1
                key, cell = todo[index]
                if not ok:
                    self._drain(results, todo, finished)
                    raise CellError(cell, payload)
                finished(key, cell, payload)
        except BaseException:  # CellError, KeyboardInterrupt, a dead worker: workers may be busy
            self._resources.stop_pool()
            raise

    @staticmethod
    def _drain(results: Any, todo: list[tuple[str, Cell]], finished: Callable[[str, Cell, Any], None]) -> None:
        """Keep the results that have already arrived (after a failure, before stopping the pool)."""
        while True:
            try:
                index, ok, payload = results.next(timeout=0)
            except (multiprocessing.TimeoutError, StopIteration):
                return
            if ok:
                finished(*todo[index], payload)

    def _run_slurm(self, todo: list[tuple[str, Cell]], deadline: float | None,
                   finished: Callable[[str, Cell, Any], None], progress: _Progress) -> None:
        if self.cache is not None:
            base = self.cache / "submitit"
        else:  # on a real cluster, pass a cache on a shared file system instead
            if self._resources.scratch is None:
                self._resources.scratch = tempfile.mkdtemp(prefix="bnclaims-grid-")
            base = Path(self._resources.scratch)
        run_slurm(todo, deadline, finished, progress.say, folder=run_folder(base), cluster=self._cluster,
                  jobs=self.jobs, options=self.slurm_options)
