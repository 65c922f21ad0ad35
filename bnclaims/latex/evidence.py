"""The evidence behind a theory verdict, for the semantic golden record (``semantic.json``).

A refutation is only as good as its counterexample, and a proof's record names the points and
certificates it rests on. ``Outcome.exprs`` alone would let a changed counterexample pass as
*printer drift* (text changed, expressions equal); with the evidence in the record it is a
*changed result*. Kept: every evidence entry (counterexamples, certificates, exact values,
explicit cases), as canonical JSON. Dropped: decimal renderings of exact values that the
evidence also stores (keys ending in ``_float`` or ``_digits``), which follow the exact value.
"""
from __future__ import annotations

import json
from typing import Any

from bnclaims.verdicts import Outcome

__all__ = ["semantic_evidence", "evidence_that_matters"]

#: Key endings of printed approximations of an exact value stored beside them.
PRINTED_ONLY = ("_float", "_digits")


def evidence_that_matters(value: Any) -> Any:
    """``value`` without the entries named in :data:`PRINTED_ONLY`, at any depth."""
    if isinstance(value, dict):
        return {str(k): evidence_that_matters(v) for k, v in value.items() if not str(k).endswith(PRINTED_ONLY)}
    if isinstance(value, (list, tuple)):
        return [evidence_that_matters(v) for v in value]
    return value


def semantic_evidence(prefix: str, outcome: Outcome) -> dict[str, str]:
    """``{"<prefix>.evidence.<key>": canonical JSON}`` for every evidence entry that matters.

    >>> from bnclaims.verdicts import Verdict
    >>> semantic_evidence("twin", Outcome(Verdict.REFUTED, "m = 2", evidence={"counterexample": {"y": [1, 0]},
    ...                                                                       "rhs_float": "0.5"}))
    {'twin.evidence.counterexample': '{"y": [1, 0]}'}
    """
    kept = evidence_that_matters(outcome.evidence or {})
    return {f"{prefix}.evidence.{key}": json.dumps(kept[key], sort_keys=True, default=str) for key in sorted(kept)}
