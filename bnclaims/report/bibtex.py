"""References for the report: ``bnclaims/references.bib`` read into short and full citations.

A deliberately small BibTeX reader (entries ``@type{key, field = {value} | "value" | 2019, ...}`` with
nested braces), enough for the project's own bibliography; a key it does not know is cited as itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Reference", "parse_bibtex", "reference", "references"]

BIB_FILE = Path(__file__).resolve().parents[1] / "references.bib"
_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,")


@dataclass(frozen=True)
class Reference:
    """One bibliography entry: ``short`` ("Santurkar et al. (2018)") and ``full`` (authors, title, venue, year)."""

    key: str
    short: str
    full: str
    year: str = ""


def _value(text: str, i: int) -> tuple[str, int]:
    """The field value starting at text[i] (braces, quotes or a bare word) and the index after it."""
    if text[i] == "{":
        depth, j = 0, i
        while j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                return text[i + 1:j], j + 1
            j += 1
        raise ValueError("unbalanced braces")
    if text[i] == '"':
        j = text.index('"', i + 1)
        return text[i + 1:j], j + 1
    m = re.match(r"[^,}\s]+", text[i:])
    return (m.group(0), i + m.end()) if m else ("", i)


def parse_bibtex(text: str) -> dict[str, dict[str, str]]:
    """``{key: {"type": ..., field: value}}`` for every entry of ``text`` (braces removed from values)."""
    entries: dict[str, dict[str, str]] = {}
    for m in _ENTRY.finditer(text):
        fields = {"type": m.group(1).lower()}
        i = m.end()
        while True:
            f = re.compile(r"\s*(\w+)\s*=\s*").match(text, i)
            if not f:
                break
            value, i = _value(text, f.end())
            fields[f.group(1).lower()] = re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()
            i = re.compile(r"\s*,?").match(text, i).end()
        entries[m.group(2)] = fields
    return entries


def _surnames(authors: str) -> list[str]:
    return [a.split(",")[0].strip() if "," in a else a.split()[-1] for a in authors.split(" and ") if a.strip()]


def _names(authors: str) -> str:
    people = [(" ".join(reversed([p.strip() for p in a.split(",", 1)])) if "," in a else a.strip())
              for a in authors.split(" and ") if a.strip()]
    return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1]


def _format(key: str, f: dict[str, str]) -> Reference:
    year = f.get("year", "")
    who = f.get("author") or f.get("organization") or ""
    if f.get("author"):
        s = _surnames(who)
        short = s[0] if len(s) == 1 else f"{s[0]} and {s[1]}" if len(s) == 2 else f"{s[0]} et al."
    else:
        short = who or f.get("title", key)
    short += f" ({year})" if year else ""
    parts = [_names(who) if f.get("author") else who, f.get("title", key), f.get("booktitle") or f.get("journal", ""),
             year, f.get("note", "")]
    full = " ".join(p if p[-1] in ".?!" else p + "." for p in parts if p)
    return Reference(key, short, full, year)


@lru_cache(maxsize=1)
def references() -> dict[str, Reference]:
    """Every entry of the project's ``references.bib``, by key."""
    return {k: _format(k, f) for k, f in parse_bibtex(BIB_FILE.read_text(encoding="utf-8")).items()}


def reference(key: str) -> Reference:
    """The reference of a BibTeX key; a key not in ``references.bib`` (a user's claim) cites itself."""
    return references().get(key) or Reference(key, key, key)


def cite_short(text: str) -> str:
    """``text`` with every key of ``references.bib`` in it replaced by its short citation
    ("refuted by junike2025batch" -> "refuted by Junike and Dannemann (2025)")."""
    refs = references()
    if not refs:
        return text
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, sorted(refs, key=len, reverse=True))) + r")(?!\w)")
    return pattern.sub(lambda m: refs[m.group(1)].short, text)
