"""Mathematics for the report, pre-rendered to MathML: no script, no CDN, no network.

Why MathML from ``latex2mathml`` (pure Python, a dependency) rather than KaTeX: the page must open
offline and stay one self-contained file; MathML Core is rendered natively by Chromium (since 109),
Firefox and Safari, so the page carries no JavaScript or fonts for its mathematics, and the output is
a pure function of the LaTeX (byte-stable). A formula latex2mathml cannot read is shown as LaTeX
source in ``<code>`` rather than dropped.

Counterexample values (exact rationals and radicals written as strings by the checks, such as
``"8/153"`` or ``"3*sqrt(2)/2"``; lists as row vectors, lists of lists as matrices) are typeset
through sympy. Only strings made of numbers, arithmetic, one-letter variables and the names in
:data:`_NAMES` are parsed (a ledger is data, never code); long floats are shown to 12 significant
digits (the evidence block keeps every digit).
"""
from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["latex_to_mathml", "value_latex", "name_latex"]

_NAMES = {"sqrt", "pi", "E", "I", "oo", "e"}
_EXPR = re.compile(r"^[0-9A-Za-z_.+\-*/() ]+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_GREEK = {"gamma": r"\gamma", "beta": r"\beta", "eps": r"\varepsilon", "epsilon": r"\varepsilon", "mu": r"\mu",
          "sigma": r"\sigma", "sigma2": r"\sigma^2", "lambda": r"\lambda", "lam": r"\lambda", "alpha": r"\alpha",
          "lhs": r"\mathrm{LHS}", "rhs": r"\mathrm{RHS}", "W0": "W_0", "W_star": "W^*", "u_star": "u^*",
          "Wstar": "W^*", "eta": r"\eta", "kappa": r"\kappa", "rho": r"\rho", "tau": r"\tau", "theta": r"\theta"}


def latex_to_mathml(tex: str, display: bool = True) -> str:
    """``<math>`` markup for a LaTeX formula (block or inline); LaTeX source in ``<code>`` if unreadable."""
    from latex2mathml.converter import convert

    try:
        return convert(tex, display="block" if display else "inline")
    except Exception:  # an unsupported macro: show the source rather than lose the statement
        return f'<code class="tex">{html.escape(tex)}</code>'


def name_latex(key: str) -> str:
    """LaTeX for an evidence key: Greek names as symbols, one letter in italics, other names upright."""
    if key in _GREEK:
        return _GREEK[key]
    if re.fullmatch(r"[A-Za-z]", key):
        return key
    if m := re.fullmatch(r"([A-Za-z])_?(\d+)", key):
        return f"{m.group(1)}_{{{m.group(2)}}}"
    return r"\mathrm{" + re.sub(r"([_%&#$])", r"\\\1", key) + "}"


def _number_latex(text: str) -> str | None:
    """LaTeX for one number or exact expression given as a string; None if it is not one."""
    import sympy as sp

    text = text.strip()
    if _FLOAT.match(text) and ("." in text or "e" in text.lower()):
        x = float(text)
        return sp.latex(sp.Float(x, 12)) if x == x else None
    names = set(re.findall(r"[A-Za-z_]+", text))
    letters = {n for n in names if re.fullmatch(r"[a-z]", n) and n != "e"}
    if not _EXPR.match(text) or not names <= _NAMES | letters or len(text) > 400:
        return None
    if text.count("**") > 1 or any(len(d) > 3 for d in re.findall(r"\*\*\s*\(?\s*-?(\d+)", text)):
        return None  # no towers of powers: parsing must stay cheap whatever the file says
    try:
        expr = sp.sympify(text, rational=True, locals={n: sp.Symbol(n) for n in letters})
    except (sp.SympifyError, SyntaxError, TypeError, ZeroDivisionError):
        return None
    return sp.latex(expr) if isinstance(expr, sp.Expr) else None


def value_latex(value: Any) -> str | None:
    """LaTeX for a counterexample value (a number, an exact string, or a flat list of them as a row
    vector); None when the value is not mathematics (text, nested data)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_latex(repr(value))
    if isinstance(value, str):
        return _number_latex(value)
    if isinstance(value, list) and value and all(not isinstance(v, (list, dict)) for v in value):
        parts = [value_latex(v) for v in value]
        if all(p is not None for p in parts):
            return r"\left(" + ",\\ ".join(parts) + r"\right)"
    if isinstance(value, list) and value and all(isinstance(r, list) and len(r) == len(value[0]) > 0 for r in value):
        rows = [[value_latex(v) if not isinstance(v, (list, dict)) else None for v in r] for r in value]
        if all(v is not None for r in rows for v in r):
            return r"\begin{pmatrix}" + r"\\".join(" & ".join(r) for r in rows) + r"\end{pmatrix}"
    return None
