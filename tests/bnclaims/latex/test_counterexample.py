"""Tests for bnclaims.latex.counterexample: witness values typeset with sympy, long decimals cut."""
import re

from bnclaims.latex import counterexample as cx


def test_exact_values_are_typeset_by_sympy():
    assert cx.counterexample_tex({"gamma": "3*sqrt(2)/2", "m": 2}) == r"$\gamma = \frac{3 \sqrt{2}}{2}$, $m = 2$."


def test_a_sixty_digit_decimal_is_cut_with_an_ellipsis_and_its_precision_stated():
    value = "-0.828427124746190097603377448419396157139343750753896146353359"
    got = cx.counterexample_tex({"rhs_60_digits": value})
    assert r"-0.82842712\dots" in got and "stored with 60" in got and value[12:] not in got


def test_decimals_keep_significant_digits_after_leading_zeros():
    assert cx._truncate("0.000012345678912") == (r"0.000012345678\dots", 11)
    assert cx._truncate("123456789.5") == (r"123456789.\dots", 10)
    assert cx._truncate("2.5") is None


def test_lists_and_matrices_become_tuples_and_small_matrices():
    got = cx.counterexample_tex({"y": [-1, 0], "zbar": [["sqrt(2)", "0"], ["1/2", "0"]]})
    assert r"y = \left(-1,\, 0\right)" in got
    assert r"\begin{smallmatrix}\sqrt{2} & 0 \\ \frac{1}{2} & 0\end{smallmatrix}" in got


def test_prose_and_flags_are_printed_as_text():
    got = cx.counterexample_tex({"distribution": "uniform on {-1, 1}", "exact": True})
    assert r"\text{uniform on \{-1, 1\}}" in got and r"\text{true}" in got


def test_names_read_as_symbols_when_they_are_one_and_as_typewriter_otherwise():
    assert cx.name_tex("eps") == r"\epsilon" and cx.name_tex("W_0") == "W_{0}"
    assert cx.name_tex("grad_sq_norm") == r"\mathtt{grad\_sq\_norm}"


def test_no_generated_file_carries_a_long_decimal(generated):
    files, _ = generated
    long_numbers = {n: re.findall(r"\d\.\d{12,}", t) for n, t in files.items() if n.endswith(".tex")}
    assert not {n: v for n, v in long_numbers.items() if v}
