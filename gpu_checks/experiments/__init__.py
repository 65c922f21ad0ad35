"""Network experiments behind the scale-level claims, one module per source paper.

Every measurement is a pure function ``(config: dict, seed: int) -> dict`` of JSON-safe numbers: the
same arguments give the same numbers in any process, so :mod:`bnclaims.scale` can run the cells of a
grid in a process pool or as a SLURM array, and cache them by content hash.
"""
from __future__ import annotations

__all__: list[str] = []
