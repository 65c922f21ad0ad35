r"""ASCII notation typeset: ``sigma^2 + eps > 0`` in a claim's hypotheses, twin or scope as LaTeX.

Hypotheses, twin descriptions and scopes are written for the terminal in plain ASCII: Greek letters by
name, ``^`` and ``_`` for super- and subscripts (``x^T``, ``W_l``, ``H^(1/2)``, ``chi^2_{B-1}``),
``>=``, ``<=``, ``!=`` and ``~`` for relations, ``W*`` for an optimum, ``W0`` for an index and
``<a, b>`` for an inner product. :func:`notation_tex` turns exactly these into inline math and escapes
everything else, so the document shows :math:`\sigma^2` where the terminal shows ``sigma^2`` and never
prints a literal caret. Identifiers such as ``bn_algebra`` stay text, and every other character is
escaped (``$`` and ``\\`` included), so text from a user's claim file is shown, never executed.
"""
from __future__ import annotations

import re

from bnclaims.latex.text import escape

_GREEK = {"alpha": r"\alpha", "beta": r"\beta", "gamma": r"\gamma", "eps": r"\varepsilon",
          "epsilon": r"\varepsilon", "kappa": r"\kappa", "lambda": r"\lambda", "mu": r"\mu", "sigma": r"\sigma",
          "tau": r"\tau", "theta": r"\theta", "phi": r"\varphi", "chi": r"\chi", "sum": r"\sum", "zbar": r"\bar{z}"}
_RELATIONS = {">=": r"\geq", "<=": r"\leq", "!=": r"\neq", "~": r"\sim"}
#: One sub- or superscript: a word, or a group in parentheses or braces of simple characters.
_ONE = r"[_^](?:[A-Za-z0-9]+|\([A-Za-z0-9+\-/*., ]*\)|\{[A-Za-z0-9+\-/*., ]*\})"
_PART = re.compile(r"([_^])(?:([A-Za-z0-9]+)|\(([^()]*)\)|\{([^{}]*)\})")
#: One token of notation: a named symbol with its scripts, a capital with a star or index (``W*``,
#: ``W0``), a single letter with scripts (``x^T``, ``W_l``), a relation, or a caret after anything else
#: (``||W||^2``, ``dsigma^2``); the underscore of a longer identifier (``bn_algebra``) stays text.
_TOKEN = re.compile(
    rf"(?<![A-Za-z])(?P<greek>{'|'.join(sorted(_GREEK, key=len, reverse=True))})(?P<gs>(?:{_ONE}){{0,2}})(?![A-Za-z])"
    rf"|(?<![A-Za-z])(?P<cap>[A-Z])(?P<index>\*|[0-9])(?![A-Za-z0-9])"
    rf"|(?<![A-Za-z])(?P<name>[A-Za-z])(?P<ns>(?:{_ONE}){{1,2}})(?![A-Za-z0-9])"
    r"|(?P<rel>>=|<=|!=|~)"
    rf"|(?<=[A-Za-z0-9)\]|'*])(?P<bare>\^(?:[A-Za-z0-9]+|\([A-Za-z0-9+\-/*., ]*\)|\{{[A-Za-z0-9+\-/*., ]*\}}))")
_INNER = re.compile(r"<(?P<a>[^<>,]+),\s*(?P<b>[^<>,]+)>")


def _scripts(text: str) -> str:
    out = ""
    for op, word, paren, brace in _PART.findall(text):
        body = word or paren or brace
        out += op + ("{\\top}" if op == "^" and body == "T" else "{" + body + "}")
    return out


def _math(m: re.Match) -> str | None:
    """The LaTeX of one token, or None where it is a word after all (``sum`` without an index)."""
    if m["greek"] == "sum" and not m["gs"]:
        return None
    if m["greek"]:
        return _GREEK[m["greek"]] + _scripts(m["gs"])
    if m["cap"]:
        return m["cap"] + ("^{*}" if m["index"] == "*" else f"_{{{m['index']}}}")
    if m["name"]:
        return m["name"] + _scripts(m["ns"])
    if m["rel"]:
        return _RELATIONS[m["rel"]]
    return _scripts(m["bare"])


def _plain(text: str) -> str:
    """Text without ``$``: every notation token as inline math, the rest escaped."""
    out, last = [], 0
    for m in _TOKEN.finditer(text):
        tex = _math(m)
        out += [escape(text[last:m.start()]), escape(m[0]) if tex is None else f"${tex}$"]
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def notation_tex(text: str) -> str:
    r"""ASCII notation as LaTeX: ``eps >= 0, sigma^2 + eps > 0`` -> ``$\varepsilon$ $\geq$ 0, ...``."""
    text = _INNER.sub(lambda m: f"\x00{m['a']}\x01{m['b']}\x02", text)
    tex = _plain(text).replace("\x00", r"$\langle$").replace("\x01", ", ").replace("\x02", r"$\rangle$")
    return tex.replace("$$", " ")  # adjacent formulas are one formula
