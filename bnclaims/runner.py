"""Running checks: one record per (claim, level), twins as ``<id>.twin``, with timing.

A check that raises is reported, not hidden: its record gets verdict ``inconclusive`` and
the error in its evidence, which never equals an expected verdict of a registered claim,
so the run exits 1. :class:`bnclaims.errors.BadInput` is re-raised (exit code 2).

Two rules hold for every record, built-in claim or user's, whatever its check returned:

* **Certificates** (:func:`certified_only`): a ``refuted`` outcome counts only with a certificate
  (:func:`bnclaims.verdicts.has_certificate` at its level: ``exact: True`` or ``certified: True``
  somewhere in the evidence; at the scale level also a statistical certificate). Otherwise the
  record is ``inconclusive`` with evidence key ``downgraded`` saying why.
* **Non-vacuity** (:meth:`Runner.witness`): a claim that has hypotheses
  (:attr:`bnclaims.registry.Claim.has_hypotheses`) and no witness, or whose witness check returns
  anything but True or raises, is never reported ``proved`` or ``holds``: such a record (claim or
  twin) becomes ``inconclusive`` with evidence key ``vacuous`` ("hypotheses admit no witness: ...").
  The witness check runs once per claim per :class:`Runner` (timed, cached).

Both keep the check's own verdict under ``reported_verdict`` and can only turn a verdict into
``inconclusive``. A refutation under a failing witness is left to the certificate rule: its
counterexample, re-verified, is itself a point satisfying the hypotheses.
"""
from __future__ import annotations

import platform
import sys
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Iterable

from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.registry import Claim
from bnclaims.verdicts import Level, Outcome, Verdict, has_certificate

__all__ = ["Record", "Runner", "WitnessCheck", "certified_only", "environment", "ledger", "plan",
           "run_claims", "run_one"]


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


@dataclass(frozen=True)
class WitnessCheck:
    """Whether a claim's hypotheses are shown satisfiable: ``ok``, else ``reason``; ``seconds`` it took."""

    ok: bool
    reason: str = ""
    seconds: float = 0.0


def check_witness(claim: Claim) -> WitnessCheck:
    """Run ``claim.witness.check()`` once, timed (:class:`Runner` caches it per claim)."""
    if not claim.has_hypotheses:
        return WitnessCheck(True)
    if claim.witness is None:
        return WitnessCheck(False, "hypotheses admit no witness: the claim states hypotheses "
                            f"({'; '.join(claim.hypotheses)}) but gives no Witness that satisfies them")
    start = time.perf_counter()
    try:
        result = claim.witness.check()
    except Exception as exc:  # a witness that cannot be checked shows nothing
        reason = f"hypotheses admit no witness: the witness check raised {type(exc).__name__}: {exc}"
    else:
        ok = result is True or (type(result).__name__ == "bool_" and bool(result))
        reason = "" if ok else (f"hypotheses admit no witness: the witness {_jsonable(claim.witness.data)} "
                                f"does not satisfy them (its check returned {result!r})")
    return WitnessCheck(not reason, reason, round(time.perf_counter() - start, 3))


def certified_only(outcome: Outcome, level: Level | str | None = None) -> Outcome:
    """A refutation counts only with a certificate at its level; otherwise it becomes ``inconclusive``
    with evidence key ``downgraded``. Theory: ``exact: True`` (exact re-verification); numerics: also
    ``certified: True`` (an interval enclosure); scale: also a statistical certificate."""
    if outcome.verdict is not Verdict.REFUTED or has_certificate(outcome.evidence, level):
        return outcome
    lv = Level(level) if level is not None else None
    need = {Level.THEORY: "an exact re-verification (exact: true)",
            Level.SCALE: "an exact, interval or statistical certificate"}.get(
                lv, "an interval certificate (certified: true) or exact re-verification (exact: true)")
    evidence = dict(outcome.evidence, reported_verdict=Verdict.REFUTED.value,
                    downgraded=f"refuted without {need}: reported as inconclusive")
    return Outcome(Verdict.INCONCLUSIVE, outcome.scope, evidence, outcome.steps, outcome.exprs)


def _non_vacuous_only(outcome: Outcome, witness: WitnessCheck) -> Outcome:
    if witness.ok or outcome.verdict not in (Verdict.PROVED, Verdict.HOLDS):
        return outcome
    evidence = dict(outcome.evidence, reported_verdict=outcome.verdict.value, vacuous=witness.reason,
                    vacuity_check_seconds=witness.seconds)
    return Outcome(Verdict.INCONCLUSIVE, outcome.scope, evidence, outcome.steps, outcome.exprs)


def run_one(check, ctx: Context, *, record_id: str, level: Level, expected: Verdict | None,
            witness: WitnessCheck | None = None) -> Record:
    """Run one check and time it; an exception becomes an ``inconclusive`` record with the error.

    The certificate rule always applies; the non-vacuity rule when ``witness`` (the claim's
    :class:`WitnessCheck`) is given.
    """
    start = time.perf_counter()
    try:
        result = check(ctx)
        if not isinstance(result, Outcome):
            raise TypeError(f"a check must return a bnclaims.Outcome, got {type(result).__name__}")
        outcome = certified_only(result, level)
        if witness is not None:
            outcome = _non_vacuous_only(outcome, witness)
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
    """The (record id, check, level, expected, claim) jobs for these claims at these levels."""
    levels = list(levels)
    jobs = []
    for claim in claims:
        for level in levels:
            if level in claim.checks:
                jobs.append((claim.id, claim.checks[level], level, claim.expected_at(level), claim))
            if twins and claim.twin is not None and level in claim.twin.checks:
                jobs.append((f"{claim.id}.twin", claim.twin.checks[level], level, Verdict.REFUTED, claim))
    return jobs


class Runner:
    """Runs checks of claims in one context, with both rules of this module; caches witness checks.

    >>> from bnclaims import Context, Level, get_claim
    >>> runner = Runner(Context(preset="quick"))
    >>> rec = runner.run(get_claim("bn.dmu_second_term_vanishes"), Level.THEORY)
    >>> rec.verdict, rec.as_expected, runner.witness(get_claim("bn.dmu_second_term_vanishes")).ok
    ('proved', True, True)
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._witnesses: dict[int, tuple[Claim, WitnessCheck]] = {}

    def witness(self, claim: Claim) -> WitnessCheck:
        """The claim's witness check, run on first request and cached for this runner."""
        hit = self._witnesses.get(id(claim))
        if hit is None or hit[0] is not claim:
            hit = (claim, check_witness(claim))
            self._witnesses[id(claim)] = hit
        return hit[1]

    @property
    def witnesses(self) -> dict[str, WitnessCheck]:
        """Witness checks run so far, by claim id."""
        return {c.id: w for c, w in self._witnesses.values()}

    def run(self, claim: Claim, level: Level, twin: bool = False) -> Record:
        """The record of ``claim`` (or of its twin) at ``level``."""
        if twin:
            if claim.twin is None or level not in claim.twin.checks:
                raise BadInput(f"{claim.id} has no twin check at the {level.value} level")
            check, record_id, expected = claim.twin.checks[level], f"{claim.id}.twin", Verdict.REFUTED
        else:
            if level not in claim.checks:
                raise BadInput(f"{claim.id} has no check at the {level.value} level")
            check, record_id, expected = claim.checks[level], claim.id, claim.expected_at(level)
        return run_one(check, self.ctx, record_id=record_id, level=level, expected=expected,
                       witness=self.witness(claim))

    def run_claims(self, claims: Iterable[Claim], levels: Iterable[Level], *, twins: bool = True,
                   progress: bool = False, live: Any = None, into: list[Record] | None = None) -> list[Record]:
        """Every check of these claims at these levels (and their twins), in a stable order.

        ``live`` (a :class:`bnclaims.live.Live`, entered by the caller) is told when each check starts
        and finishes; ``progress=True`` without ``live`` shows a bar only. Records are appended to
        ``into`` as they finish, so an interrupted run keeps what it has done.
        """
        jobs = plan(claims, levels, twins)
        records: list[Record] = [] if into is None else into
        ctx = self.ctx
        own = None
        if live is None and progress:
            from bnclaims.live import Live

            live = own = Live(len(jobs), lines=False, bar=True).__enter__()
        if live is not None:
            ctx.progress = live.status
        try:
            for record_id, check, level, expected, claim in jobs:
                if live is not None:
                    live.start(record_id, level.value)
                records.append(run_one(check, ctx, record_id=record_id, level=level, expected=expected,
                                       witness=self.witness(claim)))
                if live is not None:
                    live.finished(records[-1])
        finally:
            if own is not None:
                own.__exit__(None, None, None)
            if live is not None:
                ctx.progress = None
        return records


def run_claims(claims: Iterable[Claim], levels: Iterable[Level], ctx: Context, *,
               twins: bool = True, progress: bool = False, live: Any = None,
               into: list[Record] | None = None) -> list[Record]:
    """Run every check of these claims at these levels (and their twins), in a stable order.

    Both rules of this module apply (certificates, non-vacuity); see :class:`Runner`.
    """
    return Runner(ctx).run_claims(claims, levels, twins=twins, progress=progress, live=live, into=into)


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


def ledger(records: list[Record], ctx: Context, *, claims: Iterable[Claim] = ()) -> dict[str, Any]:
    """The ``--json`` document (:func:`bnclaims.schema.ledger_document`): envelope, environment, summary,
    the claims and one record per (claim, level)."""
    from bnclaims.schema import ledger_document

    return ledger_document(records, ctx, claims=claims)
