"""Tests for bnclaims.latex.bibliography: the .bib reader and the generated thebibliography."""
from bnclaims.latex import bibliography
from bnclaims.registry import all_claims

BIB = r"""% a comment
@inproceedings{a2019x,
  author = {Doe, Jane and Roe, Richard and Poe, Edgar},
  title = {On {BN}: a {Study}}, year = 2019,
  note = "running_var & more"
}
@misc{b2020y, title = {Docs (v2)}, organization = {Lib}}
"""


def test_fields_are_read_from_braces_quotes_and_bare_values():
    e = bibliography.parse(BIB)
    assert list(e) == ["a2019x", "b2020y"]
    assert e["a2019x"].fields == {"author": "Doe, Jane and Roe, Richard and Poe, Edgar", "title": "On BN: a Study",
                                  "year": "2019", "note": "running_var & more"}


def test_short_names_use_authors_then_organization():
    e = bibliography.parse(BIB)
    assert e["a2019x"].short() == "Doe et al. (2019)" and e["b2020y"].short() == "Lib"
    assert e["a2019x"].authors() == ["Jane Doe", "Richard Roe", "Edgar Poe"]


def test_items_are_escaped_and_in_the_order_asked():
    text = bibliography.thebibliography(bibliography.parse(BIB), ["b2020y", "a2019x", "missing"])
    assert text.index(r"\bibitem{b2020y}") < text.index(r"\bibitem{a2019x}") and "missing" not in text
    assert r"Jane Doe, Richard Roe, and Edgar Poe. \emph{On BN: a Study.} 2019. running\_var \& more." in text


def test_every_source_of_a_claim_is_in_the_project_bibliography():
    entries = bibliography.load()
    assert {c.source.bibkey for c in all_claims()} <= set(entries)
