"""Every text a user reads about a built-in claim (title, statement, sources, hypotheses, notes, twin)
speaks of papers and claims only: no words of the project's own bookkeeping."""
import re

import pytest

from bnclaims.registry import all_claims

#: Words that mean something only inside the project: catalog labels, source-document numbers,
#: transcription labels, issue numbers.
INTERNAL = re.compile(r"\bcatalog\b|\bseed 00\d|\bissue \d|\bT[1-3]\b|\bturn-2\b|\baddendum\b|\bC\d\d\b", re.I)


def _texts(claim) -> dict[str, str]:
    out = {"title": claim.title, "statement": claim.statement, "source.locator": claim.source.locator,
           "source.note": claim.source.note, "notes": claim.notes, "proof_sketch": claim.proof_sketch,
           **{f"hypotheses[{i}]": h for i, h in enumerate(claim.hypotheses)}}
    if claim.twin is not None:
        out.update({"twin.change": claim.twin.change, "twin.statement": claim.twin.statement})
    return {k: v or "" for k, v in out.items()}


@pytest.mark.parametrize("claim", all_claims(), ids=lambda c: c.id)
def test_claim_texts_use_no_internal_words(claim):
    found = {k: m.group(0) for k, v in _texts(claim).items() if (m := INTERNAL.search(v))}
    assert not found, f"{claim.id}: {found}"


def test_the_pattern_catches_the_words_it_names():
    for bad in ("follows the catalog", "Seed 001 says", "as transcribed in T2", "see issue 12", "entry C07"):
        assert INTERNAL.search(bad), bad
    for fine in ("Theorem 4.1", "Table 1", "seed 20251122", "C = 1"):
        assert not INTERNAL.search(fine), fine
