r"""The claims' sources from ``bnclaims/references.bib``, as a ``thebibliography`` environment.

A small BibTeX reader (entries ``@type{key, field = {value} or "value" or number}``) and a
printer in Python, so that the PDF needs no bibtex or biber run. Field values are printed as
plain text: protective braces are dropped and LaTeX specials escaped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bnclaims.latex.text import escape

BIB_PATH = Path(__file__).resolve().parent.parent / "references.bib"
_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", re.S)


@dataclass(frozen=True)
class Entry:
    """One bibliography entry: its type, key and fields (lower-case names, braces removed)."""

    kind: str
    key: str
    fields: dict[str, str]

    def authors(self) -> list[str]:
        """Authors as "First Last", from BibTeX's "Last, First and Last, First"."""
        raw = self.fields.get("author", "")
        out = []
        for name in (n.strip() for n in re.split(r"\s+and\s+", raw) if n.strip()):
            last, _, first = name.partition(",")
            out.append(f"{first.strip()} {last.strip()}".strip())
        return out

    def short(self) -> str:
        """A short name for tables and headings: "Santurkar et al. (2018)", "PyTorch", a title's start."""
        lasts = [a.split()[-1] for a in self.authors()]
        if lasts:
            who = lasts[0] if len(lasts) == 1 else (" and ".join(lasts) if len(lasts) == 2 else f"{lasts[0]} et al.")
        elif "organization" in self.fields:
            who = self.fields["organization"]
        else:
            title = re.split(r"\s\(|:|\?", self.fields.get("title", self.key))[0]
            who = " ".join(title.split()[:5])
        year = self.fields.get("year")
        return f"{who} ({year})" if year else who


def _value(text: str, i: int) -> tuple[str, int]:
    """The field value starting at ``text[i]`` (braced, quoted or bare) and the index after it."""
    if text[i] in "{\"":
        close = "}" if text[i] == "{" else "\""
        depth, j = 0, i
        while True:
            ch = text[j]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if (close == "}" and depth == 0) or (close == "\"" and j > i and ch == "\"" and depth == 0):
                return text[i + 1:j], j + 1
            j += 1
    m = re.match(r"[^,}\s]+", text[i:])
    return (m.group(0) if m else ""), i + (m.end() if m else 0)


def parse(text: str) -> dict[str, Entry]:
    """Entries of a ``.bib`` text by key, in file order."""
    entries: dict[str, Entry] = {}
    for m in _ENTRY.finditer(text):
        fields: dict[str, str] = {}
        i = m.end()
        while True:
            f = re.compile(r"\s*(\w+)\s*=\s*").match(text, i)
            if f is None:
                break
            value, i = _value(text, f.end())
            fields[f.group(1).lower()] = " ".join(value.replace("{", "").replace("}", "").split())
            c = re.compile(r"\s*,").match(text, i)
            if c is None:
                break
            i = c.end()
        entries[m.group(2)] = Entry(m.group(1).lower(), m.group(2), fields)
    return entries


def load(path: Path = BIB_PATH) -> dict[str, Entry]:
    """The project's bibliography."""
    return parse(path.read_text(encoding="utf-8"))


def _item(entry: Entry) -> str:
    f = entry.fields
    authors = entry.authors()
    who = (", ".join(authors[:-1]) + (", and " if len(authors) > 2 else " and ") + authors[-1]
           if len(authors) > 1 else "".join(authors)) or f.get("organization", "")
    parts = [who] if who else []
    parts.append(f.get("title", entry.key))
    parts.append(", ".join(f[k] for k in ("booktitle", "journal", "organization", "year")
                           if k in f and not (k == "organization" and who == f[k])))
    parts.append(f.get("note", ""))
    shown = [escape(p) + ("" if p.endswith((".", "?", "!")) else ".") for p in parts if p]
    title = 1 if who else 0
    shown[title] = r"\emph{" + shown[title] + "}"
    return rf"\bibitem{{{entry.key}}} " + " ".join(shown)


def thebibliography(entries: dict[str, Entry], keys: list[str]) -> str:
    """A ``thebibliography`` environment with the entries of ``keys``, in the order given."""
    lines = [r"\begin{thebibliography}{99}", r"\sloppy"]
    lines += [_item(entries[k]) for k in keys if k in entries]
    lines.append(r"\end{thebibliography}")
    return "\n".join(lines) + "\n"
