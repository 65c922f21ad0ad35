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


def test_the_numerical_gradient_works_at_dps_plus_twenty_digits_as_documented():
    """The docstring promises evaluation at ``dps + 20`` digits: a fixed guard, so --dps 1000 works at
    1020 digits (not at a multiple of dps). d/dt (t/3) = 1/3 comes back good to dps digits and carries
    exactly the digits of the working precision: rounding it to dps + 20 digits leaves it unchanged,
    rounding to dps + 19 does not (1/3 has no finite binary expansion)."""
    assert "dps + 20" in mp_gradient.__doc__
    for dps in (30, 60):
        d = mp_gradient(lambda v: v[0] / 3, [mp.mpf(1)], dps)[0]
        with mp.workdps(dps + 20):
            assert +d == d                                    # no more digits than dps + 20
        with mp.workdps(dps + 19):
            assert +d != d                                    # and no fewer
        with mp.workdps(dps + 40):
            assert abs(d - mp.mpf(1) / 3) < mp.mpf(10) ** -dps
            assert +d != mp.mpf(1) / 3                          # 1/3 is not exact at dps + 20 digits
