"""Tests for numerics.inputs: user data is validated exactly, and bad data never gets through."""
import math
import re
from fractions import Fraction
from pathlib import Path

import pytest

from bnclaims.errors import BadInput
from bnclaims.numerics.inputs import (MAX_BATCH, MAX_CONDITIONING_DIGITS, MAX_DECADES, MAX_EXPONENT, MAX_NUMBER_CHARS,
                             conditioning_digits, default_upstream, parse_number, parse_vector, validate_batch)


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


def test_giant_exponents_are_refused_before_the_rational_is_built():
    for text in ("1e99999999", "0e99999999", "1e-99999999", f"1e{MAX_EXPONENT + 1}"):
        with pytest.raises(BadInput, match="exponent"):
            parse_number(text, "x")


def test_magnitudes_beyond_the_bound_are_refused_and_those_at_it_are_exact():
    assert parse_number(f"1e{MAX_DECADES}", "x") == 10**MAX_DECADES
    assert parse_number(f"-1e-{MAX_DECADES}", "x") == Fraction(-1, 10**MAX_DECADES)
    for text in (f"1e{MAX_DECADES + 1}", f"1e-{MAX_DECADES + 1}", "9" * 990 + "e20"):
        with pytest.raises(BadInput, match="out of range"):
            parse_number(text, "x")
    with pytest.raises(BadInput, match="too long"):
        parse_number("1" * (MAX_NUMBER_CHARS + 1), "x")


def test_batches_above_the_cap_are_refused_by_their_count():
    validate_batch(",".join(str(i) for i in range(MAX_BATCH)))
    with pytest.raises(BadInput, match=f"at most {MAX_BATCH}"):
        validate_batch(",".join(["1"] * 10**5))


def test_conditioning_digits_are_exact_for_magnitudes_no_float_holds():
    assert conditioning_digits([Fraction(10**308), Fraction(-10**308), Fraction(1)], Fraction(0)) == 1
    assert conditioning_digits([Fraction(1, 10**300), Fraction(2, 10**300)], Fraction(0)) == 2
    assert conditioning_digits([Fraction(10**40), Fraction(10**40 + 1)], Fraction(0)) == 81
    with pytest.raises(BadInput, match="ill-conditioned"):
        validate_batch([1, 1 + Fraction(1, 10**(MAX_CONDITIONING_DIGITS // 2 + 5))])


@pytest.mark.parametrize("y", [[1, 2, 4], [5, 1, 1], [0, 0, 3], [-1, 0, 0, 1], [3, 1, 4, 1, 5]])
def test_the_default_upstream_is_a_unit_vector_outside_span_of_ones_and_the_centred_batch(y):
    y = [Fraction(v) for v in y]
    g = default_upstream(y)
    assert sorted(g) == [0] * (len(y) - 1) + [1]
    mu, m = sum(y) / len(y), len(y)
    d = [v - mu for v in y]
    p = [gi - Fraction(1, m) for gi in g]                 # g without its component along 1
    assert any(p[i] * d[j] != p[j] * d[i] for i in range(m) for j in range(m))   # p not parallel to y - mu
    assert sum(gi * di for gi, di in zip(g, d)) != 0      # <g, yhat> != 0


def test_the_default_upstream_of_a_constant_or_two_value_batch_is_e1():
    assert default_upstream([Fraction(2)] * 3) == [1, 0, 0]
    assert default_upstream([Fraction(1), Fraction(2)]) == [1, 0]


@pytest.mark.parametrize("y", [[1, 1 + Fraction(1, 10**205)], [10**210, 10**210 + 1], [-10**300, -10**300 + 3, -10**300]])
def test_the_ill_conditioning_message_reports_the_order_of_magnitude_of_max_y_over_s(y):
    """The refusal names max|y|/sqrt(sigma^2 + eps) as "about 1eK": K must be that ratio's decade
    (within one), computed here exactly from the batch, not a digit count or a residue of it."""
    y = [Fraction(v) for v in y]
    mu = sum(y) / len(y)
    s2 = sum((v - mu) ** 2 for v in y) / len(y)
    r2 = max(v * v for v in y) / s2                            # (max|y| / s)^2, exactly
    decade = (math.log10(r2.numerator) - math.log10(r2.denominator)) / 2
    with pytest.raises(BadInput, match="ill-conditioned") as err:
        validate_batch(y)
    shown = int(re.search(r"is about 1e(\d+)", str(err.value)).group(1))
    assert abs(shown - decade) <= 1, (shown, decade, str(err.value))


def test_the_exponent_cap_is_the_documented_2000_in_absolute_value():
    """README and ``bnclaims verify --help`` promise numbers with an exponent of at most 2000: the
    exponent 2000 itself must be read (0e2000 is a valid zero), 2001 refused by the exponent check."""
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    assert "an exponent of at most 2000 in absolute value" in readme
    assert MAX_EXPONENT == 2000
    for text in ("0e2000", "0e-2000", "-0.0E+2000", "0e+2_000"):
        assert parse_number(text, "x") == 0, text
    with pytest.raises(BadInput, match="out of range"):      # read, then refused by its magnitude
        parse_number("1e2000", "x")
    for text in ("0e2001", "0e-2001"):
        with pytest.raises(BadInput, match="exponent"):
            parse_number(text, "x")
