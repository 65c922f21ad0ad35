"""The run context handed to every check: seed, size preset, precision, progress."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable

#: Size presets. ``quick`` is for unit tests, ``default`` is what ``bnclaims verify`` runs on a
#: 2-core CPU in a few minutes, ``thorough`` is the nightly tier, ``gpu`` the large torch sizes.
PRESETS = ("quick", "default", "thorough", "gpu")


@dataclass
class Context:
    """Everything a check may depend on besides its claim.

    Checks must be deterministic given ``seed`` and ``preset``: they draw randomness from
    :meth:`rng` or seed their own generators from :attr:`seed`, never from global state.
    """

    seed: int = 20251122
    preset: str = "default"
    dps: int = 60
    device: str = "cpu"
    progress: Callable[[str], None] | None = field(default=None, repr=False)
    #: Scale level: worker processes, cache directory, executor ("local" or "slurm"), plot directory.
    jobs: int = 1
    cache: str | None = None
    executor: str = "local"
    plots: str | None = None
    _grid: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; choose from {PRESETS}")
        if self.dps < 50:
            raise ValueError(f"numerics run at >= 50 digits, got dps={self.dps}")

    def rng(self, salt: str = "") -> random.Random:
        """A ``random.Random`` seeded from the context seed and a per-check salt."""
        return random.Random(f"{self.seed}:{salt}")

    def budget(self, quick: int, default: int, thorough: int | None = None) -> int:
        """Pick a sample budget for the preset (``gpu`` uses the thorough budget)."""
        if self.preset == "quick":
            return quick
        if self.preset == "default":
            return default
        return thorough if thorough is not None else 4 * default

    def say(self, message: str) -> None:
        """Report progress (a line under the progress bar); silent when no callback is set."""
        if self.progress is not None:
            self.progress(message)

    def grid(self) -> Any:
        """The grid runner of the scale level (:class:`bnclaims.scale.grid.GridRunner`), made on first
        use and shared by every check of this context, so that a claim and its twin share cells."""
        if self._grid is None:
            from bnclaims.scale.grid import GridRunner

            self._grid = GridRunner(jobs=self.jobs, cache=self.cache, executor=self.executor,
                                    progress=self.say)
        return self._grid

    def close(self) -> None:
        """Stop the grid runner's worker processes, if any."""
        if self._grid is not None:
            self._grid.close()
            self._grid = None
