"""Tests for numerics.bn_mp: BN of one unit in mpmath, and the numerical-derivative reference."""
from fractions import Fraction

import mpmath
from mpmath import mp

from bnclaims.numerics.bn_mp import batch_stats, bn_forward, mp_gradient, normalize, rel_err, vec_rel_err


def test_statistics_are_the_biased_ones_of_the_catalog():
    with mp.workdps(50):
        mu, var = batch_stats(mp, [mp.mpf(v) for v in (-3, -1, 1, 3)])
        assert mu == 0 and var == 5


def test_normalized_batch_is_centred_with_norm_squared_m_at_eps_zero():
    with mp.workdps(60):
        yhat = normalize(mp, [mp.mpf(v) for v in (1, 2, 4, 8, 16)], 0)
        assert abs(mp.fsum(yhat)) < mp.mpf(10) ** -55
        assert abs(mp.fsum([h * h for h in yhat]) - 5) < mp.mpf(10) ** -55


def test_numerical_gradient_matches_an_exact_derivative_to_many_digits():
    # d/dy_1 of sum(z^2)/2 with z = BN(y): exact value via the rational formula at eps = 1.
    y = [mp.mpf(v) for v in (0, 1, 3)]
    f = lambda v: mp.fsum([z ** 2 for z in bn_forward(mp, v, 1, 0, 1)]) / 2
    grad = mp_gradient(f, y, 50)
    with mp.workdps(70):
        # sum z^2 = m sigma^2/(sigma^2+1) depends on y only through sigma^2 = 14/9;
        # d sigma^2/dy_i = 2 (y_i - mu)/m; so df/dy_i = (m/2) * 1/(sigma^2+1)^2 * 2 (y_i - mu)/m.
        var = mp.mpf(14) / 9
        exact = [(yi - mp.mpf(4) / 3) / (var + 1) ** 2 for yi in y]
        assert max(abs(a - b) for a, b in zip(grad, exact)) < mp.mpf(10) ** -45
    assert mpmath.mp.dps == 15


def test_rel_err_is_the_difference_over_the_larger_magnitude():
    with mpmath.workdps(30):
        assert rel_err(mp, mp.mpf(3), mp.mpf(2)) == mp.mpf(1) / 3
        assert rel_err(mp, mp.mpf(-2), mp.mpf(2)) == 2
        assert rel_err(mp, mp.mpf(5), mp.mpf(5)) == 0
        assert rel_err(mp, mp.mpf(0), mp.mpf(0)) == 0                     # no 0/0
        assert rel_err(mp, mp.mpf(0), mp.mpf("1e-40")) == 1
        assert rel_err(mp, mp.mpf(2), mp.mpf(3)) == rel_err(mp, mp.mpf(3), mp.mpf(2))


def test_vec_rel_err_is_the_max_difference_over_the_largest_entry():
    with mpmath.workdps(30):
        a, b = [mp.mpf(1), mp.mpf(-4)], [mp.mpf(1), mp.mpf(-3)]
        assert vec_rel_err(mp, a, b) == mp.mpf(1) / 4                     # entry-wise max over max |entry|
        assert vec_rel_err(mp, [mp.mpf(10), mp.mpf(0)], [mp.mpf(10), mp.mpf(1)]) == mp.mpf(1) / 10
        assert vec_rel_err(mp, [mp.mpf(0)] * 2, [mp.mpf(0)] * 2) == 0
        assert vec_rel_err(mp, [mp.mpf(0)], [mp.mpf("1e-50")]) == 1
