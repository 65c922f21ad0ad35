"""Exact values and zero tests for the algebraic numbers the theory checks meet (rationals and radicals).

``sympy.nsimplify`` on a number is not exact: it evaluates to about 30 digits and looks for a simple
closed form within a tolerance (PSLQ / ``mpmath.identify``). ``nsimplify(1/3 + 10**-18)`` is ``1/3``, and
at y = (1, -3, 1, 3), g = (0, 0, 1, 1) the squared BN gradient came back 8.5e-21 away from its value.
Here a shorter nsimplify form is used only when sympy proves it equal, and a number is called zero only
when its minimal polynomial is x.
"""
from __future__ import annotations

import sympy as sp

__all__ = ["exact_number", "exact_nonzero"]

_X = sp.Symbol("x")
_DIGITS = 60  # numeric screen; a decision below 10**-(_DIGITS - 10) goes to the minimal polynomial


def _simplified(value: sp.Expr) -> sp.Expr:
    return sp.radsimp(sp.simplify(sp.sympify(value)))


def _numerically_nonzero(value: sp.Expr) -> bool:
    """|value| > 10**-50 at 60 digits (sympy's evalf tracks its error): certainly nonzero."""
    return abs(sp.N(value, _DIGITS)) > sp.Float(10) ** (-(_DIGITS - 10))


def _is_zero(value: sp.Expr) -> bool:
    """Exact: a rational is compared directly, an algebraic number by its minimal polynomial."""
    if value.is_Rational:
        return value == 0
    return sp.minimal_polynomial(value, _X) == _X


def exact_number(value: sp.Expr) -> sp.Expr:
    """``value`` simplified (``simplify`` then ``radsimp``), never approximated.

    nsimplify's shorter form replaces it only if it agrees to 60 digits and the difference is proved
    zero; otherwise the simplified exact form is returned as it is.
    """
    v = _simplified(value)
    if v.is_Rational or not v.is_number:
        return v
    cand = sp.nsimplify(v)
    if cand == v or sp.count_ops(cand) >= sp.count_ops(v):
        return v
    diff = _simplified(cand - v)
    return v if _numerically_nonzero(diff) or not _is_zero(diff) else cand


def exact_nonzero(value: sp.Expr) -> bool:
    """True when an algebraic number is certainly nonzero; False only when it is exactly zero.

    A value that evaluates (with sympy's error control) to more than 10**-50 in magnitude is nonzero;
    anything smaller is decided by its minimal polynomial.
    """
    v = _simplified(value)
    if v.is_Rational:
        return v != 0
    if not v.is_number:
        raise ValueError(f"exact_nonzero needs a number, got an expression in {sorted(map(str, v.free_symbols))}")
    return _numerically_nonzero(v) or not _is_zero(v)
