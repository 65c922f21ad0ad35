"""The claims registry: claims are data, checks are functions, tests are generic.

A :class:`Claim` carries its id (exactly as in the claims catalog), statement in plain text
and LaTeX, source with locator, hypotheses with a :class:`Witness` that satisfies them, one
check per level, its expected verdict, and (when it is expected to be ``proved`` or
``holds``) a :class:`Twin`: a deliberately wrong variant that the *same* check machinery
must refute. Family modules in :mod:`bnclaims.claims` call :func:`register`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.verdicts import Level, Outcome, Verdict

CheckFn = Callable[[Context], Outcome]
#: A check on user-supplied data: ``(batch, eps, gamma, upstream, ctx) -> Outcome``.
BatchCheckFn = Callable[..., Outcome]

_ID = re.compile(r"^[a-z0-9]+\.[a-z0-9_]+$")


@dataclass(frozen=True)
class Source:
    """Where a claim comes from: a BibTeX key (see ``bnclaims/references.bib``) and a locator."""

    bibkey: str
    locator: str
    note: str = ""

    def cite(self) -> str:
        return f"{self.bibkey}, {self.locator}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Witness:
    """A concrete point that satisfies every hypothesis, so the claim is not vacuous.

    ``check`` re-verifies the hypotheses on ``data`` exactly and returns True when they hold.
    """

    data: dict[str, Any]
    check: Callable[[], bool]


@dataclass(frozen=True)
class Twin:
    """A deliberately wrong variant of a claim; every one of its checks must return ``refuted``."""

    change: str
    statement: str
    latex: str
    checks: dict[Level, CheckFn]


@dataclass(frozen=True)
class Claim:
    """One claim from the literature, with its checks and expected verdicts."""

    id: str
    catalog: str
    title: str
    statement: str
    latex: str
    source: Source
    hypotheses: tuple[str, ...]
    witness: Witness | None
    checks: dict[Level, CheckFn]
    expected: Verdict | None
    proof_sketch: str = ""
    twin: Twin | None = None
    expected_by_level: dict[Level, Verdict] = field(default_factory=dict)
    on_batch: BatchCheckFn | None = None
    notes: str = ""

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    def expected_at(self, level: Level) -> Verdict | None:
        """Expected verdict at a level: ``proved`` claims are expected to ``hold`` numerically."""
        if level in self.expected_by_level:
            return self.expected_by_level[level]
        if self.expected is Verdict.PROVED and level is not Level.THEORY:
            return Verdict.HOLDS
        return self.expected

    def summary(self) -> dict[str, Any]:
        """A JSON-serializable description (for ``bnclaims list --json`` and ``show``)."""
        return {
            "id": self.id,
            "catalog": self.catalog,
            "title": self.title,
            "statement": self.statement,
            "latex": self.latex,
            "source": {"bibkey": self.source.bibkey, "locator": self.source.locator,
                       "note": self.source.note},
            "hypotheses": list(self.hypotheses),
            "witness": self.witness.data if self.witness else None,
            "levels": [lv.value for lv in self.checks],
            "expected": {lv.value: (self.expected_at(lv).value if self.expected_at(lv) else None)
                         for lv in self.checks},
            "proof_sketch": self.proof_sketch,
            "twin": None if self.twin is None else {
                "change": self.twin.change, "statement": self.twin.statement,
                "latex": self.twin.latex, "levels": [lv.value for lv in self.twin.checks]},
            "accepts_user_batch": self.on_batch is not None,
            "scale_criterion": (self.checks[Level.SCALE].criterion.summary()
                                if hasattr(self.checks.get(Level.SCALE), "criterion") else None),
            "notes": self.notes,
        }


_REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add a claim; ids are unique and must look like ``family.name``."""
    if not _ID.match(claim.id):
        raise ValueError(f"claim id {claim.id!r} is not of the form family.name")
    if claim.id in _REGISTRY:
        raise ValueError(f"claim id {claim.id!r} registered twice")
    if not claim.checks:
        raise ValueError(f"claim {claim.id} has no checks")
    if claim.expected in (Verdict.PROVED, Verdict.HOLDS) and claim.twin is None:
        raise ValueError(f"claim {claim.id} is expected to be {claim.expected.value} but has no false twin")
    if claim.twin is not None and not claim.twin.checks:
        raise ValueError(f"the twin of {claim.id} has no checks")
    _REGISTRY[claim.id] = claim
    return claim


def _load() -> None:
    import bnclaims.claims  # noqa: F401  (registers every family)


def all_claims() -> list[Claim]:
    """Every registered claim, sorted by id."""
    _load()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_claim(claim_id: str) -> Claim:
    """The claim with this id; :class:`BadInput` naming close matches when there is none."""
    _load()
    if claim_id not in _REGISTRY:
        import difflib

        close = difflib.get_close_matches(claim_id, list(_REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see 'bnclaims list'"
        raise BadInput(f"unknown claim id {claim_id!r}{hint}")
    return _REGISTRY[claim_id]


def families() -> list[str]:
    _load()
    return sorted({c.family for c in _REGISTRY.values()})


def select(selectors: Iterable[str]) -> list[Claim]:
    """Claims named by ids or family names (all claims when ``selectors`` is empty)."""
    _load()
    selectors = list(selectors)
    if not selectors:
        return all_claims()
    chosen: dict[str, Claim] = {}
    fams = set(families())
    for sel in selectors:
        if sel in fams:
            chosen.update({c.id: c for c in _REGISTRY.values() if c.family == sel})
        else:
            claim = get_claim(sel)
            chosen[claim.id] = claim
    return [chosen[k] for k in sorted(chosen)]
