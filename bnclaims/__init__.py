"""bnclaims: the published theory of Batch Normalization, checked claim by claim.

The public surface is small and is everything needed to state a claim in a file of one's own:
the claim types (:class:`Claim`, :class:`Twin`, :class:`Witness`, :class:`Source`), the verdict
types (:class:`Verdict`, :class:`Level`, :class:`Outcome`, :func:`has_certificate`), the run
context (:class:`Context`), :class:`BadInput`, :func:`register`, the built-in ledger
(:func:`all_claims`, :func:`get_claim`, :func:`select`) and the runner (:func:`run_claims`,
:class:`Record`; :class:`Registry` for a set of claims of one's own). ``bnclaims`` on the command line
is :mod:`bnclaims.cli`; ``bnclaims check FILE.py`` runs a user's claims (:mod:`bnclaims.user_claims`),
and so does pytest through :mod:`bnclaims.pytest_plugin`.
"""
from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.registry import (Claim, Registry, Source, Twin, Witness, all_claims, get_claim, register,
                               select)
from bnclaims.runner import Record, run_claims
from bnclaims.verdicts import Level, Outcome, Verdict, has_certificate

__all__ = [
    "BadInput", "Claim", "Context", "Level", "Outcome", "Record", "Registry", "Source", "Twin", "Verdict",
    "Witness", "all_claims", "get_claim", "has_certificate", "register", "run_claims", "select",
]
__version__ = "0.1.0"
