"""Test configuration: hypothesis profiles, mpmath precision hygiene, torch threads.

Profiles (select with HYPOTHESIS_PROFILE): ``dev`` (default, fast), ``ci`` (derandomized,
used by .ci/run), ``nightly`` (large budgets). Deadlines are off: numerics at 60 digits is
slow by design.
"""
import os

import mpmath
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    """Every test starts and ends at mpmath's defaults (15 digits, mp and iv)."""
    mp_dps, iv_dps = mpmath.mp.dps, mpmath.iv.dps
    yield
    mpmath.mp.dps, mpmath.iv.dps = mp_dps, iv_dps


def pytest_configure(config):
    try:
        import torch

        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    except ImportError:  # torch is a dependency; tolerate its absence for theory-only runs
        pass
