"""Tests for bnclaims.tolerances: one table, every key used in the code exists, messages carry numbers."""
import re
from pathlib import Path

import mpmath
import pytest

from bnclaims.tolerances import TOLERANCES, describe_failure, mp_rel_tol, tol

ROOT = Path(__file__).resolve().parents[2]


def test_every_tolerance_key_used_in_the_code_is_in_the_table():
    used = set()
    for pkg in ("bnclaims", "theory", "numerics", "conformance", "gpu_checks"):
        for path in (ROOT / pkg).rglob("*.py"):
            used |= set(re.findall(r"""\btol\(\s*["']([^"']+)["']""", path.read_text(encoding="utf-8")))
    assert used, "no tol(...) call found: the scan is broken"
    assert used <= set(TOLERANCES), sorted(used - set(TOLERANCES))


def test_unknown_key_names_the_known_ones():
    with pytest.raises(KeyError, match="mp.guard_digits"):
        tol("no.such.key")


def test_multiprecision_tolerance_tracks_the_working_precision():
    assert mp_rel_tol(60) == mpmath.mpf(10) ** -50
    assert mp_rel_tol(100) < mp_rel_tol(60)


def test_failure_message_prints_value_reference_error_precision_and_seed():
    msg = describe_failure("mp.identity_rel", value=1.5, reference=1.0, error=0.5, dps=60, seed=7, m=4)
    for part in ("mp.identity_rel=1e-40", "value=1.5", "reference=1.0", "error=0.5", "dps=60", "seed=7", "m=4"):
        assert part in msg
