"""Running checks: one record per (claim, level), twins as ``<id>.twin``, with timing.

A check that raises is reported, not hidden: its record gets verdict ``inconclusive`` and
the error in its evidence, which never equals an expected verdict of a registered claim,
so the run exits 1. :class:`bnclaims.errors.BadInput` is re-raised (exit code 2).
"""
from __future__ import annotations

import platform
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any, Iterable

from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.registry import Claim
from bnclaims.verdicts import Level, Outcome, Verdict


@dataclass
class Record:
    """One line of the ledger: the verdict of one claim (or twin) at one level."""

    id: str
    level: str
    verdict: str
    expected: str | None
    scope: str
    evidence: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def as_expected(self) -> bool:
        """Expected verdict met; claims with no expected verdict ("empirical") must not error."""
        if self.expected is None:
            return "error" not in self.evidence
        return self.verdict == self.expected


def _jsonable(value: Any) -> Any:
    """Evidence made JSON-safe: containers recursed, unknown objects stringified."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    return str(value)


def run_one(check, ctx: Context, *, record_id: str, level: Level, expected: Verdict | None) -> Record:
    """Run one check and time it; an exception becomes an ``inconclusive`` record with the error."""
    start = time.perf_counter()
    try:
        outcome: Outcome = check(ctx)
        verdict, scope, evidence = outcome.verdict.value, outcome.scope, outcome.evidence
    except BadInput:
        raise
    except Exception as exc:  # reported in the record and by the exit code, never swallowed
        verdict, scope = Verdict.INCONCLUSIVE.value, "the check raised an exception"
        evidence = {"error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(limit=6).splitlines()[-6:]}
    seconds = time.perf_counter() - start
    return Record(id=record_id, level=level.value, verdict=verdict,
                  expected=expected.value if expected else None, scope=scope,
                  evidence=_jsonable(evidence), seconds=round(seconds, 3))


def plan(claims: Iterable[Claim], levels: Iterable[Level], twins: bool = True) -> list[tuple]:
    """The (record id, check, level, expected) jobs for these claims at these levels."""
    levels = list(levels)
    jobs = []
    for claim in claims:
        for level in levels:
            if level in claim.checks:
                jobs.append((claim.id, claim.checks[level], level, claim.expected_at(level)))
            if twins and claim.twin is not None and level in claim.twin.checks:
                jobs.append((f"{claim.id}.twin", claim.twin.checks[level], level, Verdict.REFUTED))
    return jobs


def run_claims(claims: Iterable[Claim], levels: Iterable[Level], ctx: Context, *,
               twins: bool = True, progress: bool = False) -> list[Record]:
    """Run every check of these claims at these levels (and their twins), in a stable order."""
    jobs = plan(claims, levels, twins)
    records: list[Record] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), unit="check", file=sys.stderr, dynamic_ncols=True, leave=False)
        ctx.progress = lambda msg: bar.set_postfix_str(msg[:60], refresh=True)
    try:
        for record_id, check, level, expected in jobs:
            if bar is not None:
                bar.set_description(f"{record_id} [{level.value}]")
            records.append(run_one(check, ctx, record_id=record_id, level=level, expected=expected))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
            ctx.progress = None
    return records


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def environment(ctx: Context) -> dict[str, Any]:
    """Versions, platform and run settings, for the JSON ledger."""
    return {
        "bnclaims": _version("bnclaims"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {d: _version(d) for d in ("sympy", "mpmath", "hypothesis", "numpy", "scipy", "torch")},
        "seed": ctx.seed,
        "preset": ctx.preset,
        "dps": ctx.dps,
        "device": ctx.device,
    }


def ledger(records: list[Record], ctx: Context) -> dict[str, Any]:
    """The ``--json`` document: environment and one record per (claim, level)."""
    return {"environment": environment(ctx), "results": [asdict(r) for r in records]}
