"""Tests for bnclaims.latex.pdf: the document compiles with pdflatex, without errors or overfull boxes."""
import re
import shutil

import pytest

from bnclaims.errors import BadInput
from bnclaims.latex import build_pdf, find_pdflatex, read_log

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex is not installed (Debian: texlive-latex-base lmodern)")

LOG = r"""! Undefined control sequence.
Overfull \hbox (7.6pt too wide) in paragraph at lines 72--72
Underfull \hbox (badness 10000) in paragraph at lines 3--4
Output written on bnclaims.pdf (35 pages, 418945 bytes).
"""


def test_the_log_reader_finds_errors_overfull_boxes_and_pages():
    errors, overfull, pages = read_log(LOG)
    assert errors == ["! Undefined control sequence."] and pages == 35
    assert overfull == [r"Overfull \hbox (7.6pt too wide) in paragraph at lines 72--72"]


def test_a_missing_pdflatex_is_a_one_line_input_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(BadInput, match="pdflatex not found") as err:
        find_pdflatex()
    assert "\n" not in str(err.value)


@needs_pdflatex
def test_the_document_compiles_without_errors_or_overfull_boxes(generated, tmp_path):
    files, _ = generated
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    build = build_pdf(tmp_path)
    assert build.ok, build.errors
    assert not build.overfull, build.overfull
    assert build.pages >= 20 and build.pdf.read_bytes().startswith(b"%PDF")
    log = build.log.read_text(encoding="latin-1")
    assert not re.findall(r"(?:Reference|Citation) `[^']*' on page \d+ undefined", log)
