"""Observation 4.3 and Lemma 4.5 of Santurkar et al. (2018), symbolically (sympy only).

Santurkar, Tsipras, Ilyas, Madry (2018), "How does batch normalization help optimization?"
(bibkey ``santurkar2018how``), Section 4.2:

* Observation 4.3: with ``gamma = sigma_j``, ``beta = mu_j`` a BN layer reproduces the
  un-normalized activations (catalog C06); at eps > 0 the scale is ``sqrt(sigma^2 + eps)``.
  "Consequently all minima of the normal landscape are preserved": true as ``inf Lhat <= inf L``,
  false in the strong sense that minima map to *critical points* of the BN loss.
* Lemma 4.5, algebraic content (catalog C07): its right-hand side equals
  ``||W0||^2 - <W*,W0>^2/||W*||^2 = dist(W0, span W*)^2``.

Each check takes the formula under test as a parameter, so the false twins run the same code.
"""
from __future__ import annotations

import itertools
from functools import partial
from typing import Callable

import sympy as sp

from bnclaims.context import Context
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.theory.exact_numbers import exact_nonzero, exact_number
from bnclaims.theory.junike2025 import bn_loss, c08_data, standard_optimum

__all__ = [
    "gamma_sqrt_var_eps", "gamma_var_eps", "check_reparametrization", "check_reparametrization_twin",
    "refute_minima_are_critical", "rhs_lemma45", "rhs_lemma45_t3", "check_rhs_is_distance",
    "check_rhs_is_distance_twin",
]

# --------------------------------------------------------------------------- Observation 4.3

GammaFn = Callable[[sp.Expr, sp.Expr], sp.Expr]


def gamma_sqrt_var_eps(var: sp.Expr, eps: sp.Expr) -> sp.Expr:
    """The reparametrization of Observation 4.3: gamma = sqrt(sigma^2 + eps) (= sigma at eps = 0)."""
    return sp.sqrt(var + eps)


def gamma_var_eps(var: sp.Expr, eps: sp.Expr) -> sp.Expr:
    """The false twin: gamma = sigma^2 + eps (sigma^2 at eps = 0), an exponent changed."""
    return var + eps


def _batch_stats(y: list) -> tuple[sp.Expr, sp.Expr]:
    m = len(y)
    mu = sp.Add(*y) / m
    return mu, sp.Add(*[(v - mu) ** 2 for v in y]) / m


def check_reparametrization(ctx: Context, gamma_of: GammaFn = gamma_sqrt_var_eps) -> Outcome:
    """Santurkar et al. (2018), Obs. 4.3: z_i = gamma (y_i - mu)/sqrt(sigma^2+eps) + beta == y_i.

    Symbolic m: the residual z_i - y_i depends on the batch only through y_i, mu and
    s^2 = sigma^2 + eps > 0, so simplifying it with those as free symbols proves the identity
    for every batch size m and every i. The explicit batches m = 2..5 (symbols y_1..y_m, eps)
    are a second, independent simplification. If the residual is not 0, small integer
    batches are searched for an exact counterexample.
    """
    yi, mu = sp.symbols("y_i mu", real=True)
    var = sp.Symbol("sigma^2", nonnegative=True)
    eps = sp.Symbol("varepsilon", nonnegative=True)
    s2 = sp.Symbol("s^2", positive=True)  # s^2 = sigma^2 + eps > 0, the BN hypothesis
    gamma = gamma_of(var, eps).subs(var + eps, s2)
    resid = sp.simplify(gamma * (yi - mu) / sp.sqrt(s2) + mu - yi)
    steps = [("BN output with the reparametrization $\\beta=\\mu$ (any $m$, any index $i$).",
              r"z_i-y_i=\gamma\frac{y_i-\mu}{\sqrt{\sigma^2+\varepsilon}}+\mu-y_i,\quad \gamma="
              + sp.latex(gamma_of(var, eps))),
             ("Residual with $s^2=\\sigma^2+\\varepsilon>0$ free: depends on $y_i,\\mu,s$ only.",
              r"z_i-y_i=" + sp.latex(resid))]
    explicit = []
    for m in (range(2, 6) if resid == 0 else ()):
        ys = list(sp.symbols(f"y_1:{m + 1}", real=True))
        mu_m, var_m = _batch_stats(ys)
        g = gamma_of(var_m, eps)
        res_m = [sp.simplify(g * (v - mu_m) / sp.sqrt(var_m + eps) + mu_m - v) for v in ys]
        explicit.append(all(r == 0 for r in res_m))
    exprs = {"residual": resid}
    if resid == 0 and all(explicit):
        return Outcome(verdict=Verdict.PROVED, steps=steps, exprs=exprs,
                       evidence={"residual": "0", "explicit_m_2_to_5": explicit},
                       scope="symbolic m >= 2, every index i, eps >= 0 symbolic with sigma^2 + eps > 0")
    for m, e in itertools.product((2, 3), (0, 1)):
        for yv in itertools.product(range(-2, 3), repeat=m):
            mu_v, var_v = _batch_stats([sp.Integer(v) for v in yv])
            if var_v + e == 0:
                continue
            g = gamma_of(var_v, sp.Integer(e))
            z = [exact_number(g * (v - mu_v) / sp.sqrt(var_v + e) + mu_v) for v in yv]
            if any(sp.simplify(zv - v) != 0 for zv, v in zip(z, yv)):
                steps.append(("Exact counterexample (small integer batch).",
                              r"y=" + sp.latex(sp.Matrix(yv).T) + r",\ \varepsilon=" + str(e)
                              + r",\ z=" + sp.latex(sp.Matrix(z).T)))
                return Outcome(verdict=Verdict.REFUTED, steps=steps, exprs=exprs,
                               evidence={"residual": str(resid), "counterexample": {
                                   "y": list(yv), "eps": e, "gamma": str(g), "beta": str(mu_v),
                                   "z": [str(v) for v in z]}, "exact": True},
                               scope="symbolic residual; exact counterexample among integer batches m = 2, 3")
    return Outcome(verdict=Verdict.INCONCLUSIVE, steps=steps, exprs=exprs,
                   evidence={"residual": str(resid), "explicit_m_2_to_5": explicit},
                   scope="symbolic residual nonzero but no integer counterexample found")


check_reparametrization_twin = partial(check_reparametrization, gamma_of=gamma_var_eps)


def refute_minima_are_critical(ctx: Context) -> Outcome:
    """Santurkar et al. (2018), Obs. 4.3, strong reading: minima of L are critical points of Lhat.

    On the catalog's C08 data (single bias-free neuron, identity activation, squared loss,
    eps = 0): W* is the unique minimizer of L (grad 0, Hessian positive definite); at
    (W*, gamma = sigma(XW*), beta = mu(XW*)) the BN loss equals L(W*) but its exact gradient in
    (w, gamma, beta) is not 0. ``refuted`` requires both facts, computed here.
    """
    X, y = c08_data()
    Wstar, Lstar, H = standard_optimum(X, y)
    w1, w2, g, b = sp.symbols("w_1 w_2 gamma beta", real=True)
    Lhat = bn_loss(X, y, sp.Matrix([w1, w2]), g, b)
    v = X * Wstar
    mu, var = _batch_stats(list(v))
    point = {w1: Wstar[0], w2: Wstar[1], g: sp.sqrt(var), b: mu}
    value = exact_number((Lhat.subs(point)))
    grad = [sp.radsimp(sp.simplify(sp.diff(Lhat, p).subs(point))) for p in (w1, w2, g, b)]
    minimum = all(ev.is_positive for ev in H.eigenvals())
    nonzero = [gi != 0 for gi in grad]
    verdict = Verdict.REFUTED if (minimum and sp.simplify(value - Lstar) == 0 and any(nonzero)) \
        else Verdict.INCONCLUSIVE
    G = sp.Matrix(grad)
    steps = [("Standard minimizer (C08 data) and the reparametrized BN point of Obs. 4.3.",
              r"W^*=" + sp.latex(Wstar.T) + r",\ \gamma=\sigma(XW^*)=" + sp.latex(point[g])
              + r",\ \beta=\mu(XW^*)=" + sp.latex(mu)),
             ("Same loss value (the reparametrization reproduces the activations).",
              r"\hat L=" + sp.latex(value) + "=L(W^*)"),
             ("Exact gradient of the BN loss in $(w_1,w_2,\\gamma,\\beta)$ there: not zero.",
              r"\nabla\hat L=" + sp.latex(G.T))]
    return Outcome(verdict=verdict, steps=steps, exprs={"gradient": G, "value": value},
                   evidence={**({"counterexample": {"X": [[int(v) for v in X.row(r)] for r in range(X.rows)],
                                                    "y": [int(v) for v in y]}} if verdict is Verdict.REFUTED else {}),
                             "W_star": [str(c) for c in Wstar], "gamma": str(point[g]), "beta": str(mu),
                             "Lhat": str(value), "L_W_star": str(Lstar), "hessian_pd": minimum,
                             "gradient": [str(c) for c in grad],
                             "gradient_float": [f"{float(c):.4f}" for c in grad],
                             **({"exact": True} if verdict is Verdict.REFUTED and any(map(exact_nonzero, grad))
                                else {})},
                   scope="exact sympy, the reconstructed single-neuron data (m = 3, d = 2, eps = 0)")


# --------------------------------------------------------------------------- Lemma 4.5

RhsFn = Callable[[sp.Expr, sp.Expr, sp.Expr], sp.Expr]


def rhs_lemma45(d2: sp.Expr, n2: sp.Expr, ip: sp.Expr) -> sp.Expr:
    """Lemma 4.5 RHS: ||W0-W*||^2 - (||W*||^2 - <W*,W0>)^2/||W*||^2 (d2, n2, ip as named)."""
    return d2 - (n2 - ip) ** 2 / n2


def rhs_lemma45_t3(d2: sp.Expr, n2: sp.Expr, ip: sp.Expr) -> sp.Expr:
    """The false twin: the square of the numerator dropped, as one secondary transcription prints it."""
    return d2 - (n2 - ip) / n2


def check_rhs_is_distance(ctx: Context, rhs: RhsFn = rhs_lemma45) -> Outcome:
    """Santurkar et al. (2018), Lemma 4.5: its RHS equals dist(W0, span W*)^2 (catalog C07).

    Any dimension: with a = ||W0||^2, b = <W0,W*>, c = ||W*||^2 > 0 bilinearity gives
    ||W0-W*||^2 = a - 2b + c and ||W0 - tW*||^2 = a - 2tb + t^2c, minimized at t = b/c (second
    derivative 2c > 0), so dist^2 = a - b^2/c. The RHS minus dist^2 is simplified in a, b, c.
    Independently, coordinates d = 1..6 are expanded. A nonzero residual is refuted by an exact
    integer pair (W0, W*) with <W0,W*> > 0 (the lemma's hypothesis).
    """
    a, b = sp.symbols("a b", real=True)
    c, t = sp.symbols("c t", positive=True)
    quad = a - 2 * t * b + t ** 2 * c
    tstar = sp.solve(sp.diff(quad, t), t)[0]
    dist2 = sp.simplify(quad.subs(t, tstar))
    formula = rhs(a - 2 * b + c, c, b)
    resid = sp.simplify(formula - dist2)
    steps = [("Bilinearity, with $a=\\|W_0\\|^2$, $b=\\langle W_0,W^*\\rangle$, $c=\\|W^*\\|^2>0$.",
              r"\|W_0-tW^*\|^2=" + sp.latex(quad)),
             ("Its minimum over $t$ (at $t=b/c$, curvature $2c>0$) is the squared distance to the span.",
              r"\mathrm{dist}(W_0,\mathrm{span}\,W^*)^2=" + sp.latex(dist2)),
             ("The right-hand side under test, minus the squared distance.",
              r"\mathrm{RHS}=" + sp.latex(sp.simplify(formula)) + r",\quad \mathrm{RHS}-\mathrm{dist}^2="
              + sp.latex(resid))]
    coords_ok = []
    for d in range(1, 7):
        u = sp.Matrix(sp.symbols(f"u_1:{d + 1}", real=True))
        v = sp.Matrix(sp.symbols(f"v_1:{d + 1}", real=True))
        A, B, C = (u.T * u)[0], (u.T * v)[0], (v.T * v)[0]
        diff = u - v
        num, _ = sp.fraction(sp.together(rhs((diff.T * diff)[0], C, B) - (A - B ** 2 / C)))
        coords_ok.append(sp.expand(num) == 0)
    exprs = {"dist2": dist2, "rhs_minus_dist2": resid}
    if resid == 0 and all(coords_ok):
        return Outcome(verdict=Verdict.PROVED, steps=steps, exprs=exprs,
                       evidence={"residual": "0", "coordinates_d_1_to_6": coords_ok},
                       scope="any dimension d (inner-product symbols, W* != 0); coordinates d = 1..6")
    for d in (1, 2):
        for W0 in itertools.product(range(-2, 3), repeat=d):
            for Ws in itertools.product(range(-2, 3), repeat=d):
                A = sum(x * x for x in W0)
                B = sum(x * w for x, w in zip(W0, Ws))
                C = sum(w * w for w in Ws)
                if C == 0 or B <= 0:
                    continue
                D2 = sum((x - w) ** 2 for x, w in zip(W0, Ws))
                lhs = exact_number(rhs(sp.Integer(D2), sp.Integer(C), sp.Integer(B)))
                ref = sp.Rational(A) - sp.Rational(B * B, C)
                if lhs != ref:
                    steps.append(("Exact counterexample with $\\langle W_0,W^*\\rangle>0$.",
                                  r"W_0=" + sp.latex(sp.Matrix(W0).T) + r",\ W^*=" + sp.latex(sp.Matrix(Ws).T)
                                  + r",\ \mathrm{RHS}=" + sp.latex(lhs) + r"\neq" + sp.latex(ref)))
                    return Outcome(verdict=Verdict.REFUTED, steps=steps, exprs=exprs,
                                   evidence={"residual": str(resid), "counterexample": {
                                       "W0": list(W0), "W_star": list(Ws), "rhs": str(lhs),
                                       "dist2": str(ref)}, "exact": True},
                                   scope="symbolic residual in inner-product symbols; exact integer "
                                         "counterexample, d <= 2")
    return Outcome(verdict=Verdict.INCONCLUSIVE, steps=steps, exprs=exprs,
                   evidence={"residual": str(resid), "coordinates_d_1_to_6": coords_ok},
                   scope="no proof and no integer counterexample found")


check_rhs_is_distance_twin = partial(check_rhs_is_distance, rhs=rhs_lemma45_t3)
