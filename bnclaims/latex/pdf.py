"""Build the PDF with pdflatex and read its log: errors, overfull boxes, pages.

pdflatex runs until cross-references settle (at most three runs), in batch mode with shell escape
off; ``SOURCE_DATE_EPOCH`` is fixed unless set, so the same ``.tex`` gives the same PDF dates.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bnclaims.errors import BadInput
from bnclaims.latex.document import MASTER

_RUNS = 3


@dataclass
class PdfBuild:
    """The outcome of a pdflatex build: the PDF, its page count, the log's problems, the time taken."""

    pdf: Path
    log: Path
    pages: int
    runs: int
    seconds: float
    errors: list[str] = field(default_factory=list)
    overfull: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.pdf.exists()


def read_log(text: str) -> tuple[list[str], list[str], int]:
    r"""Errors (lines starting ``!``), ``Overfull \hbox``/``\vbox`` lines and the page count of a log."""
    errors = [line for line in text.splitlines() if line.startswith("!")]
    overfull = [line for line in text.splitlines() if re.match(r"Overfull \\[hv]box", line)]
    m = re.search(r"Output written on .*?\((\d+) pages?", text, re.S)
    return errors, overfull, int(m.group(1)) if m else 0


def find_pdflatex() -> str:
    """The pdflatex executable; :class:`BadInput` (one line) when it is not installed."""
    exe = shutil.which("pdflatex")
    if exe is None:
        raise BadInput("pdflatex not found: install TeX Live "
                       "(Debian: apt-get install --no-install-recommends texlive-latex-base lmodern)")
    return exe


def build_pdf(out: Path, pdflatex: str | None = None) -> PdfBuild:
    """Compile ``out/bnclaims.tex`` (written by :func:`bnclaims.latex.write`) into ``out/bnclaims.pdf``."""
    exe = pdflatex or find_pdflatex()
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0"), "FORCE_SOURCE_DATE": "1"}
    log = out / (MASTER[:-4] + ".log")
    start = time.perf_counter()
    runs, text = 0, ""
    while runs < _RUNS:
        runs += 1
        subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", MASTER],
                       cwd=out, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        text = log.read_text(encoding="latin-1") if log.exists() else ""
        if read_log(text)[0] or not re.search(r"Rerun|Label\(s\) may have changed", text):
            break
    errors, overfull, pages = read_log(text)
    if not text:
        errors = [f"pdflatex wrote no log in {out}"]
    return PdfBuild(out / (MASTER[:-4] + ".pdf"), log, pages, runs, time.perf_counter() - start, errors, overfull)
