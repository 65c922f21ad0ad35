"""Tests for bnclaims.latex: golden files are current, byte-stable, and their mathematics checked.

Two separate tests: the text comparison (printer output) and the semantic comparison (the sympy
expressions behind each file), so a printer change and a changed result fail differently.
"""
import json

import pytest

from bnclaims import latex

GENERATED = latex.generate()


def test_generation_is_byte_identical_across_runs():
    again, _ = latex.generate()
    assert again == GENERATED[0]


def test_golden_text_matches_regenerated_text():
    files, _ = GENERATED
    golden = latex.GOLDEN_DIR
    stale = [n for n in sorted(files) if not (golden / n).exists() or
             latex._body((golden / n).read_text(encoding="utf-8")) != latex._body(files[n])]
    assert not stale, f"golden LaTeX differs for {stale}; run 'bnclaims latex --check' for details"


def test_golden_mathematics_matches_regenerated_mathematics():
    _, semantic = GENERATED
    old = json.loads((latex.GOLDEN_DIR / latex.SEMANTIC).read_text(encoding="utf-8"))
    assert set(old) == set(semantic)
    changed = [(cid, k) for cid in semantic for k in semantic[cid]
               if k not in old[cid] or not latex._same_math(old[cid][k], semantic[cid][k])]
    assert not changed, f"the mathematics behind these files changed: {changed}"


def test_every_claim_with_a_theory_check_has_a_file_in_the_master_document():
    files, _ = GENERATED
    for claim in latex.theory_claims():
        name = latex.filename(claim.id)
        assert name in files and rf"\input{{{name[:-4]}}}" in files[latex.MASTER]


def test_same_math_tells_equal_expressions_from_different_ones():
    assert latex._same_math("Add(Symbol('x'), Symbol('x'))", "Mul(Integer(2), Symbol('x'))")
    assert not latex._same_math("Symbol('x')", "Mul(Integer(2), Symbol('x'))")


def test_plain_text_is_escaped():
    assert latex.escape("a_b 50% {x}") == r"a\_b 50\% \{x\}"


def test_check_reports_a_changed_result_differently_from_printer_drift(tmp_path):
    files, _ = GENERATED
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert latex.check_golden(tmp_path).ok
    some = next(n for n in sorted(files) if n.endswith(".tex") and n != latex.MASTER)
    (tmp_path / some).write_text(files[some].replace(r"\paragraph", r"\subparagraph", 1), encoding="utf-8")
    report = latex.check_golden(tmp_path)
    assert report.printer_drift == [some] and not report.result_changed
    sem = json.loads(files[latex.SEMANTIC])
    cid = next(c for c in sem if latex.filename(c) == some)
    key = next(k for k in sem[cid] if k.endswith("verdict"))
    sem[cid][key] = "inconclusive"
    (tmp_path / latex.SEMANTIC).write_text(json.dumps(sem), encoding="utf-8")
    report = latex.check_golden(tmp_path)
    assert some in report.result_changed


def test_inline_math_in_prose_is_kept_and_the_rest_escaped():
    assert latex.escape_prose(r"at $\varepsilon=0$: x_1") == r"at $\varepsilon=0$: x\_1"
    assert latex.escape_prose("costs $5") == r"costs \$5"


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="pdflatex is not installed")
def test_master_document_compiles_with_pdflatex(tmp_path):
    import subprocess

    files, _ = GENERATED
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    res = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", latex.MASTER],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:]
