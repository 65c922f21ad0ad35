"""Every counterexample the suite has found, pinned and re-checked from the definitions.

Independent of the suite's own modules: BN and its gradient are written out here with sympy
(``diff`` of the definition), so a regression in the checks cannot hide a changed result.
The property tests pin the counterexamples with ``@example`` (STYLE.md, point 8).
"""
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st


def bn_grad_sq_norm(y, g, gamma=1):
    """||d/dy <g, BN_0(y)>||^2 exactly, by sympy differentiation of the definition (eps = 0)."""
    m = len(y)
    ys = sp.symbols(f"y0:{m}")
    mu = sum(ys) / m
    var = sum((v - mu) ** 2 for v in ys) / m
    z = [gamma * (v - mu) / sp.sqrt(var) for v in ys]
    loss = sum(gi * zi for gi, zi in zip(g, z))
    at = dict(zip(ys, y))
    grad = [sp.radsimp(sp.simplify(sp.diff(loss, v).subs(at))) for v in ys]
    yhat = [sp.simplify(zi.subs(at) / gamma) for zi in z]
    sigma2 = sp.Rational(sum((sp.Rational(v) - sp.Rational(sum(y), m)) ** 2 for v in y), m)
    return sp.simplify(sum(c ** 2 for c in grad)), yhat, sigma2


def thm41_rhs(y, g, gamma, power):
    """Right-hand side of Santurkar Thm 4.1 with last coefficient 1/m**power."""
    m = len(y)
    _, yhat, sigma2 = bn_grad_sq_norm(y, g, gamma)
    gy = sum(a * b for a, b in zip(g, yhat))
    return sp.simplify(gamma ** 2 / sigma2 * (sum(a * a for a in g) - sp.Rational(sum(g)) ** 2 / m
                                              - gy ** 2 / sp.Integer(m) ** power))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(-4, 4), min_size=2, max_size=4).filter(lambda v: len(set(v)) > 1),
       st.data())
@example([-1, 0], None)             # smallest 1/sqrt(m) counterexample found by the suite
@example([-3, -1, 1, 3], None)      # the catalog's C04 instance
def test_thm41_with_1_over_m_is_an_identity_at_eps_zero(y, data):
    g = [1] + [0] * (len(y) - 1) if data is None else data.draw(
        st.lists(st.integers(-3, 3), min_size=len(y), max_size=len(y)))
    lhs, _, _ = bn_grad_sq_norm(y, g)
    assert sp.simplify(lhs - thm41_rhs(y, g, 1, 1)) == 0


def test_thm41_sqrt_m_counterexamples_stay_counterexamples():
    lhs, _, _ = bn_grad_sq_norm([-1, 0], [1, 0])
    rhs = thm41_rhs([-1, 0], [1, 0], 1, sp.Rational(1, 2))
    assert lhs == 0 and sp.simplify(rhs - (2 - 2 * sp.sqrt(2))) == 0 and rhs < 0
    lhs, _, _ = bn_grad_sq_norm([-3, -1, 1, 3], [1, 0, 0, 0])
    assert lhs == sp.Rational(3, 50)
    assert sp.simplify(thm41_rhs([-3, -1, 1, 3], [1, 0, 0, 0], 1, sp.Rational(1, 2)) + sp.Rational(3, 100)) == 0


def test_near_identity_counterexample_has_a_singular_value_far_from_one():
    y = [-1, 0, 0]
    ys = sp.symbols("y0:3")
    mu = sum(ys) / 3
    sd = sp.sqrt(sum((v - mu) ** 2 for v in ys) / 3)
    jac = sp.Matrix([[sp.diff((a - mu) / sd, b) for b in ys] for a in ys]).subs(dict(zip(ys, y)))
    svals = sorted(sp.sqrt(e) for e in (jac.T * jac).eigenvals(multiple=True))
    assert svals[:2] == [0, 0] and sp.simplify(svals[2] - 3 * sp.sqrt(2) / 2) == 0


def test_lemma45_reconstructed_counterexample_distances():
    w_star = sp.Matrix([sp.Rational(17, 3), sp.Rational(11, 3)])
    x = sp.Matrix([[1, 0], [0, 1], [1, 1]])
    assert x.T * (x * w_star - sp.Matrix([6, 4, 9])) == sp.zeros(2, 1)   # W* is the bias-free optimum
    u = sp.Matrix([5, 3])                                                  # BN-optimal direction

    def dist2_to_ray(w0):
        t = max((w0.dot(u)) / u.dot(u), 0)
        return sp.simplify((w0 - t * u).dot(w0 - t * u))

    def rhs(w0):
        return sp.simplify((w0 - w_star).dot(w0 - w_star) - (w_star.dot(w_star) - w_star.dot(w0)) ** 2 / w_star.dot(w_star))

    assert dist2_to_ray(w_star) == sp.Rational(8, 153) and rhs(w_star) == 0
    w0 = sp.Matrix([6, 4])
    assert dist2_to_ray(w0) == sp.Rational(2, 17) and rhs(w0) == sp.Rational(2, 205)


def test_rao_appendix_b_step_counterexample():
    zbar = sp.Matrix([[sp.sqrt(2), 0], [0, sp.sqrt(2)]])                  # rows: batch entries a
    cross = [sum(zbar[a, i] * zbar[b, i] for a in range(2) for b in range(2)) / 4 for i in range(2)]
    square = [sum(zbar[a, i] ** 2 for a in range(2)) / 2 for i in range(2)]
    assert cross == [sp.Rational(1, 2)] * 2 and square == [1, 1]


def test_decoupling_seed_formula_counterexample():
    y = [1, 2]
    mu, sd = sp.Rational(3, 2), sp.Rational(1, 2)
    assert (y[0] - mu) / sd == -1
    assert sp.simplify(y[0] / sp.sqrt(sum(v * v for v in y)) - sp.sqrt(5) / 5) == 0
