"""Tests for numerics.search: properties report their largest error; violations shrink."""
from hypothesis import strategies as st

from bnclaims.numerics.search import run_property, shrink


def test_a_true_property_reports_its_cases_and_largest_error():
    rep = run_property(st.integers(0, 100), lambda n: (n, n <= 100), max_examples=40, seed=3)
    assert not rep.violated and rep.cases == 40 and rep.max_error <= 100


def test_a_false_property_is_shrunk_to_the_minimal_counterexample():
    rep = run_property(st.integers(0, 10**6), lambda n: (n, n < 1000), max_examples=200, seed=3)
    assert rep.violated and rep.shrunk == 1000


def test_shrink_returns_none_when_nothing_violates():
    assert shrink(st.integers(0, 5), lambda n: n > 5, seed=1) is None


def test_runs_are_deterministic_given_the_seed():
    a = run_property(st.floats(0, 1), lambda x: (x, True), max_examples=30, seed=11)
    b = run_property(st.floats(0, 1), lambda x: (x, True), max_examples=30, seed=11)
    assert a.max_error == b.max_error
