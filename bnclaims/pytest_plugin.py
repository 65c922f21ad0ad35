"""pytest plugin: ``pytest`` in a repository of one's own verifies the claims of its claims files.

Installed with bnclaims as the ``pytest11`` entry point ``bnclaims``. Files whose name matches the
ini option ``bnclaims_files`` (glob patterns, default ``claims_*.py``) are loaded like
``bnclaims check FILE`` (:mod:`bnclaims.user_claims`: a registry of their own), and every
(claim, level) and every (twin, level) becomes a test item ``<id>[<level>]`` / ``<id>.twin[<level>]``.
An item passes when its record is as expected (the same records, rules and seeds as
``bnclaims check``); otherwise its failure shows the verdict, the expected verdict, the scope and
the evidence (the counterexample, the certificate, why a verdict was downgraded) as JSON.

Options: ``--bnclaims-preset`` (default ``quick``), ``--bnclaims-seed`` (default 20251122).
Markers: ``bnclaims`` on every item, and ``bnclaims_theory``, ``bnclaims_numerics``,
``bnclaims_scale`` by level, so ``pytest -m bnclaims_theory`` runs the symbolic level only. One
:class:`bnclaims.runner.Runner` serves the session: witnesses are checked once per claim, and a
claim and its twin share the scale level's experiment cells. Nothing here imports torch; a scale
check imports it when it runs.
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator

import pytest

from bnclaims.context import PRESETS, Context
from bnclaims.errors import BadInput
from bnclaims.registry import Claim
from bnclaims.verdicts import Level

__all__ = ["ClaimItem", "ClaimsFile", "ClaimMismatch", "DEFAULT_FILES", "format_record"]

#: Default glob patterns of claims files (ini option ``bnclaims_files``).
DEFAULT_FILES = ["claims_*.py"]
_RUNNER = pytest.StashKey[Any]()
_EVIDENCE_CHARS = 6000


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bnclaims", "claims about Batch Normalization (bnclaims)")
    group.addoption("--bnclaims-preset", choices=list(PRESETS), default="quick",
                    help="sample budgets of the claims' checks (default: quick)")
    group.addoption("--bnclaims-seed", type=int, default=20251122,
                    help="seed of every random choice in the claims' checks (default: 20251122)")
    parser.addini("bnclaims_files", type="args", default=list(DEFAULT_FILES),
                  help="glob patterns of bnclaims claims files (default: claims_*.py)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bnclaims: a check of a bnclaims claim or false twin")
    for level in Level:
        config.addinivalue_line("markers", f"bnclaims_{level.value}: a bnclaims check at the {level.value} level")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".py" and any(fnmatch.fnmatch(file_path.name, pattern)
                                         for pattern in parent.config.getini("bnclaims_files")):
        return ClaimsFile.from_parent(parent, path=file_path)
    return None


def _runner(config: pytest.Config):
    """The session's runner (made on first use; its context is closed when pytest ends)."""
    runner = config.stash.get(_RUNNER, None)
    if runner is None:
        from bnclaims.runner import Runner

        ctx = Context(seed=config.getoption("bnclaims_seed"), preset=config.getoption("bnclaims_preset"))
        runner = Runner(ctx)
        config.stash[_RUNNER] = runner
        config.add_cleanup(ctx.close)
    return runner


class ClaimMismatch(AssertionError):
    """A record that differs from its expected verdict (the item's failure)."""

    def __init__(self, record) -> None:
        super().__init__(f"{record.id} [{record.level}]: {record.verdict}, expected {record.expected}")
        self.record = record


def format_record(record) -> str:
    """The failure message: verdict, expected verdict, scope and the evidence as JSON."""
    evidence = json.dumps(record.evidence, indent=2, sort_keys=True, default=str)
    if len(evidence) > _EVIDENCE_CHARS:
        evidence = evidence[:_EVIDENCE_CHARS] + f"\n... ({len(evidence) - _EVIDENCE_CHARS} more characters)"
    expected = record.expected or "empirical (any verdict without an error)"
    return (f"{record.id} [{record.level}]: verdict {record.verdict}, expected {expected}\n"
            f"scope: {record.scope}\n"
            f"seconds: {record.seconds}\n"
            f"evidence:\n{evidence}")


class ClaimsFile(pytest.File):
    """A claims file: its claims are loaded into a registry of their own, one item per check."""

    def collect(self) -> Iterator[ClaimItem]:
        from bnclaims.user_claims import load_file

        registry = load_file(self.path)
        for claim in registry.all_claims():
            for level in Level:
                if level in claim.checks:
                    yield ClaimItem.from_parent(self, name=f"{claim.id}[{level.value}]", claim=claim,
                                                level=level, twin=False)
                if claim.twin is not None and level in claim.twin.checks:
                    yield ClaimItem.from_parent(self, name=f"{claim.id}.twin[{level.value}]", claim=claim,
                                                level=level, twin=True)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, BadInput):
            return f"bnclaims: error: {excinfo.value}"
        return super().repr_failure(excinfo)


class ClaimItem(pytest.Item):
    """One check of one claim (or of its twin) at one level."""

    def __init__(self, *, claim: Claim, level: Level, twin: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claim, self.level, self.twin = claim, level, twin
        self.record = None
        self.add_marker("bnclaims")
        self.add_marker(f"bnclaims_{level.value}")

    def runtest(self) -> None:
        record = _runner(self.config).run(self.claim, self.level, twin=self.twin)
        self.record = record
        self.user_properties.append(("bnclaims_record", json.dumps(asdict(record), default=str)))
        if not record.as_expected:
            raise ClaimMismatch(record)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, ClaimMismatch):
            return format_record(excinfo.value.record)
        if isinstance(excinfo.value, BadInput):
            return f"bnclaims: error: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        kind = "false twin" if self.twin else "claim"
        return self.path, None, f"{kind} {self.claim.id} [{self.level.value}]"
