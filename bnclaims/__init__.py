"""bnclaims: the published theory of Batch Normalization, checked claim by claim.

The public surface is small: the registry of claims (:mod:`bnclaims.registry`), the
verdict types (:mod:`bnclaims.verdicts`), the run context (:mod:`bnclaims.context`) and
the tolerance table (:mod:`bnclaims.tolerances`). ``bnclaims`` on the command line is
:mod:`bnclaims.cli`.
"""
from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.registry import Claim, Source, Twin, all_claims, get_claim, select
from bnclaims.verdicts import Level, Outcome, Verdict

__all__ = [
    "BadInput", "Claim", "Context", "Level", "Outcome", "Source", "Twin", "Verdict",
    "all_claims", "get_claim", "select",
]
__version__ = "0.1.0"
