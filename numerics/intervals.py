"""Certified re-verification of refutations with interval arithmetic (``mpmath.iv``).

A refutation found in floating or multiprecision arithmetic is only accepted after the
violated relation is re-evaluated at the same exact rational inputs in interval arithmetic
and the resulting enclosure lies strictly on the violating side. A float accident cannot
survive this: if rounding produced the violation, the interval straddles the boundary.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

import mpmath
from mpmath import iv


@dataclass(frozen=True)
class Certificate:
    """An enclosure [lo, hi] of a quantity and whether it certifies the claimed sign."""

    lo: str
    hi: str
    certified: bool
    prec_bits: int

    def as_dict(self) -> dict:
        return {"interval": [self.lo, self.hi], "certified": self.certified, "prec_bits": self.prec_bits}


def endpoints(val) -> tuple:
    """The lower and upper endpoints of an ``iv.mpf`` as ``mp.mpf`` numbers (exact)."""
    lo, hi = val._mpi_
    return mpmath.mp.make_mpf(lo), mpmath.mp.make_mpf(hi)


def iv_of(x: Fraction | int) -> object:
    """A tight enclosure of an exact rational."""
    x = Fraction(x)
    return iv.mpf(x.numerator) / x.denominator


def enclose(fn: Callable[..., object], args: Sequence, *, dps: int = 60) -> tuple:
    """Evaluate ``fn(iv, *args)`` with every rational argument (or list of them) enclosed."""
    def conv(a):
        if isinstance(a, (list, tuple)):
            return [conv(b) for b in a]
        if isinstance(a, (Fraction, int)):
            return iv_of(a)
        return a

    old = iv.dps
    iv.dps = dps
    try:
        val = fn(iv, *[conv(a) for a in args])
        return val, iv.prec
    finally:
        iv.dps = old


def certify_positive(fn: Callable[..., object], args: Sequence, *, dps: int = 60) -> Certificate:
    """Certify ``fn(iv, *args) > 0``: the whole enclosure lies above zero."""
    val, prec = enclose(fn, args, dps=dps)
    lo, hi = endpoints(val)
    return Certificate(lo=mpmath.nstr(lo, 20), hi=mpmath.nstr(hi, 20), certified=bool(lo > 0),
                       prec_bits=prec)


def certify_nonzero(fn: Callable[..., object], args: Sequence, *, dps: int = 60) -> Certificate:
    """Certify ``fn(iv, *args) != 0``: the enclosure excludes zero."""
    val, prec = enclose(fn, args, dps=dps)
    lo, hi = endpoints(val)
    return Certificate(lo=mpmath.nstr(lo, 20), hi=mpmath.nstr(hi, 20),
                       certified=bool(lo > 0 or hi < 0), prec_bits=prec)
