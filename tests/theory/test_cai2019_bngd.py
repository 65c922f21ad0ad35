"""Tests for theory/cai2019_bngd.py (Cai, Li, Shen 2019: effective condition number, BNGD lemma)."""
import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.theory import cai2019_bngd as t


def test_downdate_at_an_exact_rational_point_kills_u_and_keeps_spectrum_inside():
    h = sp.Matrix([[2, 1, 0], [1, 3, 1], [0, 1, 4]])
    u = sp.Matrix([1, -2, 1])
    m = t.modified_matrix(h, u)
    assert m * u == sp.zeros(3, 1)
    ev_h = [sp.N(e, 30) for e in h.eigenvals(multiple=True)]
    ev_m = sorted(sp.N(e, 30) for e in m.eigenvals(multiple=True))
    assert abs(ev_m[0]) < 1e-25
    assert min(ev_h) - 1e-25 <= ev_m[1] and ev_m[2] <= max(ev_h) + 1e-25


def test_condition_number_bound_is_proved_and_update_twin_is_refuted():
    assert t.prove_condition_number_bound(Context(preset="quick"), dims=(2, 3)).verdict is Verdict.PROVED
    out = t.prove_condition_number_bound(Context(preset="quick"), sign=1, dims=(2, 3))
    assert out.verdict is Verdict.REFUTED
    assert out.evidence["counterexample"]["kappa_modified"] == "20"


def test_charpoly_signs_alternate_for_the_downdate_in_dimension_three():
    p = t.charpoly_sign_pattern(3, -1)
    assert p["p0_zero"] and p["lemma_matches"] and p["signs"] == [1, -1, 1]


def test_bngd_weight_step_is_orthogonal_to_w_so_norm_never_decreases():
    out = t.prove_bngd_weight_norm_growth(2)
    assert out["orthogonal"] and out["norm_identity"]


def test_derivation_steps_follow_the_outcome_and_the_scope_states_the_assumptions():
    ok = t.prove_condition_number_bound(Context(preset="quick"), dims=(2, 3))
    twin = t.prove_condition_number_bound(Context(preset="quick"), sign=1, dims=(2, 3))
    ok_text = " ".join(s[0] for s in ok.steps)
    twin_text = " ".join(s[0] for s in twin.steps)
    assert "Interlacing gives the bound" in ok_text and "H^*u=0" in ok.steps[1][1]
    assert "Interlacing gives the bound" not in twin_text and "fails" in twin_text
    assert "H^*u=0" not in " ".join(s[1] for s in twin.steps)
    # the twin's counterexample step: diag(1, 10), u = e2 gives diag(1, 20), kappa 20 > 10
    assert r"\kappa=20>10" in twin.steps[-1][1]
    for phrase in ("distinct eigenvalues", "u_k != 0", "machine-checked up to d = 3"):
        assert phrase in ok.scope


def test_the_secular_function_places_a_root_at_zero_and_alternates_for_symbolic_d():
    down = t.secular_symbolic_d(-1)
    assert down["f_at_0"] == 0 and down["alternates"] and down["top_positive"] and down["holds_for_symbolic_d"]
    d, m = sp.symbols("d m", integer=True, positive=True)
    # spot-check the symbolic sign against the explicit d = 4 characteristic polynomial
    explicit = t.charpoly_sign_pattern(4, -1)["signs"]
    assert [int(down["sign_at_l_m"].subs({d: 4, m: i})) for i in (1, 2, 3, 4)] == explicit


def test_the_update_has_no_zero_root_and_its_top_sign_puts_a_root_above_l_d():
    up = t.secular_symbolic_d(1)
    assert up["f_at_0"] == 2 and not up["top_positive"] and not up["holds_for_symbolic_d"]


def test_the_scope_names_what_is_mechanized_for_symbolic_d_and_what_is_quoted():
    out = t.prove_condition_number_bound(Context(preset="quick"), dims=(2, 3))
    assert "interlacing for symbolic d" in out.scope and "matrix determinant lemma" in out.scope
    assert out.evidence["symbolic_d"]["alternates"] is True


def test_a_search_that_reaches_the_cube_root_eigenvalues_returns_a_verdict():
    """At sign = -2 no 2x2 candidate refutes, so the search reaches the 3x3 ones, whose eigenvalues are
    cube-root radicals that evaluate with a ~1e-58 imaginary part: they must still be ordered (no
    TypeError), and nothing is refuted or proved there."""
    out = t.prove_condition_number_bound(Context(preset="quick"), sign=-2)
    assert out.verdict is Verdict.INCONCLUSIVE and out.evidence.get("counterexample") is None
