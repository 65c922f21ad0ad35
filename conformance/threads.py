"""Run torch single-threaded inside a check, restoring the caller's setting afterwards.

The conformance checks push thousands of tiny tensors (a few values per channel) through
torch. With more than one intra-op thread, each call pays the thread pool's start-up and, on a
loaded machine, its spinning: measured here 14 ms per ``BatchNorm1d`` call of 5 values with 2
threads under load against 0.07 ms with one. Numerical results are within the same
``c kappa u`` bounds either way.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

import torch

__all__ = ["single_threaded", "CHECK_THREADS"]

CHECK_THREADS = 1
F = TypeVar("F", bound=Callable[..., Any])


def single_threaded(fn: F) -> F:
    """Decorator: call ``fn`` with ``torch.set_num_threads(CHECK_THREADS)``, then restore."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        old = torch.get_num_threads()
        torch.set_num_threads(CHECK_THREADS)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(old)
    return wrapper  # type: ignore[return-value]
