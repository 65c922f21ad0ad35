"""Tests for bnclaims.latex.hypothesis: the ASCII notation of hypotheses typeset as inline math."""
import re

import pytest

from bnclaims.latex.hypothesis import hypothesis_tex
from bnclaims.registry import all_claims


@pytest.mark.parametrize("text, tex", [
    ("eps >= 0, sigma^2 + eps > 0", r"$\varepsilon$ $\geq$ 0, $\sigma^{2}$ + $\varepsilon$ > 0"),
    ("<W0, W*> > 0", r"$\langle W_{0}$, $W^{*} \rangle$ > 0"),
    ("H = E[x x^T] SPD", r"H = E[x $x^{\top}$] SPD"),
    ("W_l ~ N(0, sigma_w^2/N) i.i.d.", r"$W_{l}$ $\sim$ N(0, $\sigma_{w}^{2}$/N) i.i.d."),
    ("rows normalized: sum_i (zbar_i^a)^2 = N", r"rows normalized: $\sum_{i}$ ($\bar{z}_{i}^{a}$)$^{2}$ = N"),
    ("the sum of mus and betas", "the sum of mus and betas"),  # words stay words
    ("He init, ReLU, B/N <= 1/8", r"He init, ReLU, B/N $\leq$ 1/8"),
])
def test_ascii_notation_becomes_inline_math(text, tex):
    assert hypothesis_tex(text) == tex


def test_hypotheses_already_in_latex_are_kept():
    assert hypothesis_tex(r"$\sigma^2 > 0$ and x_1") == r"$\sigma^2 > 0$ and x\_1"


def test_user_text_is_escaped_never_executed():
    assert hypothesis_tex(r"\input{/etc/passwd} 100% & #1") == r"\textbackslash{}input\{/etc/passwd\} 100\% \& \#1"


def _outside_math(tex: str) -> str:
    return "".join(tex.split("$")[::2])


def test_no_builtin_hypothesis_prints_a_literal_caret_or_underscore():
    hypotheses = sorted({h for c in all_claims() for h in c.hypotheses})
    assert len(hypotheses) > 50
    for h in hypotheses:
        tex = hypothesis_tex(h)
        assert tex.count("$") % 2 == 0, (h, tex)
        text = _outside_math(tex)
        assert not re.search(r"\\textasciicircum|\\_|\\textasciitilde", text), (h, tex)
