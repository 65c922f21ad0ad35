r"""Counterexamples typeset with sympy: ``name = value`` in inline math, long decimals truncated.

Evidence stores values as JSON (integers, strings such as ``"3*sqrt(2)/2"``, lists, nested dicts).
Each value is parsed with sympy and printed with :func:`sympy.latex`; a decimal with more than
:data:`SHOWN_DIGITS` significant digits is truncated with ``\dots`` and its stored precision stated,
so the document never carries 60-digit strings. Text that sympy cannot parse is printed as text.
"""
from __future__ import annotations

import re
from typing import Any

from bnclaims.latex.text import escape

#: Significant digits shown of a long decimal (the rest is cut and replaced by ``\dots``).
SHOWN_DIGITS = 8
_DECIMAL = re.compile(r"^(-?)(\d+)\.(\d+)$")
_SIMPLE_NAME = re.compile(r"^([A-Za-z]|alpha|beta|gamma|delta|epsilon|eps|kappa|lambda|mu|phi|pi|rho|sigma|"
                          r"tau|theta)(_[A-Za-z0-9]{1,4})?$")


def _truncate(text: str) -> tuple[str, int] | None:
    r"""A long decimal string cut to :data:`SHOWN_DIGITS` significant digits plus ``\dots``, and its
    number of significant digits; ``None`` when the string is not a long decimal."""
    m = _DECIMAL.match(text.strip())
    if m is None:
        return None
    sign, whole, frac = m.groups()
    digits = (whole + frac).lstrip("0")
    if len(digits) <= SHOWN_DIGITS:
        return None
    lead = len(whole.lstrip("0"))  # significant digits before the point
    keep = max(SHOWN_DIGITS - lead, 0) if lead else len(frac) - len(frac.lstrip("0")) + SHOWN_DIGITS
    return f"{sign}{whole}.{frac[:keep]}\\dots", len(digits)


def name_tex(name: str) -> str:
    """A counterexample key: a symbol when it reads as one (``gamma``, ``E_x``), else upright text."""
    import sympy as sp

    if _SIMPLE_NAME.match(name):
        return sp.latex(sp.Symbol("epsilon" if name == "eps" else name))
    return r"\mathtt{" + escape(name).replace("-", "{-}") + "}"


def value_tex(value: Any, digits: list[int]) -> str:
    """One value as math; appends the precision of every truncated decimal to ``digits``."""
    import sympy as sp

    if isinstance(value, bool) or value is None:
        return r"\text{" + str(value).lower() + "}"
    if isinstance(value, (int, float)):
        value = repr(value)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (list, tuple)) for v in value):
            rows = [" & ".join(value_tex(v, digits) for v in row) for row in value]
            return r"\left(\begin{smallmatrix}" + r" \\ ".join(rows) + r"\end{smallmatrix}\right)"
        return r"\left(" + ",\\, ".join(value_tex(v, digits) for v in value) + r"\right)"
    if isinstance(value, dict):
        return r"\{" + ",\\ ".join(f"{name_tex(k)}={value_tex(v, digits)}" for k, v in value.items()) + r"\}"
    text = str(value)
    cut = _truncate(text)
    if cut is not None:
        digits.append(cut[1])
        return cut[0]
    try:
        expr = sp.sympify(text, rational=True)
    except Exception:  # sympify raises several types on prose ("uniform on {-1, 1}")
        return r"\text{" + escape(text) + "}"
    return sp.latex(expr)


def counterexample_tex(cx: dict[str, Any] | Any) -> str:
    """A paragraph: the counterexample's values as inline math, separated by commas."""
    digits: list[int] = []
    if isinstance(cx, dict):
        items = [f"${name_tex(str(k))} = {value_tex(v, digits)}$" for k, v in cx.items()]
    else:
        items = [f"${value_tex(cx, digits)}$"]
    text = ", ".join(items) + "."
    if digits:
        text += (f" Decimals are cut to {SHOWN_DIGITS} significant digits (stored with {max(digits)}; "
                 "the JSON ledger holds every digit).")
    return text
