"""The claims registry: claims are data, checks are functions, tests are generic.

A :class:`Claim` carries its id (exactly as in the claims catalog), statement in plain text
and LaTeX, source with locator, hypotheses with a :class:`Witness` that satisfies them, one
check per level, its expected verdict, and (when it is expected to be ``proved`` or
``holds``) a :class:`Twin`: a deliberately wrong variant that the *same* check machinery
must refute. Family modules in :mod:`bnclaims.claims` call :func:`register`; so does a user's
claims file, loaded by ``bnclaims check FILE`` or the pytest plugin into a :class:`Registry` of its own.

Non-vacuity: a claim *has hypotheses* unless every entry of ``hypotheses`` reads "none ..." (or the
tuple is empty) or it is about an implementation (family in :data:`IMPLEMENTATION_FAMILIES`: its
hypotheses, "CPU", "float64", are the environment, not data). A claim with hypotheses needs a
:class:`Witness`; the runner reports ``proved``/``holds`` of a claim without one, or whose witness
fails, as ``inconclusive`` (:mod:`bnclaims.runner`).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

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

    ``check`` re-verifies the hypotheses on ``data`` exactly and returns True when they hold
    (anything else, or an exception, means the hypotheses are not shown to be satisfiable).
    """

    data: dict[str, Any]
    check: Callable[[], bool]


@dataclass(frozen=True, kw_only=True)
class Twin:
    """A deliberately wrong variant of a claim; every one of its checks must return ``refuted``."""

    change: str
    statement: str
    checks: dict[Level, CheckFn]
    latex: str = ""


#: Families whose claims are about an implementation (a library's BN), not about data: no witness needed.
IMPLEMENTATION_FAMILIES = frozenset({"conformance"})


def _is_none(hypothesis: str) -> bool:
    return re.match(r"^\s*none\b", hypothesis, re.I) is not None


@dataclass(frozen=True, kw_only=True)
class Claim:
    """One claim, with its checks and expected verdicts (keyword arguments only).

    >>> import sympy as sp
    >>> from bnclaims import Claim, Level, Outcome, Source, Verdict
    >>> def midpoint(ctx):
    ...     a, b = sp.symbols("a b", real=True)
    ...     ok = sp.simplify((a + b) / 2 - (a + (b - a) / 2)) == 0
    ...     return Outcome(Verdict.PROVED if ok else Verdict.INCONCLUSIVE, "symbolic a, b")
    >>> claim = Claim(id="mine.midpoint", statement="(a+b)/2 = a + (b-a)/2", source=Source("me", "notes"),
    ...               hypotheses=("none",), checks={Level.THEORY: midpoint}, expected=None)
    >>> claim.family, claim.has_hypotheses, claim.checks[Level.THEORY](None).verdict.value
    ('mine', False, 'proved')
    """

    id: str
    statement: str
    source: Source
    hypotheses: tuple[str, ...]
    checks: dict[Level, CheckFn]
    expected: Verdict | None
    witness: Witness | None = None
    catalog: str = ""
    title: str = ""
    latex: str = ""
    proof_sketch: str = ""
    twin: Twin | None = None
    expected_by_level: dict[Level, Verdict] = field(default_factory=dict)
    on_batch: BatchCheckFn | None = None
    notes: str = ""

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def has_hypotheses(self) -> bool:
        """True when the claim states hypotheses on data, which a :class:`Witness` must show satisfiable:
        some hypothesis other than "none ..." and the family is not an implementation family."""
        if self.family in IMPLEMENTATION_FAMILIES:
            return False
        return any(not _is_none(h) for h in self.hypotheses)

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


class MalformedClaim(ValueError):
    """A claim that cannot be registered: bad id, an id registered twice, no checks, a check that is
    not callable, a level or verdict of the wrong type, a claim expected to hold without a false twin."""


def _validate(claim: Claim) -> None:
    if not isinstance(claim, Claim):
        raise MalformedClaim(f"register() takes a bnclaims.Claim, got {type(claim).__name__}")
    if not isinstance(claim.id, str) or not _ID.match(claim.id):
        raise MalformedClaim(f"claim id {claim.id!r} is not of the form family.name (lowercase, digits, _)")
    if not isinstance(claim.checks, dict) or not claim.checks:
        raise MalformedClaim(f"claim {claim.id} has no checks")
    for owner, checks in ((claim.id, claim.checks), (f"{claim.id}.twin", claim.twin.checks if claim.twin else {})):
        for level, fn in checks.items():
            if not isinstance(level, Level):
                raise MalformedClaim(f"{owner}: check level {level!r} is not a bnclaims.Level")
            if not callable(fn):
                raise MalformedClaim(f"{owner}: the {level.value} check {fn!r} is not callable")
    if claim.expected is not None and not isinstance(claim.expected, Verdict):
        raise MalformedClaim(f"claim {claim.id}: expected {claim.expected!r} is not a bnclaims.Verdict or None")
    for level, verdict in claim.expected_by_level.items():
        if not isinstance(level, Level) or not isinstance(verdict, Verdict):
            raise MalformedClaim(f"claim {claim.id}: expected_by_level maps Level to Verdict, got {level!r}: {verdict!r}")
    if not isinstance(claim.source, Source):
        raise MalformedClaim(f"claim {claim.id}: source must be a bnclaims.Source")
    if isinstance(claim.hypotheses, str) or not all(isinstance(h, str) for h in claim.hypotheses):
        raise MalformedClaim(f"claim {claim.id}: hypotheses must be a tuple of strings")
    if claim.witness is not None and not (isinstance(claim.witness, Witness) and callable(claim.witness.check)):
        raise MalformedClaim(f"claim {claim.id}: witness must be a bnclaims.Witness with a callable check")
    if claim.expected in (Verdict.PROVED, Verdict.HOLDS) and claim.twin is None:
        raise MalformedClaim(f"claim {claim.id} is expected to be {claim.expected.value} but has no false twin")
    if claim.twin is not None and not (isinstance(claim.twin, Twin) and claim.twin.checks):
        raise MalformedClaim(f"the twin of {claim.id} has no checks")
    if claim.twin is not None and not set(claim.twin.checks) <= set(claim.checks):
        extra = sorted(lv.value for lv in set(claim.twin.checks) - set(claim.checks))
        raise MalformedClaim(f"the twin of {claim.id} has checks at levels the claim has not: {extra}")


class Registry:
    """A set of claims with unique ids.

    :data:`BUILTIN` is the project's ledger (the family modules of :mod:`bnclaims.claims`, loaded on
    first use). A user's claims file is loaded into a registry of its own (:mod:`bnclaims.user_claims`),
    so its ids never mix with the ledger's: a user claim may reuse a built-in id.
    """

    def __init__(self, name: str, loader: Callable[[], None] | None = None) -> None:
        self.name = name
        self._claims: dict[str, Claim] = {}
        self._loader = loader
        self._loaded = loader is None
        self._loading = False

    def __repr__(self) -> str:
        return f"Registry({self.name!r}, {len(self._claims)} claims)"

    def _ensure_loaded(self) -> None:
        if self._loaded or self._loading:
            return
        self._loading = True
        try:
            with collecting(self):
                self._loader()  # type: ignore[misc]
            self._loaded = True
        finally:
            self._loading = False

    def register(self, claim: Claim) -> Claim:
        """Add a claim (validated; :class:`MalformedClaim` says what is wrong)."""
        _validate(claim)
        if claim.id in self._claims:
            raise MalformedClaim(f"claim id {claim.id!r} registered twice")
        self._claims[claim.id] = claim
        return claim

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._claims)

    def __contains__(self, claim_id: object) -> bool:
        self._ensure_loaded()
        return claim_id in self._claims

    def all_claims(self) -> list[Claim]:
        """Every claim, sorted by id."""
        self._ensure_loaded()
        return [self._claims[k] for k in sorted(self._claims)]

    def get_claim(self, claim_id: str) -> Claim:
        """The claim with this id; :class:`BadInput` naming close matches when there is none."""
        self._ensure_loaded()
        if claim_id not in self._claims:
            import difflib

            close = difflib.get_close_matches(claim_id, list(self._claims), n=3)
            hint = (f"; did you mean {', '.join(close)}?" if close else
                    "; see 'bnclaims list'" if self is BUILTIN else f" in {self.name}")
            raise BadInput(f"unknown claim id {claim_id!r}{hint}")
        return self._claims[claim_id]

    def families(self) -> list[str]:
        """The family names (the part of an id before the dot)."""
        self._ensure_loaded()
        return sorted({c.family for c in self._claims.values()})

    def select(self, selectors: Iterable[str]) -> list[Claim]:
        """Claims named by ids or family names (all claims when ``selectors`` is empty)."""
        selectors = list(selectors)
        if not selectors:
            return self.all_claims()
        chosen: dict[str, Claim] = {}
        fams = set(self.families())
        for sel in selectors:
            if sel in fams:
                chosen.update({c.id: c for c in self._claims.values() if c.family == sel})
            else:
                claim = self.get_claim(sel)
                chosen[claim.id] = claim
        return [chosen[k] for k in sorted(chosen)]


def _load_builtin() -> None:
    import bnclaims.claims  # noqa: F401  (registers every family)


#: The project's ledger: every claim of :mod:`bnclaims.claims`.
BUILTIN = Registry("the built-in ledger", loader=_load_builtin)
_CURRENT: ContextVar[Registry | None] = ContextVar("bnclaims_registry", default=None)


def current_registry() -> Registry:
    """Where :func:`register` writes: the registry being collected, else the built-in ledger."""
    registry = _CURRENT.get()
    return BUILTIN if registry is None else registry


@contextmanager
def collecting(registry: Registry) -> Iterator[Registry]:
    """Make ``registry`` the target of :func:`register` inside the block.

    The built-in ledger is loaded first, so that a claims file which imports a built-in family module
    (to reuse its checks) does not register the ledger's claims into ``registry``.
    """
    if registry is not BUILTIN:
        BUILTIN._ensure_loaded()
    token = _CURRENT.set(registry)
    try:
        yield registry
    finally:
        _CURRENT.reset(token)


def register(claim: Claim) -> Claim:
    """Add a claim to the current registry (the built-in ledger, or the user registry being loaded by
    ``bnclaims check`` / the pytest plugin); ids are unique there and look like ``family.name``."""
    return current_registry().register(claim)


def all_claims() -> list[Claim]:
    """Every claim of the built-in ledger, sorted by id."""
    return BUILTIN.all_claims()


def get_claim(claim_id: str) -> Claim:
    """The built-in claim with this id; :class:`BadInput` naming close matches when there is none."""
    return BUILTIN.get_claim(claim_id)


def families() -> list[str]:
    """The built-in ledger's family names."""
    return BUILTIN.families()


def select(selectors: Iterable[str]) -> list[Claim]:
    """Built-in claims named by ids or family names (all claims when ``selectors`` is empty)."""
    return BUILTIN.select(selectors)
