"""Tests for numerics.strategies: the drawn BN cases cover the hard regimes and are valid."""
from fractions import Fraction

from hypothesis import given, settings

from bnclaims.numerics.strategies import EPS_VALUES, FLAVOURS, bn_cases


@settings(max_examples=60)
@given(bn_cases())
def test_cases_are_valid_bn_inputs(case):
    assert 2 <= case.m <= 300 and len(case.g) == case.m
    assert len(set(case.y)) > 1 and case.gamma != 0
    assert case.eps in EPS_VALUES and case.flavour in FLAVOURS


def test_every_flavour_and_eps_is_reachable():
    seen_f, seen_e = set(), set()

    @settings(max_examples=150, database=None)
    @given(bn_cases(max_m=12))
    def collect(case):
        seen_f.add(case.flavour)
        seen_e.add(case.eps)

    collect()
    assert seen_f == set(FLAVOURS) and seen_e == set(EPS_VALUES)



_DOCUMENTED = {"generic": (0, 1.0), "near_constant": (3, 1e-20), "huge": (0, 1e30), "tiny": (0, 1e-30),
               "large_mean": (10**8, 1.0)}


def _drawn(strategy, n):
    cases = []

    @settings(max_examples=n, database=None, derandomize=True)
    @given(strategy)
    def collect(case):
        cases.append(case)

    collect()
    return cases


def _undone(case):
    """The drawn values behind a case's batch: offset and scale of its flavour undone (exact)."""
    offset, scale = _DOCUMENTED[case.flavour]
    return [(v - offset) / Fraction(scale) for v in case.y]


def test_small_batches_are_the_documented_scale_and_offset_of_integers_in_minus_8_to_8():
    """The module docstring's flavours, typed again here: generic (scale 1), near-constant (3 + 1e-20
    noise), huge (1e30), tiny (1e-30), large mean (1e8 + noise); eps in {0, 1e-5, 1} (the claims' scopes
    say so). Small batches are drawn value by value as integers in [-8, 8] (bn_jacobian shrinks to
    those): undoing offset and scale must give them back; their upstream gradients are integers in
    [-8, 8] too, of both signs."""
    eps_documented = {Fraction(0), Fraction(1, 10**5), Fraction(1)}
    cases = _drawn(bn_cases(max_m=8), 200)
    for c in cases:
        assert c.eps in eps_documented, c.describe()
        assert all(x.denominator == 1 and -8 <= x <= 8 for x in _undone(c)), c.describe()
        assert all(x.denominator == 1 and -8 <= x <= 8 for x in c.g), c.describe()
    assert {c.flavour for c in cases} == set(FLAVOURS)
    g = [x for c in cases for x in c.g]
    assert min(g) < 0 < max(g)


def test_large_batches_are_the_documented_scale_and_offset_of_standard_gaussian_draws():
    """For m > 8 the undone values are N(0, 1) draws: pooled per flavour (hundreds of values), their
    mean is within 0.25 of 0 and their standard deviation within 0.2 of 1 (several standard errors)."""
    pooled = {}
    for c in _drawn(bn_cases(min_m=9, max_m=40), 200):
        pooled.setdefault(c.flavour, []).extend(float(x) for x in _undone(c))
    assert set(pooled) == set(FLAVOURS)
    for flavour, u in pooled.items():
        mean = sum(u) / len(u)
        sd = (sum((x - mean) ** 2 for x in u) / len(u)) ** 0.5
        assert len(u) > 150 and abs(mean) < 0.25 and abs(sd - 1) < 0.2, (flavour, len(u), mean, sd)


def test_beta_covers_the_documented_range_minus_4_to_4():
    """The module docstring promises beta in [-4, 4]: every draw is inside, and 300 seeded draws reach
    within 1/2 of both ends."""
    from hypothesis import seed as hyp_seed

    from bnclaims.numerics import strategies

    betas = []

    @hyp_seed(20251122)
    @settings(max_examples=300, database=None, deadline=None)
    @given(bn_cases(max_m=4))
    def draw(case):
        betas.append(case.beta)

    draw()
    assert all(-4 <= b <= 4 for b in betas) and max(betas) > 3.5 and min(betas) < -3.5
    assert "beta in [-4, 4]" in strategies.__doc__
