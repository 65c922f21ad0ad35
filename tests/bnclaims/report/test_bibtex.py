"""Tests for bnclaims.report.bibtex: the project's references.bib read into short and full citations."""
from bnclaims.registry import all_claims
from bnclaims.report.bibtex import parse_bibtex, reference, references


def test_every_source_of_the_builtin_claims_has_a_reference_with_a_title():
    refs = references()
    for claim in all_claims():
        ref = refs[claim.source.bibkey]
        assert ref.short and ref.short != ref.key and len(ref.full) > len(ref.short), claim.id


def test_a_paper_with_three_or_more_authors_is_cited_as_et_al_with_its_year():
    ref = reference("santurkar2018how")
    assert ref.short == "Santurkar et al. (2018)"
    assert ref.full.startswith("Shibani Santurkar, Dimitris Tsipras, Andrew Ilyas and Aleksander Madry. How Does")


def test_the_parser_reads_nested_braces_quotes_and_bare_numbers():
    entries = parse_bibtex('@article{k1, title = {A {B} c}, author = "Doe, Jane", year = 2020}\n'
                           "@misc{k2,\n  note = {x, y}\n}")
    assert entries == {"k1": {"type": "article", "title": "A B c", "author": "Doe, Jane", "year": "2020"},
                       "k2": {"type": "misc", "note": "x, y"}}


def test_a_key_not_in_the_bibliography_cites_itself():
    ref = reference("mine2026notes")
    assert (ref.short, ref.full) == ("mine2026notes", "mine2026notes")


def test_bibliography_keys_in_source_notes_become_short_citations():
    from bnclaims.report.bibtex import cite_short

    assert cite_short("Lemma 4.5, refuted by junike2025batch (single neuron)") == \
        "Lemma 4.5, refuted by Junike and Dannemann (2025) (single neuron)"
    assert cite_short("xjunike2025batch and junike2025batchy stay") == "xjunike2025batch and junike2025batchy stay"
