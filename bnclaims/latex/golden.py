"""The committed golden LaTeX: compare with a fresh generation (text and mathematics), diff, update.

A text difference is *printer drift* when the sympy expressions behind the file (``semantic.json``)
are mathematically equal, and a *changed result* otherwise; a difference only in the header's sympy
version is not drift at all.
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

from bnclaims.errors import BadInput
from bnclaims.latex.document import GOLDEN_DIR, SEMANTIC, generate
from bnclaims.latex.text import HEADER_PREFIX, filename


def _same_math(old: str, new: str) -> bool:
    """True when two srepr strings denote mathematically equal objects."""
    if old == new:
        return True
    import sympy as sp

    try:
        a = eval(old, vars(sp))  # our own golden file, written by _srepr_all
        b = eval(new, vars(sp))
    except Exception:
        return False
    try:
        if isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase):
            return a.shape == b.shape and all(sp.simplify(x) == 0 for x in (a - b))
        if isinstance(a, sp.Expr) and isinstance(b, sp.Expr):
            return sp.simplify(a - b) == 0
    except Exception:
        return False
    return bool(a == b)


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(HEADER_PREFIX))


@dataclass
class DriftReport:
    """Differences between regenerated LaTeX and the golden files, with a unified diff per stale file."""

    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    printer_drift: list[str] = field(default_factory=list)
    result_changed: list[str] = field(default_factory=list)
    header_only: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.printer_drift or self.result_changed)

    def summary(self) -> str:
        if self.ok:
            note = (f" (header differs only in the sympy version: {len(self.header_only)} files)"
                    if self.header_only else "")
            return f"golden LaTeX up to date{note}"
        out = []
        for label, names in (("missing from golden", self.missing), ("no longer generated", self.extra),
                             ("RESULT CHANGED (mathematics differs)", self.result_changed),
                             ("printer drift (text differs, mathematics equal)", self.printer_drift)):
            if names:
                out.append(f"{label}: {', '.join(names)}")
        out.append("review the diff, then regenerate with: bnclaims latex --update")
        return "\n".join(out)

    def diff(self) -> str:
        """Every stale file's unified diff (golden first), in file-name order."""
        return "".join(self.diffs[name] for name in sorted(self.diffs))


def _unified(name: str, old: str, new: str, golden: Path) -> str:
    text = "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"{golden.name}/{name} (golden)",
                                        tofile=f"{golden.name}/{name} (regenerated)"))
    return text if text.endswith("\n") else text + "\n"


def _math_changed(old_sem: dict, semantic: dict) -> list[str]:
    return [cid for cid in semantic if set(old_sem.get(cid, {})) != set(semantic[cid]) or
            not all(_same_math(old_sem[cid][k], semantic[cid][k]) for k in semantic[cid])]


def check_golden(golden: Path | None = None, generated: tuple | None = None) -> DriftReport:
    """Compare a generation (by default a fresh one, in memory) with the golden directory
    (by default ``golden/latex`` of the source checkout)."""
    golden = golden or GOLDEN_DIR
    if not golden.is_dir():
        raise BadInput(f"golden LaTeX directory {golden} not found (run from a source checkout)")
    files, semantic = generated or generate()
    old_sem = json.loads((golden / SEMANTIC).read_text(encoding="utf-8")) if (golden / SEMANTIC).exists() else {}
    by_file = {filename(cid): cid for cid in semantic}
    report = DriftReport()
    old_names = {p.name for p in golden.iterdir() if p.suffix in (".tex", ".json")}
    report.extra = sorted(old_names - set(files))
    for name in report.extra:
        report.diffs[name] = _unified(name, (golden / name).read_text(encoding="utf-8"), "", golden)
    for name in sorted(files):
        path = golden / name
        if not path.exists():
            report.missing.append(name)
            report.diffs[name] = _unified(name, "", files[name], golden)
            continue
        old = path.read_text(encoding="utf-8")
        if old == files[name]:
            continue
        if _body(old) == _body(files[name]):
            report.header_only.append(name)
            continue
        report.diffs[name] = _unified(name, old, files[name], golden)
        if name == SEMANTIC:  # its text differs: a real change only if some claim's mathematics differs
            (report.result_changed if _math_changed(old_sem, semantic) else report.printer_drift).append(name)
        elif name in by_file:
            cid = by_file[name]
            old_s, new_s = old_sem.get(cid, {}), semantic[cid]
            same = set(old_s) == set(new_s) and all(_same_math(old_s[k], new_s[k]) for k in new_s)
            (report.printer_drift if same else report.result_changed).append(name)
        else:  # the master document, the summary table, the bibliography
            report.printer_drift.append(name)
    return report


def update_golden(golden: Path | None = None) -> list[str]:
    """Rewrite the golden directory from a fresh generation; one line per file changed, added or removed."""
    golden = golden or GOLDEN_DIR
    generated = generate()
    report = check_golden(golden, generated)
    files = generated[0]
    lines = []
    for name in sorted(set(files) | set(report.extra)):
        if name in report.extra:
            path = golden / name
            if name.endswith(".tex") and path.read_text(encoding="utf-8").startswith(HEADER_PREFIX):
                path.unlink()
                lines.append(f"removed  {name}")
            else:
                lines.append(f"kept     {name} (not generated by bnclaims latex; remove it by hand)")
            continue
        if name in report.missing:
            lines.append(f"added    {name}")
        elif name in report.result_changed:
            lines.append(f"updated  {name} (mathematics changed)")
        elif name in report.printer_drift:
            lines.append(f"updated  {name} (text changed, mathematics equal)")
        elif name in report.header_only:
            lines.append(f"updated  {name} (sympy version in the header)")
        else:
            continue
        (golden / name).write_text(files[name], encoding="utf-8")
    return lines
