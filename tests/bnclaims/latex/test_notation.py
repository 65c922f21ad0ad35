"""Tests for bnclaims.latex.notation: the ASCII notation of hypotheses typeset as inline math."""
import re

import pytest

from bnclaims.latex.notation import notation_tex
from bnclaims.registry import all_claims


@pytest.mark.parametrize("text, tex", [
    ("eps >= 0, sigma^2 + eps > 0", r"$\varepsilon$ $\geq$ 0, $\sigma^{2}$ + $\varepsilon$ > 0"),
    ("<W0, W*> > 0", r"$\langle W_{0}$, $W^{*} \rangle$ > 0"),
    ("H = E[x x^T] SPD", r"H = E[x $x^{\top}$] SPD"),
    ("W_l ~ N(0, sigma_w^2/N) i.i.d.", r"$W_{l}$ $\sim$ N(0, $\sigma_{w}^{2}$/N) i.i.d."),
    ("rows normalized: sum_i (zbar_i^a)^2 = N", r"rows normalized: $\sum_{i}$ ($\bar{z}_{i}^{a}$)$^{2}$ = N"),
    ("the sum of mus and betas", "the sum of mus and betas"),  # words stay words
    ("He init, ReLU, B/N <= 1/8", r"He init, ReLU, B/N $\leq$ 1/8"),
    ("(||W*||^2 - <W*,W0>)", r"(||$W^{*}$||$^{2}$ - $\langle W^{*}$, $W_{0} \rangle$)"),
    ("H* = H^(1/2)(I - P_w)H^(1/2)", r"$H^{*}$ = $H^{1/2}$(I - $P_{w}$)$H^{1/2}$"),
    ("E[1/chi^2_{B-1}], dL/dsigma^2, relu'^2", r"E[1/$\chi^{2}_{B-1}$], dL/dsigma$^{2}$, relu'$^{2}$"),
    ("identity in bnclaims.theory.bn_algebra, BN_0(a y)", r"identity in bnclaims.theory.bn\_algebra, BN\_0(a y)"),
])
def test_ascii_notation_becomes_inline_math(text, tex):
    assert notation_tex(text) == tex


def test_dollars_and_backslashes_are_text():
    assert notation_tex(r"$\input{x}$ costs $5") == r"\$\textbackslash{}input\{x\}\$ costs \$5"


def test_user_text_is_escaped_never_executed():
    assert notation_tex(r"\input{/etc/passwd} 100% & #1") == r"\textbackslash{}input\{/etc/passwd\} 100\% \& \#1"


def _outside_math(tex: str) -> str:
    return "".join(tex.split("$")[::2])


def test_no_builtin_hypothesis_or_twin_prints_a_literal_caret_or_underscore():
    texts = sorted({h for c in all_claims() for h in c.hypotheses} | {c.twin.change for c in all_claims() if c.twin})
    assert len(texts) > 70
    for h in texts:
        tex = notation_tex(h)
        assert tex.count("$") % 2 == 0, (h, tex)
        text = _outside_math(tex)
        assert not re.search(r"\\textasciicircum|\\_|\\textasciitilde", text), (h, tex)
