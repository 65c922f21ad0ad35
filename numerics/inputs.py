"""Validation of user-supplied BN data: the only door through which outside numbers come in.

Every violation raises :class:`bnclaims.errors.BadInput` with a one-line message; nothing
downstream ever sees a NaN, an infinity, a batch of one or a negative eps.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Iterable, Sequence

import mpmath

from bnclaims.errors import BadInput

#: Longest text of one user number, in characters; a longer one is refused before it is read.
MAX_NUMBER_CHARS = 1000
#: Largest |exponent| written after ``e`` in a user number (``1e99999999`` would build a 10^8-digit
#: integer before any other check could run).
MAX_EXPONENT = 2000
#: A nonzero user number must lie between 10^-MAX_DECADES and 10^MAX_DECADES in magnitude.
MAX_DECADES = 1000
#: Most values in one user batch (``--batch``): the exact checks on a batch cost O(m^3)
#: multiprecision operations (about 15 s at m = 64 on one core, 90 s at m = 128).
MAX_BATCH = 64
#: Most extra digits the conditioning of a user batch may demand (``2 log10(1 + max|y|/s)``);
#: beyond it the working precision, and the time, grow without bound.
MAX_CONDITIONING_DIGITS = 400

_EXPONENT = re.compile(r"[eE]([-+]?[0-9_]+)$")


def _shown(s: str) -> str:
    """The user's text for a one-line message: quoted, cut to 40 characters."""
    return repr(s) if len(s) <= 40 else f"{s[:20]!r}... ({len(s)} characters)"


def _decades(q: Fraction) -> float:
    """log10 |q| for a nonzero rational of any size (no float overflow)."""
    return math.log10(abs(q.numerator)) - math.log10(q.denominator)


def parse_number(text: str | float | int | Fraction, what: str) -> Fraction:
    """An exact rational from a decimal string, int, float or Fraction; rejects NaN and inf.

    A string may have at most :data:`MAX_NUMBER_CHARS` characters and an exponent of at most
    :data:`MAX_EXPONENT`, and a nonzero value must lie within 10^-MAX_DECADES .. 10^MAX_DECADES
    in magnitude: the exponent is bounded before the rational is built.
    """
    if isinstance(text, Fraction):
        return text
    if isinstance(text, float):
        if not math.isfinite(text):
            raise BadInput(f"{what} must be finite, got {text!r}")
        return Fraction(text)
    if isinstance(text, int):
        return _in_range(Fraction(text), str(text), what)
    s = str(text).strip()
    if len(s) > MAX_NUMBER_CHARS:
        raise BadInput(f"{what}: {_shown(s)} is too long (at most {MAX_NUMBER_CHARS} characters per number)")
    if s.lower() in {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity"}:
        raise BadInput(f"{what} must be a finite number, got {s!r}")
    exp = _EXPONENT.search(s)
    if exp is not None and s[:exp.start()].strip("+-0123456789._") == "":
        try:
            e = int(exp.group(1))
        except ValueError:
            raise BadInput(f"{what}: cannot read {_shown(s)} as a number") from None
        if abs(e) > MAX_EXPONENT:
            raise BadInput(f"{what}: the exponent of {_shown(s)} is out of range (at most {MAX_EXPONENT} "
                           "in absolute value)")
    try:
        value = Fraction(s)
    except (ValueError, ZeroDivisionError):
        raise BadInput(f"{what}: cannot read {_shown(s)} as a number") from None
    return _in_range(value, s, what)


def _in_range(value: Fraction, s: str, what: str) -> Fraction:
    if value != 0 and abs(_decades(value)) > MAX_DECADES:
        raise BadInput(f"{what}: {_shown(s)} is out of range (a nonzero number must lie between "
                       f"1e-{MAX_DECADES} and 1e+{MAX_DECADES} in magnitude)")
    return value


def parse_vector(text: str | Sequence, what: str, *, max_size: int | None = None) -> list[Fraction]:
    """A comma-separated list (or a sequence) of finite numbers, as exact rationals; at most ``max_size``."""
    items: Iterable = text.split(",") if isinstance(text, str) else text
    if max_size is not None:
        items = list(items)
        if len(items) > max_size:
            raise BadInput(f"{what} has {len(items)} values; at most {max_size} are accepted (the exact checks "
                           f"cost O(m^3) operations at 60+ digits)")
    values = [parse_number(v, f"{what}[{i}]") for i, v in enumerate(items)]
    if not values:
        raise BadInput(f"{what} is empty")
    return values


def validate_batch(batch: str | Sequence, eps: str | float | Fraction = 0,
                   *, min_size: int = 2, max_size: int | None = MAX_BATCH) -> tuple[list[Fraction], Fraction]:
    """Check a batch for BN: finite, ``min_size`` to ``max_size`` values, eps >= 0, sigma^2 + eps > 0,
    and conditioned well enough (:func:`conditioning_digits` at most :data:`MAX_CONDITIONING_DIGITS`).

    Returns the batch and eps as exact rationals. BN normalizes by sqrt(sigma^2 + eps), so a
    constant batch with eps = 0 is rejected (division by zero), as is a batch of size one
    (its variance is 0 and every normalized value is 0/0).
    """
    y = parse_vector(batch, "batch", max_size=max_size)
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
    digits = conditioning_digits(y, e)
    if digits > MAX_CONDITIONING_DIGITS:
        raise BadInput(f"the batch is too ill-conditioned: max|y|/sqrt(sigma^2 + eps) is about 1e{digits // 2}, "
                       f"which would need {digits} extra digits (at most {MAX_CONDITIONING_DIGITS})")
    return y, e


def conditioning_digits(y: Sequence[Fraction], eps: Fraction) -> int:
    """Extra digits a batch costs: ``2 log10(1 + max|y|/s)``, s = sqrt(sigma^2 + eps), computed exactly.

    Centring a mean of 1e40 over a spread of 1 loses 40 digits, and its derivative again; no
    float ever holds a value of the batch, so 1e308 or 1e-300 cannot overflow or underflow.
    """
    mu = sum(y, Fraction(0)) / len(y)
    s2 = sum(((v - mu) ** 2 for v in y), Fraction(0)) / len(y) + Fraction(eps)
    r2 = max(v * v for v in y) / s2           # (1 + r)^2 <= 2 (1 + r^2)
    return max(0, math.ceil(math.log10(2) + _decades(1 + r2)))


def default_upstream(y: Sequence[Fraction]) -> list[Fraction]:
    """The upstream gradient ``g`` used when a user gives none: the first unit vector ``e_k`` with
    ``y_k != mean`` that lies outside span{1, yhat} (one exists for every non-constant batch with
    m >= 3; otherwise ``e_1``). Inside that span the BN gradient ``J^T g`` vanishes at eps = 0 and
    every gradient check would hold for any formula; ``<g, yhat> != 0`` keeps the yhat term alive.
    """
    y = [Fraction(v) for v in y]
    m = len(y)
    mu = sum(y, Fraction(0)) / m
    d = [v - mu for v in y]
    for k in range(m):
        v = [Fraction(int(i == k)) - Fraction(1, m) for i in range(m)]   # e_k minus its mean
        parallel = all(v[i] * d[j] == v[j] * d[i] for i in range(m) for j in range(i + 1, m))
        if d[k] != 0 and not parallel:
            return [Fraction(int(i == k)) for i in range(m)]
    return [Fraction(int(i == 0)) for i in range(m)]


def to_mp(values: Sequence[Fraction], M=mpmath.mp) -> list:
    """Exact rationals to context numbers (``mpmath.mp`` or ``mpmath.iv`` enclosures)."""
    return [M.mpf(v.numerator) / v.denominator for v in values]
