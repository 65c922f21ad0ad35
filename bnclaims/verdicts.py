"""Verdicts, check levels and the outcome record every check returns."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Verdict(str, enum.Enum):
    """What a check establishes about a claim.

    ``PROVED``: a symbolic proof, with its scope stated. ``HOLDS``: no violation at the
    stated precision and sample budget. ``REFUTED``: a counterexample that satisfies every
    hypothesis, re-verified exactly or with certified intervals. ``INCONCLUSIVE``: neither.
    """

    PROVED = "proved"
    HOLDS = "holds"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"


class Level(str, enum.Enum):
    """Where a check runs: sympy (``theory``), mpmath + hypothesis (``numerics``), torch (``scale``)."""

    THEORY = "theory"
    NUMERICS = "numerics"
    SCALE = "scale"


@dataclass
class Outcome:
    """The result of one check of one claim (or twin) at one level.

    ``scope`` says what was covered ("all m >= 2, eps >= 0 symbolic"; "m in 2..300, 200
    hypothesis cases at 60 digits"). ``evidence`` is JSON-serializable: the counterexample,
    the largest error seen, the precision, the seed. ``steps`` are (explanation, LaTeX) pairs
    of a derivation; the LaTeX writer prints them. ``exprs`` maps names to sympy expressions
    behind the derivation, so the golden-file test can tell a changed result from printer drift.
    """

    verdict: Verdict
    scope: str
    evidence: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[str, str]] = field(default_factory=list)
    exprs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.verdict = Verdict(self.verdict)
        if not self.scope:
            raise ValueError("an Outcome must state its scope")


def has_certificate(evidence: Any, level: "Level | str | None" = None) -> bool:
    """True when evidence carries a certificate: some nested dict with ``certified: True``
    (an interval enclosure on the violating side) or ``exact: True`` (exact re-verification).

    At the ``scale`` level (and only there) a *statistical* certificate also counts: a dict with
    ``statistical: True`` that holds the per-seed values, the interval and its confidence level, the
    seeds, the preset and the versions needed to rerun the experiment (:mod:`bnclaims.scale.verdict`).
    A statistical certificate never certifies a theory or numerics refutation.
    """
    statistical_ok = level is not None and Level(level) is Level.SCALE
    return _has_certificate(evidence, statistical_ok)


_STATISTICAL_KEYS = ("per_seed", "interval", "level", "seeds", "preset", "versions")


def _has_certificate(evidence: Any, statistical_ok: bool) -> bool:
    if isinstance(evidence, dict):
        if evidence.get("certified") is True or evidence.get("exact") is True:
            return True
        if statistical_ok and evidence.get("statistical") is True and all(k in evidence for k in _STATISTICAL_KEYS):
            return True
        return any(_has_certificate(v, statistical_ok) for v in evidence.values())
    if isinstance(evidence, (list, tuple)):
        return any(_has_certificate(v, statistical_ok) for v in evidence)
    return False
