"""Tests for theory.exact_numbers: exact values and zero tests never approximate."""
import pytest
import sympy as sp

from bnclaims.theory.exact_numbers import exact_nonzero, exact_number


def test_nsimplify_alone_approximates_and_exact_number_does_not():
    near = sp.Rational(1, 3) + sp.Rational(1, 10**18)
    assert sp.nsimplify(near) == sp.Rational(1, 3)  # the trap: a simpler, wrong number
    assert exact_number(near) == near
    r = sp.sqrt(2) - sp.Rational(14142135623730951, 10**16)  # -5.1e-17
    assert sp.simplify(exact_number(r) - r) == 0


def test_exact_number_keeps_the_value_of_a_bn_gradient_norm_nsimplify_got_wrong():
    # ||d/dy <g, BN_0(y)>||^2 at y = (1, -3, 1, 3), g = (0, 0, 1, 1): nsimplify of the gradient entries
    # gave a product of fractional powers 8.5e-21 away; the exact value is 40/361 (Thm 4.1, 1/m form).
    ys = sp.symbols("y0:4")
    mu = sum(ys) / 4
    sd = sp.sqrt(sum((v - mu) ** 2 for v in ys) / 4)
    loss = sum(gi * (v - mu) / sd for gi, v in zip((0, 0, 1, 1), ys))
    at = dict(zip(ys, (1, -3, 1, 3)))
    grad = [exact_number(sp.diff(loss, v).subs(at)) for v in ys]
    assert exact_number(sum(c ** 2 for c in grad)) == sp.Rational(40, 361)


def test_exact_number_takes_a_shorter_form_only_when_it_is_equal():
    v = sp.sqrt(8) / 2 + sp.sqrt(18) / 3  # 2 sqrt 2
    assert exact_number(v) == 2 * sp.sqrt(2)
    x = sp.Symbol("x")
    assert exact_number(x * (x + 1) - x ** 2) == x  # symbolic input: simplified, not numerically identified


def test_exact_nonzero_separates_tiny_nonzeros_from_exact_zeros():
    assert exact_nonzero(sp.Rational(1, 10**40))
    assert exact_nonzero(sp.sqrt(2) - sp.Rational(14142135623730951, 10**16))
    assert exact_nonzero(sp.sqrt(2) / 10**70)  # below the numeric screen: decided by the minimal polynomial
    assert not exact_nonzero(sp.sqrt(8) - 2 * sp.sqrt(2))
    assert not exact_nonzero((1 + sp.sqrt(3)) ** 2 - 4 - 2 * sp.sqrt(3))
    with pytest.raises(ValueError, match="needs a number"):
        exact_nonzero(sp.Symbol("t") + 1)


def test_exact_number_takes_a_denested_radical_because_it_is_proved_equal():
    # simplify and radsimp leave these nested radicals as they are; nsimplify finds the shorter form,
    # and the difference is exactly zero (by hand: (1 + sqrt 2)^2 = 3 + 2 sqrt 2, (2 + sqrt 3)^2 = 7 + 4 sqrt 3,
    # (1 + sqrt 2)^3 = 7 + 5 sqrt 2), so the shorter form is the one returned
    assert exact_number(sp.sqrt(3 + 2 * sp.sqrt(2))) == 1 + sp.sqrt(2)
    assert exact_number(sp.sqrt(7 + 4 * sp.sqrt(3))) == 2 + sp.sqrt(3)
    assert exact_number(sp.cbrt(7 + 5 * sp.sqrt(2))) == 1 + sp.sqrt(2)
    # Cardano's example: (2 +- sqrt 2)^3 = 20 +- 14 sqrt 2 (both positive), so the sum of the real cube roots is 4
    assert exact_number(sp.cbrt(20 + 14 * sp.sqrt(2)) + sp.cbrt(20 - 14 * sp.sqrt(2))) == 4


def test_exact_number_keeps_an_equal_form_that_is_not_shorter():
    # (1 + sqrt 2)^5 = 41 + 29 sqrt 2 (binomial expansion); neither form has fewer operations, so the input stays
    v = (1 + sp.sqrt(2)) ** 5
    assert sp.expand(v) == 41 + 29 * sp.sqrt(2) and sp.count_ops(41 + 29 * sp.sqrt(2)) == sp.count_ops(v)
    assert exact_number(v) == v


def test_exact_number_never_takes_a_nearby_number_below_the_numeric_screen():
    # sqrt 2 minus its first 60 decimals: about 7.4e-61, below the 10**-50 screen; nsimplify calls it 0
    t = sp.sqrt(2) - sp.Rational(int(sp.floor(sp.sqrt(2) * 10**60)), 10**60)
    assert sp.nsimplify(t) == 0
    assert exact_number(t) == t and exact_nonzero(t)


def test_an_exact_zero_that_simplify_leaves_alone_is_zero():
    z = sp.cbrt(20 + 14 * sp.sqrt(2)) + sp.cbrt(20 - 14 * sp.sqrt(2)) - 4   # Cardano: exactly 0 (see above)
    assert sp.radsimp(sp.simplify(z)) != 0   # not zero by simplification: the minimal polynomial decides
    assert not exact_nonzero(z)
    assert exact_number(z) == 0
