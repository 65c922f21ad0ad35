"""Validation of user-supplied BN data: the only door through which outside numbers come in.

Every violation raises :class:`bnclaims.errors.BadInput` with a one-line message; nothing
downstream ever sees a NaN, an infinity, a batch of one or a negative eps.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterable, Sequence

import mpmath

from bnclaims.errors import BadInput


def parse_number(text: str | float | int | Fraction, what: str) -> Fraction:
    """An exact rational from a decimal string, int, float or Fraction; rejects NaN and inf."""
    if isinstance(text, Fraction):
        return text
    if isinstance(text, float):
        if not math.isfinite(text):
            raise BadInput(f"{what} must be finite, got {text!r}")
        return Fraction(text)
    if isinstance(text, int):
        return Fraction(text)
    s = str(text).strip()
    if s.lower() in {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity"}:
        raise BadInput(f"{what} must be a finite number, got {s!r}")
    try:
        return Fraction(s)
    except (ValueError, ZeroDivisionError):
        raise BadInput(f"{what}: cannot read {s!r} as a number") from None


def parse_vector(text: str | Sequence, what: str) -> list[Fraction]:
    """A comma-separated list (or a sequence) of finite numbers, as exact rationals."""
    items: Iterable = text.split(",") if isinstance(text, str) else text
    values = [parse_number(v, f"{what}[{i}]") for i, v in enumerate(items)]
    if not values:
        raise BadInput(f"{what} is empty")
    return values


def validate_batch(batch: str | Sequence, eps: str | float | Fraction = 0,
                   *, min_size: int = 2) -> tuple[list[Fraction], Fraction]:
    """Check a batch for BN: finite, at least ``min_size`` values, eps >= 0, sigma^2 + eps > 0.

    Returns the batch and eps as exact rationals. BN normalizes by sqrt(sigma^2 + eps), so a
    constant batch with eps = 0 is rejected (division by zero), as is a batch of size one
    (its variance is 0 and every normalized value is 0/0).
    """
    y = parse_vector(batch, "batch")
    e = parse_number(eps, "eps")
    if len(y) < min_size:
        raise BadInput(f"batch size {len(y)} is too small: BN needs at least {min_size} values "
                       "per channel (a batch of one has zero variance)")
    if e < 0:
        raise BadInput(f"eps must be >= 0, got {e}")
    mu = sum(y) / len(y)
    var = sum((v - mu) ** 2 for v in y) / len(y)
    if var + e == 0:
        raise BadInput("the batch is constant and eps = 0, so sigma^2 + eps = 0 and BN divides by zero")
    return y, e


def to_mp(values: Sequence[Fraction], M=mpmath.mp) -> list:
    """Exact rationals to context numbers (``mpmath.mp`` or ``mpmath.iv`` enclosures)."""
    return [M.mpf(v.numerator) / v.denominator for v in values]
