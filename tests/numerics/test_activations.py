"""Tests for numerics.activations: parsing activations, Gaussian moments by quadrature against closed
forms, exact polynomial moments and numerical derivatives, and the one-line errors for bad activations."""
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy as sp

from bnclaims import BadInput
from bnclaims.numerics import activations as na


def test_large_batch_rates_match_closed_forms_and_exact_hermite_values():
    with mpmath.workdps(40):
        assert abs(na.large_batch_rate("relu", 35) - mpmath.pi / (mpmath.pi - 1)) < 1e-32
        assert abs(na.large_batch_rate("abs", 35) - 1 / (1 - 2 / mpmath.pi)) < 1e-32
        assert abs(na.large_batch_rate("linear", 35) - 1) < 1e-32
        for text, exact in (("He(2, z)", 2), ("He(3, z)", 3), ("He(1, z) + He(2, z)/4", mpmath.mpf(10) / 9)):
            assert abs(na.large_batch_rate(text, 35) - exact) < 1e-32


def test_a_callable_with_numerical_derivative_agrees_with_the_symbolic_form():
    with mpmath.workdps(40):
        sym = na.large_batch_rate("tanh", 30)
        num = na.large_batch_rate(mpmath.tanh, 30)
        shifted = na.large_batch_rate(lambda x: max(x - mpmath.mpf(1) / 2, 0), 30, kinks=(F(1, 2),))
        assert abs(sym - num) < 1e-28
        assert abs(shifted - na.large_batch_rate("relu(z - 1/2)", 30)) < 1e-28


def test_exact_polynomial_moments_match_gauss_hermite_quadrature():
    nodes, weights = np.polynomial.hermite_e.hermegauss(20)
    weights = weights / weights.sum()
    for coeffs in ((F(-1, 4), F(1), F(1, 4)), (F(0), F(-3), F(0), F(1)), (F(2), F(1, 3), F(0), F(0), F(-1, 5))):
        ex = na.exact_polynomial_moments(coeffs)
        phi = sum(float(c) * nodes ** j for j, c in enumerate(coeffs))
        dphi = sum(j * float(c) * nodes ** (j - 1) for j, c in enumerate(coeffs) if j)
        assert abs(weights @ dphi ** 2 - float(ex["E_dphi2"])) < 1e-12
        assert abs(weights @ phi ** 2 - (weights @ phi) ** 2 - float(ex["Var_phi"])) < 1e-12


@pytest.mark.parametrize("text, fragment", [
    ("foobar", "unknown activation"), ("z + x", "names other than z"), ("3", "constant activation"),
    ("z - z + 2", "constant activation"), ("Heaviside(z)", "not weakly differentiable"), ("", "empty"),
    ("z +* 2", "cannot parse"), ("__import__('os')", "only names"), ("He(1/2, z)", "integer n"),
    ("sqrt(z)", "not real-valued"),
])
def test_bad_activations_raise_bad_input_with_a_one_line_message(text, fragment):
    with pytest.raises(BadInput) as exc:
        na.large_batch_rate(text, 30)
    msg = str(exc.value)
    assert fragment in msg and "\n" not in msg
    if fragment in ("unknown activation", "names other than z"):
        assert "relu" in msg and "gelu" in msg


def test_sympy_expression_with_another_symbol_and_a_constant_callable_are_rejected():
    with pytest.raises(BadInput, match="free symbols other than z"):
        na.large_batch_rate(sp.Symbol("z") * sp.Symbol("w"), 30)
    with pytest.raises(BadInput, match="constant activation"):
        na.large_batch_rate(lambda x: mpmath.mpf(3), 30)


@pytest.mark.parametrize("text", ["exp(z**2)", "exp(z**2/4)", "z*exp(z**2/4)", "exp(exp(z))"])
def test_a_divergent_gaussian_moment_is_refused_not_printed_as_a_number(text):
    """E phi^2 = int phi^2 e^{-z^2/2} diverges once phi grows like e^{z^2/4}; quadrature alone returns a
    finite number there, so the tail is checked."""
    with pytest.raises(BadInput, match="diverges or has a heavy tail"):
        na.gaussian_moments(text, 30)


def test_a_fast_growing_activation_with_finite_moments_is_still_computed():
    """phi = z e^{z^2/8}: E phi^2 = int z^2 e^{-z^2/4} / sqrt(2 pi) = 2 sqrt(2) exactly, E phi = 0."""
    mom = na.gaussian_moments("z*exp(z**2/8)", 30)
    with mpmath.workdps(40):
        assert abs(mom["E_phi2"] - 2 * mpmath.sqrt(2)) < mpmath.mpf(10) ** -28
        assert abs(mom["E_phi"]) < mpmath.mpf(10) ** -28


def test_the_rate_is_invariant_under_scaling_the_activation_by_a_huge_constant():
    """E (c phi')^2 / Var (c phi) = E phi'^2 / Var phi: at c = 1e20 the moments are about 1e40, and
    the quadrature's convergence test must be relative to them (30 digits of a 1e40 value)."""
    with mpmath.workdps(40):
        assert abs(na.large_batch_rate("10^20*tanh(z)", 30) - na.large_batch_rate("tanh", 30)) < 1e-28


@pytest.mark.parametrize("name, f, df", [
    ("softplus", lambda x: mpmath.log(1 + mpmath.exp(x)), lambda x: 1 / (1 + mpmath.exp(-x))),
    ("sigmoid", lambda x: 1 / (1 + mpmath.exp(-x)), lambda x: mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2),
    ("silu", lambda x: x / (1 + mpmath.exp(-x)), lambda x: (1 + mpmath.exp(-x) + x * mpmath.exp(-x))
     / (1 + mpmath.exp(-x)) ** 2),
    ("gelu", lambda x: x * mpmath.ncdf(x), lambda x: mpmath.ncdf(x) + x * mpmath.npdf(x)),
    ("elu", lambda x: x if x > 0 else mpmath.exp(x) - 1, lambda x: 1 if x > 0 else mpmath.exp(x)),
    ("leaky_relu", lambda x: x if x > 0 else x / 100, lambda x: 1 if x > 0 else mpmath.mpf(1) / 100),
])
def test_the_named_activations_are_the_textbook_functions(name, f, df):
    """Each name's value and derivative against its textbook definition, written again here with
    mpmath, at points on both sides of 0 (away from the kink of elu and leaky_relu)."""
    act = na.parse_activation(name)
    with mpmath.workdps(30):
        for x in (mpmath.mpf(-3), mpmath.mpf(-1) / 2, mpmath.mpf(1) / 3, mpmath.mpf(2)):
            assert abs(mpmath.mpmathify(act.f(x)) - f(x)) < mpmath.mpf(10) ** -25, (name, x)
            assert abs(mpmath.mpmathify(act.df(x)) - df(x)) < mpmath.mpf(10) ** -25, (name, x)
