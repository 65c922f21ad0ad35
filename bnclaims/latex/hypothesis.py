r"""Hypotheses typeset: the ASCII notation of a claim's hypotheses (``sigma^2 + eps > 0``) as LaTeX.

Hypotheses are written for the terminal in plain ASCII: Greek letters by name, ``^`` and ``_`` for
super- and subscripts, ``>=``, ``<=``, ``!=`` for relations, ``W*`` for an optimum and ``<a, b>`` for
an inner product. :func:`hypothesis_tex` turns exactly these into inline math and escapes everything
else, so the document shows ``$\sigma^{2}$`` where the terminal shows ``sigma^2`` and never prints a
literal caret or underscore. Text already inside ``$...$`` is kept as it is.
"""
from __future__ import annotations

import re

from bnclaims.latex.text import escape, escape_prose

_GREEK = {"alpha": r"\alpha", "beta": r"\beta", "gamma": r"\gamma", "eps": r"\varepsilon",
          "epsilon": r"\varepsilon", "kappa": r"\kappa", "lambda": r"\lambda", "mu": r"\mu", "sigma": r"\sigma",
          "tau": r"\tau", "theta": r"\theta", "phi": r"\varphi", "sum": r"\sum", "zbar": r"\bar{z}"}
_RELATIONS = {">=": r"\geq", "<=": r"\leq", "!=": r"\neq", "~": r"\sim"}


def _scripts(tag: str) -> str:
    return rf"(?:_(?P<{tag}sub>[A-Za-z0-9]+))?(?:\^(?P<{tag}sup>[A-Za-z0-9]+))?"


#: One token of notation: a named symbol, a capital with a star or index (``W*``, ``W0``), any name
#: followed by a script (``x^T``, ``W_l``), a relation, or a bare script after a bracket (``)^2``).
_TOKEN = re.compile(
    rf"(?<![A-Za-z])(?P<greek>{'|'.join(sorted(_GREEK, key=len, reverse=True))}){_scripts('g')}(?![A-Za-z])"
    rf"|(?<![A-Za-z])(?P<cap>[A-Z])(?P<index>\*|[0-9])(?![A-Za-z0-9])"
    rf"|(?<![A-Za-z])(?P<name>[A-Za-z])(?=[_^]){_scripts('n')}(?![A-Za-z0-9])"
    r"|(?P<rel>>=|<=|!=|~)"
    r"|(?<=[)\]])\^(?P<bare>[A-Za-z0-9]+)")
_INNER = re.compile(r"<(?P<a>[^<>,]+),\s*(?P<b>[^<>,]+)>")


def _script(sub: str | None, sup: str | None) -> str:
    out = f"_{{{sub}}}" if sub else ""
    if sup:
        out += "^{\\top}" if sup == "T" else f"^{{{sup}}}"
    return out


def _math(m: re.Match) -> str | None:
    """The LaTeX of one token, or None where it is a word after all (``sum`` without an index)."""
    if m["greek"] == "sum" and not m["gsub"]:
        return None
    if m["greek"]:
        return _GREEK[m["greek"]] + _script(m["gsub"], m["gsup"])
    if m["cap"]:
        return m["cap"] + ("^{*}" if m["index"] == "*" else f"_{{{m['index']}}}")
    if m["name"]:
        return m["name"] + _script(m["nsub"], m["nsup"])
    if m["rel"]:
        return _RELATIONS[m["rel"]]
    return f"^{{{m['bare']}}}"


def _plain(text: str) -> str:
    """Text without ``$``: every notation token as inline math, the rest escaped."""
    out, last = [], 0
    for m in _TOKEN.finditer(text):
        tex = _math(m)
        out += [escape(text[last:m.start()]), escape(m[0]) if tex is None else f"${tex}$"]
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def hypothesis_tex(text: str) -> str:
    r"""One hypothesis as LaTeX: ``eps >= 0, sigma^2 + eps > 0`` -> ``$\varepsilon$ $\geq$ 0, ...``."""
    if "$" in text:
        return escape_prose(text)
    text = _INNER.sub(lambda m: f"\x00{m['a']}\x01{m['b']}\x02", text)
    tex = _plain(text).replace("\x00", r"$\langle$").replace("\x01", ", ").replace("\x02", r"$\rangle$")
    return tex.replace("$$", " ")  # adjacent formulas are one formula
