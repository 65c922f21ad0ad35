"""Tests for bnclaims.report.mathml: statements and counterexamples typeset as MathML, ledger text never run."""
import pytest

from bnclaims.registry import all_claims
from bnclaims.report.mathml import latex_to_mathml, name_latex, value_latex


def test_the_statement_of_every_claim_and_twin_becomes_mathml():
    formulas = [c.latex for c in all_claims()] + [c.twin.latex for c in all_claims() if c.twin and c.twin.latex]
    assert len(formulas) > 40
    for tex in formulas:
        out = latex_to_mathml(tex)
        assert out.startswith("<math") and 'display="block"' in out, tex


def test_a_formula_latex2mathml_cannot_read_is_shown_as_its_source():
    assert latex_to_mathml(r"\frac{a}{") == r'<code class="tex">\frac{a}{</code>'


@pytest.mark.parametrize("value,tex", [
    ("8/153", r"\frac{8}{153}"),
    ("3*sqrt(2)/2", r"\frac{3 \sqrt{2}}{2}"),
    (["1", "-2/3"], r"\left(1,\ - \frac{2}{3}\right)"),
    ([[1], [-1]], r"\begin{pmatrix}1\\-1\end{pmatrix}"),
    ("z**2/2 + z - 1/2", r"\frac{z^{2}}{2} + z - \frac{1}{2}"),
    ("1.23456789012345678901234567e-5", r"1.23456789012 \cdot 10^{-5}"),
    (7, "7"),
])
def test_exact_values_are_typeset_and_long_floats_shortened(value, tex):
    assert value_latex(value) == tex


@pytest.mark.parametrize("value", ['__import__("os").system("true")', "exec", "9**9**9**9", "10**99999",
                                   "diag(1, 10)", "uniform on {-1, 1}", True, None, {"a": 1}])
def test_what_is_not_a_number_or_a_short_expression_is_left_as_text(value):
    assert value_latex(value) is None


def test_evidence_names_become_symbols():
    assert [name_latex(k) for k in ("gamma", "eps", "W_star", "x1", "y", "lhs_trainable")] == [
        r"\gamma", r"\varepsilon", "W^*", "x_{1}", "y", r"\mathrm{lhs\_trainable}"]
