"""Tests for bnclaims.claims.conformance: the version-dependent expected verdict of the torch.func finding."""
from bnclaims import Verdict
from bnclaims.claims.conformance import FUNC_HESSIAN_LAST_CONFIRMED, expected_func_hessian_verdict


def test_releases_up_to_the_last_confirmed_one_expect_a_refutation():
    major, minor = FUNC_HESSIAN_LAST_CONFIRMED
    assert expected_func_hessian_verdict(f"{major}.{minor}.0+cpu") is Verdict.REFUTED
    assert expected_func_hessian_verdict("2.0.1") is Verdict.REFUTED


def test_a_newer_release_is_recorded_but_not_asserted():
    major, minor = FUNC_HESSIAN_LAST_CONFIRMED
    assert expected_func_hessian_verdict(f"{major}.{minor + 1}.0") is None


def test_no_torch_func_means_inconclusive():
    assert expected_func_hessian_verdict("1.13.1") is Verdict.INCONCLUSIVE
