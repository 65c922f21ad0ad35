"""Cells of the scale level's grid: one seeded call ``fn(config, seed) -> record`` of a pure function.

A :class:`Cell` names its function by import path ``"package.module:function"`` and holds a canonical,
hashable config (JSON scalars, lists as tuples); :meth:`Cell.key` is the sha256 of the canonical JSON
of (:data:`GRID_FORMAT`, function, config, seed), the name of its cache file. :func:`run_cell` imports
the function, calls it with one torch thread, and passes the record through JSON with finite numbers
only, so the same seed gives identical records in every executor and from the cache
(:mod:`bnclaims.scale.grid` runs the cells, :mod:`bnclaims.scale.slurm` on a cluster).

Example::

    from bnclaims.scale.cells import Cell, run_cell

    cell = Cell.make("bnclaims.scale.demo_cells:gaussian_moments", {"n": 1000}, 0)
    run_cell(cell.function, cell.config_dict, cell.seed)["mean"]
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import math
import numbers
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

__all__ = ["GRID_FORMAT", "Cell", "CellError", "run_cell"]

GRID_FORMAT = 1  # bump when the cache layout or the key changes


def _freeze(value: Any, where: str) -> Any:
    """A config value made hashable and canonical: JSON scalars, lists as tuples."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(f"config {where} is {x}: cell configs hold finite numbers only")
        return x
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, f"{where}[{i}]") for i, v in enumerate(value))
    raise TypeError(f"config {where} is a {type(value).__name__}: cell configs hold JSON scalars "
                    "(None, bool, int, float, str) and lists of them")


def _thaw(value: Any) -> Any:
    return [_thaw(v) for v in value] if isinstance(value, tuple) else value


def _split_function(path: str) -> tuple[str, str]:
    module, sep, name = path.partition(":") if isinstance(path, str) else ("", "", "")
    if not sep or not module or not name.isidentifier() or not all(
            part.isidentifier() for part in module.split(".")):
        raise ValueError(f"cell function {path!r} is not an import path 'package.module:function'")
    return module, name


def _digest(function: str, config: Mapping[str, Any], seed: int) -> str:
    doc = {"format": GRID_FORMAT, "function": function, "config": config, "seed": seed}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Cell:
    """One seeded call of a pure function; build it with :meth:`make`."""

    function: str
    config: tuple[tuple[str, Any], ...]  # sorted (key, value) items, lists as tuples
    seed: int

    def __post_init__(self) -> None:
        if not isinstance(self.config, tuple):
            raise TypeError("Cell.config is a tuple of sorted items; build cells with Cell.make")

    @classmethod
    def make(cls, function: str, config: Mapping[str, Any], seed: int) -> Cell:
        """The cell ``function(config, seed)``; the order of the config's keys does not matter."""
        _split_function(function)
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"a cell seed is an int, got {seed!r}")
        bad = [k for k in config if not isinstance(k, str)]
        if bad:
            raise TypeError(f"config keys are strings, got {bad[0]!r}")
        items = tuple(sorted((k, _freeze(v, repr(k))) for k, v in config.items()))
        return cls(function, items, int(seed))

    @property
    def config_dict(self) -> dict[str, Any]:
        """The configuration as the function receives it (lists as lists)."""
        return {k: _thaw(v) for k, v in self.config}

    def key(self) -> str:
        """sha256 of the canonical JSON of (format, function, config, seed): the cache file name."""
        return _digest(self.function, self.config_dict, self.seed)

    def label(self) -> str:
        """``module:function(config={...}, seed=N)``, for messages."""
        return f"{self.function}(config={json.dumps(self.config_dict, sort_keys=True)}, seed={self.seed})"


class CellError(RuntimeError):
    """A cell raised; ``message`` holds the traceback text from the process that ran it."""

    def __init__(self, cell: Cell, message: str) -> None:
        self.cell, self.message = cell, message
        super().__init__(f"cell {cell.label()} failed:\n{message}")


# --- running one cell ----------------------------------------------------------------------------

_NO_TORCH: list[bool] = []  # set once torch is known not to be importable


def _torch() -> Any:
    """The torch module if it is importable (imported on first use), else None."""
    if "torch" in sys.modules:
        return sys.modules["torch"]
    if _NO_TORCH or importlib.util.find_spec("torch") is None:
        _NO_TORCH.append(True)
        return None
    try:
        import torch
    except ImportError:
        _NO_TORCH.append(True)
        return None
    return torch


@contextlib.contextmanager
def _one_torch_thread() -> Iterator[None]:
    torch = _torch()
    if torch is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _load_function(path: str) -> Callable[[dict, int], Any]:
    module_name, name = _split_function(path)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"cannot import cell function {path!r}: {exc}") from exc
    fn = getattr(module, name, None)
    if fn is None:
        raise ImportError(f"cannot import cell function {path!r}: module {module_name!r} has no {name!r}")
    if not callable(fn):
        raise TypeError(f"cell function {path!r} is a {type(fn).__name__}, not a function")
    return fn


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):  # numpy scalars and arrays, torch tensors
        return obj.tolist()
    raise TypeError(f"a {type(obj).__name__} is not JSON-serializable; records hold numbers, strings, lists")


def _non_finite(value: Any, where: str) -> tuple[str, float] | None:
    if isinstance(value, float) and not math.isfinite(value):
        return where, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        found = _non_finite(v, f"{where}[{k!r}]")
        if found:
            return found
    return None


def _normalize(record: Any, function: str) -> dict:
    """``record`` through JSON (so that a fresh and a cached record are equal), finite numbers only."""
    if not isinstance(record, Mapping):
        raise TypeError(f"cell function {function!r} returned a {type(record).__name__}, not a dict")
    out = json.loads(json.dumps(record, sort_keys=True, default=_json_default))
    found = _non_finite(out, "record")
    if found:
        raise ValueError(f"{found[0]} is {found[1]} (from {function!r}): records hold finite numbers only; "
                         "return a string such as 'inf' if that is the result")
    return out


def run_cell(function: str, config: Mapping[str, Any], seed: int) -> dict:
    """Import ``function`` ("module:function"), call it on (config, seed) with one torch thread,
    and return its record JSON-normalized; ValueError names a non-finite number in the record."""
    fn = _load_function(function)
    with _one_torch_thread():
        record = fn(dict(config), seed)
    return _normalize(record, function)
