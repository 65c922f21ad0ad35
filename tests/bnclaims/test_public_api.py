"""Tests for bnclaims (bnclaims/__init__.py): the public surface, and the documentation of it in docs/."""
import re
from pathlib import Path

import bnclaims

DOCS = Path(__file__).resolve().parents[2] / "docs"
PROMISED = {"Claim", "Twin", "Witness", "Source", "Verdict", "Level", "Context", "Outcome", "BadInput",
            "register", "all_claims", "get_claim", "select", "has_certificate", "run_claims"}


def test_everything_needed_to_state_a_claim_is_exported_by_name():
    assert PROMISED <= set(bnclaims.__all__)
    assert all(not name.startswith("_") and hasattr(bnclaims, name) for name in bnclaims.__all__)
    assert sorted(bnclaims.__all__) == bnclaims.__all__


def test_the_public_functions_are_annotated_and_documented():
    for name in bnclaims.__all__:
        obj = getattr(bnclaims, name)
        assert (obj.__doc__ or "").strip(), name
        if callable(obj) and not isinstance(obj, type):
            assert "return" in obj.__annotations__, name


def test_the_documented_example_is_the_example_file_verbatim():
    text = (DOCS / "your_own_claims.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert (DOCS / "claims_mine.py").read_text(encoding="utf-8") in blocks
