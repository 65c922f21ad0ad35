"""Hypothesis strategies for BN test data: the hard cases, on purpose.

:func:`bn_cases` draws a :class:`BNCase`: batch size 2..max_m, eps in {0, 1e-5, 1}, gamma of
either sign (|gamma| in [1/8, 8]), beta in [-4, 4], and a batch *flavour*: generic, near-constant (c + 1e-20 noise), huge scale
(1e30), tiny scale (1e-30), large mean (1e8 + noise). Small batches are drawn value by value
(so they shrink to readable counterexamples); large ones from a drawn seed (fast).
All numbers are exact binary floats, converted to mpmath without rounding.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from hypothesis import strategies as st

EPS_VALUES = (Fraction(0), Fraction(1, 10**5), Fraction(1))
FLAVOURS = ("generic", "near_constant", "huge", "tiny", "large_mean")
_SCALE = {"generic": 1.0, "near_constant": 1e-20, "huge": 1e30, "tiny": 1e-30, "large_mean": 1.0}
_OFFSET = {"generic": 0.0, "near_constant": 3.0, "huge": 0.0, "tiny": 0.0, "large_mean": 1e8}


@dataclass(frozen=True)
class BNCase:
    """One BN unit's data: batch y, upstream gradient g (dL/dz), gamma, beta, eps (exact)."""

    y: tuple[Fraction, ...]
    g: tuple[Fraction, ...]
    gamma: Fraction
    beta: Fraction
    eps: Fraction
    flavour: str

    @property
    def m(self) -> int:
        return len(self.y)

    def describe(self) -> dict:
        """JSON-friendly form (strings keep the values exact)."""
        return {"m": self.m, "flavour": self.flavour, "eps": str(self.eps), "gamma": str(self.gamma),
                "beta": str(self.beta), "y": [str(v) for v in self.y], "g": [str(v) for v in self.g]}


def _nonconstant(y: list[float]) -> bool:
    return len(set(y)) > 1


@st.composite
def bn_cases(draw, min_m: int = 2, max_m: int = 300, eps_values=EPS_VALUES,
             flavours=FLAVOURS, small_m: int = 8) -> BNCase:
    """A BN case; batches are never constant, so sigma > 0 and eps = 0 is allowed."""
    m = draw(st.integers(min_m, max_m))
    eps = draw(st.sampled_from(eps_values))
    flavour = draw(st.sampled_from(flavours))
    gamma = Fraction(draw(st.sampled_from([1, -1, 2, -3]))) * Fraction(
        draw(st.floats(0.125, 8.0, allow_nan=False, allow_infinity=False)))
    beta = Fraction(draw(st.floats(-4, 4, allow_nan=False, allow_infinity=False)))
    if m <= small_m:
        base = draw(st.lists(st.integers(-8, 8), min_size=m, max_size=m).filter(_nonconstant))
        up = draw(st.lists(st.integers(-8, 8), min_size=m, max_size=m))
        y = [float(v) for v in base]
        g = [float(v) for v in up]
    else:
        rng = random.Random(draw(st.integers(0, 2**32 - 1)))
        y = [rng.gauss(0, 1) for _ in range(m)]
        g = [rng.gauss(0, 1) for _ in range(m)]
    scale, offset = _SCALE[flavour], _OFFSET[flavour]
    yy = tuple(Fraction(offset) + Fraction(scale) * Fraction(v) for v in y)
    return BNCase(y=yy, g=tuple(Fraction(v) for v in g), gamma=gamma, beta=beta, eps=eps,
                  flavour=flavour)
