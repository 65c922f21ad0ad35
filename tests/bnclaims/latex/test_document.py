"""Tests for bnclaims.latex.document (and .claim): byte-stable files, claims grouped by paper,
statements typeset from each claim's LaTeX, counterexamples without verbatim JSON."""
from bnclaims.latex import document, escape, filename, tt_id
from bnclaims.registry import all_claims


def test_theory_derivations_are_byte_identical_across_runs(derived):
    assert document.derivations() == derived


def test_the_whole_document_is_byte_identical_across_runs(use_derived):
    assert document.generate() == document.generate()


def test_every_claim_with_a_theory_check_is_in_the_master_document_under_its_paper(generated):
    files, _ = generated
    master = files[document.MASTER]
    for claim in document.theory_claims():
        name = filename(claim.id)
        where = master.index(rf"\input{{{name[:-4]}}}")
        section = master.rfind(r"\section{", 0, where)
        assert name in files and master.find(rf"\cite{{{claim.source.bibkey}}}", section) < where


def test_the_verdict_table_comes_first_and_the_bibliography_last(generated):
    master = generated[0][document.MASTER]
    assert master.index(r"\maketitle") < master.index(r"\input{summary}") < master.index(r"\section{")
    assert master.rindex(r"\input{bibliography}") > master.rindex(r"\section{")
    assert r"\usepackage[T1]{fontenc}" in master and r"\usepackage{lmodern}" in master


def test_statements_are_typeset_not_printed_as_plain_text(generated):
    files, _ = generated
    for claim in document.theory_claims():
        text = files[filename(claim.id)]
        assert tt_id(claim.id) in text
        if claim.latex.strip():
            assert r"\[" + claim.latex.strip() + r"\]" in text
            assert escape(claim.statement) not in text


def test_counterexamples_are_not_verbatim_json_and_sources_are_citations(generated):
    files, _ = generated
    for claim in document.theory_claims():
        text = files[filename(claim.id)]
        assert r"\begin{verbatim}" not in text
        assert rf"\paragraph{{Source.}} \cite{{{claim.source.bibkey}}}" in text


def test_the_bibliography_lists_every_cited_source(generated):
    files, _ = generated
    cited = {c.source.bibkey for c in all_claims()}
    assert all(rf"\bibitem{{{k}}}" in files[document.BIBLIOGRAPHY] for k in cited)
