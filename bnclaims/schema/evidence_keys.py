"""One name for each kind of evidence: the canonical keys of a record's ``evidence``, and the rule that
keeps their synonyms out.

A key that names one of the kinds below is exactly its canonical name, at every depth. Evidence of the
same kind for a part of a check is nested under the part's name (``{"a_ne_b_variant": {"max_rel_error":
...}}``, ``{"per_dtype": {"float32": {"max_error_over_bound": ...}}}``, ``{"gd_divergence": {"certificate":
...}}``); the values measured at a counterexample go inside it, and what a certificate certifies goes
into its ``kind``. When a search found several counterexamples, ``counterexample`` is the final (shrunk)
one and the others are nested (``{"search": {"first_found": ...}}``).
"""
from __future__ import annotations

import re
from typing import Any, Iterator

__all__ = ["CANONICAL", "RETIRED", "evidence_keys", "kind_of", "misnamed"]

#: The canonical names, with what each holds.
CANONICAL: dict[str, str] = {
    "counterexample": "the input that refutes the claim, with the values measured there",
    "certificate": "the exact check or certified enclosure that decides the verdict ('exact' or 'certified' "
                   "true; 'kind': what it certifies)",
    "witness": "a point that shows an existence statement a proof rests on (not a refutation)",
    "max_rel_error": "the largest relative error over the cases checked",
    "max_abs_error": "the largest absolute error over the cases checked",
    "max_error_over_bound": "the largest error divided by its allowed (rounding) bound; at most 1 passes",
    "worst_case": "the case with the largest error",
    "tolerance": "what the largest error is compared with",
}

#: The kinds a key can name by its wording, and the canonical names each allows.
_KINDS: dict[str, tuple[str, ...]] = {
    "counterexample": ("counterexample",),
    "certificate": ("certificate",),
    "witness": ("witness",),
    "largest error": ("max_rel_error", "max_abs_error", "max_error_over_bound", "worst_case"),
    "tolerance": ("tolerance",),
}
_ERROR_WORDS = {"error", "err", "gap", "frobenius", "deviation", "dev", "residual"}

#: Names used before the vocabulary, and where their content is now. The rule rejects each of them.
RETIRED: dict[str, str] = {
    "counterexample_numbers": "counterexample.numbers",
    "counterexample_zbar": "counterexample",
    "shrunk_counterexample": "counterexample",
    "example": "counterexample",
    "first_certified_violation": "search.first_found",
    "first_violation": "search.first_found",
    "counterexample_rel_error": "counterexample.rel_error",
    "r_eq3_at_counterexample": "counterexample.r_eq3",
    "paper_chain_at_counterexample": "counterexample.paper_chain",
    "witness_direction": "certificate.direction",
    "zero_set_witness": "zero_set.witness",
    "certificate_sq_gap": "certificate",
    "certificate_sum_sq_residual": "certificate",
    "certificate_dbeta": "certificate",
    "variance_certificate": "certificate",
    "divergence_certificate": "certificate",
    "path_off_certificate": "certificate",
    "autograd_on_certificate": "autograd.certificate",
    "gd_divergence_certificates": "gd_divergence.certificate",
    "certificate_meaning": "certificate.kind",
    "kernel_max_error": "kernel.max_abs_error",
    "a_ne_b_variant_max_error": "a_ne_b_variant.max_rel_error",
    "max_gap": "max_abs_error",
    "gap_minus_batch_variance_max_abs": "gap_equals_batch_variance.max_abs_error",
    "max_rel_error_numerical_vs_closed_dbeta": "max_rel_error",
    "worst_rel_frobenius": "max_rel_error",
    "max_backward_error_over_bound": "max_error_over_bound",
    "max_error_over_bound_per_dtype": "per_dtype.<dtype>.max_error_over_bound",
    "max_ratio": "max_error_over_bound",
    "worst": "worst_case",
    "worst_instance": "worst_case",
    "agreement_tolerance": "tolerance",
    "threshold_rel": "tolerance",
    "witness_seconds": "vacuity_check_seconds",
}


def kind_of(key: str) -> str | None:
    """The kind of evidence ``key`` names by its wording (a key of :data:`_KINDS`), else None.

    >>> kind_of("shrunk_counterexample"), kind_of("kernel_max_error"), kind_of("worst"), kind_of("max_kappa_ratio")
    ('counterexample', 'largest error', 'largest error', None)
    """
    k = str(key).lower()
    for word in ("counterexample", "certificate", "witness", "tolerance"):
        if word in k:
            return word
    words = set(re.split(r"[^a-z0-9]+", k))
    if "worst" in words or ("max" in words and words & _ERROR_WORDS):
        return "largest error"
    return None


def evidence_keys(evidence: Any, path: str = "evidence") -> Iterator[tuple[str, str]]:
    """Every (path, key) of the dicts in ``evidence``, at any depth, lists included."""
    if isinstance(evidence, dict):
        for key, value in evidence.items():
            yield path, str(key)
            yield from evidence_keys(value, f"{path}.{key}")
    elif isinstance(evidence, (list, tuple)):
        for i, value in enumerate(evidence):
            yield from evidence_keys(value, f"{path}[{i}]")


def misnamed(evidence: Any, path: str = "evidence") -> list[str]:
    """The keys of ``evidence`` (any depth) that break the rule: a retired name, or a key that names a kind
    of evidence without being one of its canonical names; one line each, ``"<path>: <key> (...)"``."""
    out = []
    for where, key in evidence_keys(evidence, path):
        kind = kind_of(key)
        if key in RETIRED:
            out.append(f"{where}: {key} (retired: now {RETIRED[key]})")
        elif kind is not None and key not in _KINDS[kind]:
            out.append(f"{where}: {key} (names a {kind}: use {' or '.join(_KINDS[kind])})")
    return out
