"""Tests for bnclaims.latex.text: escapes, inline math, breakable ids, citations."""
from bnclaims.latex import text


def test_plain_text_is_escaped():
    assert text.escape("a_b 50% {x}") == r"a\_b 50\% \{x\}"


def test_angle_brackets_and_bars_are_left_to_the_t1_encoding():
    assert text.escape("<g, y> = 0 iff |gamma| > 0") == "<g, y> = 0 iff |gamma| > 0"


def test_carets_tildes_and_non_ascii_symbols_become_commands():
    assert text.escape("s^2 ~ §3 ≥ σ²") == r"s\textasciicircum{}2 \textasciitilde{} \S{}3 $\geq$ $\sigma$\textsuperscript{2}"


def test_inline_math_in_prose_is_kept_and_the_rest_escaped():
    assert text.escape_prose(r"at $\varepsilon=0$: x_1") == r"at $\varepsilon=0$: x\_1"
    assert text.escape_prose("costs $5") == r"costs \$5"


def test_claim_ids_may_break_after_dots_and_underscores():
    assert text.tt_id("bn.grad_form") == r"\texttt{bn.\allowbreak{}grad\_\allowbreak{}form}"


def test_double_hyphens_in_typewriter_text_stay_two_hyphens():
    assert text.tt("verify --json x.json") == r"\texttt{verify -{}-{}json x.json}"


def test_bibliography_keys_in_prose_become_citations_and_the_rest_is_escaped():
    got = text.cite_text("restated in wiki2025bn, Eq. 3_a; not wiki2025bnx", ["wiki2025bn", "de2020batch"])
    assert got == r"restated in \cite{wiki2025bn}, Eq. 3\_a; not wiki2025bnx"
