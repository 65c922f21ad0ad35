"""LaTeX derivations of the claims and the PDF built from them.

One ``.tex`` per claim with a theory-level check (:mod:`~bnclaims.latex.claim`), a verdict table
(:mod:`~bnclaims.latex.summary`), a bibliography generated from ``references.bib``
(:mod:`~bnclaims.latex.bibliography`) and a master document grouping the claims by paper
(:mod:`~bnclaims.latex.document`); the committed golden copy is checked, diffed and updated by
:mod:`~bnclaims.latex.golden`, and :mod:`~bnclaims.latex.pdf` compiles it with pdflatex.
Each file starts with a header comment naming the sympy version.
"""
from bnclaims.latex.claim import render
from bnclaims.latex.document import (BIBLIOGRAPHY, GOLDEN_DIR, MASTER, SEMANTIC, SUMMARY, _LATEX_CTX_SEED,
                                     derivations, generate, papers, theory_claims, write)
from bnclaims.latex.golden import DriftReport, _body, _same_math, check_golden, update_golden
from bnclaims.latex.pdf import PdfBuild, build_pdf, find_pdflatex, read_log
from bnclaims.latex.text import HEADER_PREFIX, escape, escape_prose, filename, header, tt_id

__all__ = ["BIBLIOGRAPHY", "DriftReport", "GOLDEN_DIR", "HEADER_PREFIX", "MASTER", "PdfBuild", "SEMANTIC", "SUMMARY",
           "build_pdf", "check_golden", "derivations", "escape", "escape_prose", "filename", "find_pdflatex", "generate", "header", "papers",
           "read_log", "render", "theory_claims", "tt_id", "update_golden", "write"]
