"""Tests for numerics.strategies: the drawn BN cases cover the hard regimes and are valid."""
from hypothesis import given, settings

from bnclaims.numerics.strategies import EPS_VALUES, FLAVOURS, bn_cases


@settings(max_examples=60)
@given(bn_cases())
def test_cases_are_valid_bn_inputs(case):
    assert 2 <= case.m <= 300 and len(case.g) == case.m
    assert len(set(case.y)) > 1 and case.gamma != 0
    assert case.eps in EPS_VALUES and case.flavour in FLAVOURS


def test_every_flavour_and_eps_is_reachable():
    seen_f, seen_e = set(), set()

    @settings(max_examples=150, database=None)
    @given(bn_cases(max_m=12))
    def collect(case):
        seen_f.add(case.flavour)
        seen_e.add(case.eps)

    collect()
    assert seen_f == set(FLAVOURS) and seen_e == set(EPS_VALUES)
