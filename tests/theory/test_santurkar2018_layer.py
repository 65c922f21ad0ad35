"""Tests for theory.santurkar2018_layer: the layer-level, eps > 0 forms of Santurkar et al.'s Thms 4.1/4.2."""
import pytest

from bnclaims.theory import santurkar2018_layer as L


def test_the_unit_level_eps_form_of_thm42_is_proved_for_symbolic_m_and_eps():
    r = L.prove_unit_eps_form()
    for key in ("a_closed_form", "z_prime_is_Jv", "g_z_second", "eps0_a_vanishes", "eps0_is_thm42"):
        assert r[key] is True, (key, r["g_z_second_expr"])


def test_the_layer_identity_holds_for_two_units_with_a_coupling_hessian():
    r = L.prove_layer_form(2)
    assert r["identity"] is True, r["difference"]
    assert r["couples_units"] is True  # H's off-diagonal blocks really enter the quadratic form


@pytest.mark.slow
def test_the_layer_identity_holds_for_two_units_of_three_samples():
    assert L.prove_layer_form(3)["identity"] is True


def test_a_single_gamma_over_sigma_factor_does_not_extend_to_a_layer():
    r = L.scalar_factor_fails()
    assert r["nonzero"] is True and r["vanishes_when_equal"] is True, r["difference"]


def test_a_wrong_bn_term_sign_is_not_an_identity():
    import sympy as sp

    q, vv, a, gv, gamma, s2, m = sp.symbols("q vv a gv gamma s2 m", positive=True)
    assert sp.simplify(L.bn_term(q, vv, a, gv, gamma, s2, m) + L.bn_term(q, vv, a, gv, gamma, s2, m)) != 0
