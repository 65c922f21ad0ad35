"""Tests for numerics.inputs: user data is validated exactly, and bad data never gets through."""
from fractions import Fraction

import pytest

from bnclaims.errors import BadInput
from numerics.inputs import parse_number, parse_vector, validate_batch


def test_decimal_strings_become_exact_rationals():
    assert parse_number("0.1", "x") == Fraction(1, 10)
    assert parse_vector("1, 2.5,-3", "y") == [1, Fraction(5, 2), -3]


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", float("nan"), float("inf")])
def test_non_finite_numbers_are_rejected(bad):
    with pytest.raises(BadInput, match="finite"):
        parse_number(bad, "x")


def test_batch_of_one_negative_eps_and_constant_batch_at_eps_zero_are_rejected():
    with pytest.raises(BadInput, match="batch size 1"):
        validate_batch("3")
    with pytest.raises(BadInput, match="eps must be >= 0"):
        validate_batch("1,2", "-1e-5")
    with pytest.raises(BadInput, match="constant"):
        validate_batch([2, 2, 2], 0)


def test_constant_batch_is_accepted_when_eps_is_positive():
    y, eps = validate_batch([2, 2, 2], "1e-5")
    assert y == [2, 2, 2] and eps == Fraction(1, 100000)
