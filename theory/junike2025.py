"""Lemma 4.5 of Santurkar et al. (2018) is false: the exact single-neuron counterexample.

Junike & Dannemann (2025), "Batch normalization does not improve initialization"
(bibkey ``junike2025batch``; arXiv 2502.17913) refute Santurkar et al. (2018, bibkey
``santurkar2018how``), Lemma 4.5: if ``<W0, W*> > 0`` and ``W*``, ``What*`` are the closest
optima of the standard and the BN network,

    ||W0 - What*||^2 <= ||W0 - W*||^2 - (||W*||^2 - <W*, W0>)^2 / ||W*||^2.

The paper's own numbers were not available; this module works the *reconstructed* example of
the claims catalog (C08) from scratch in exact sympy arithmetic: one neuron, identity
activation, no bias, squared loss ``L(w) = 1/2 sum_i (x_i^T w - y_i)^2``, BN at eps = 0 over the
whole data set (``m = 3``): ``x = (1,0), (0,1), (1,1)``, ``y = (6, 4, 9)``.

"Closest BN optimum" is read as in the catalog: the left-hand side is the squared distance
from ``W0`` to the set of weight vectors ``w`` at which the BN loss attains its global minimum
(an infimum where the set is an open ray and the foot point is not in it). Two optimum sets:
``gamma = 1, beta = 0`` fixed (the weights alone are trained) and ``gamma, beta`` trainable
(the weight components of the global minimizers).
"""
from __future__ import annotations

import sympy as sp

from bnclaims.context import Context
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.theory.exact_numbers import exact_number

__all__ = [
    "c08_data", "standard_loss", "bn_loss", "standard_optimum", "fixed_bn_optimum",
    "trainable_bn_optimum", "dist2_to_ray", "dist2_to_punctured_line", "lemma45_rhs",
    "refute_lemma45_exact",
]

W1, W2 = sp.symbols("w_1 w_2", real=True)
GAMMA, BETA = sp.symbols("gamma beta", real=True)
T = sp.symbols("t", positive=True)


def c08_data() -> tuple[sp.Matrix, sp.Matrix]:
    """The catalog's C08 data: rows of X are x_1=(1,0), x_2=(0,1), x_3=(1,1); y=(6,4,9)."""
    return sp.Matrix([[1, 0], [0, 1], [1, 1]]), sp.Matrix([6, 4, 9])


def standard_loss(X: sp.Matrix, y: sp.Matrix, w: sp.Matrix) -> sp.Expr:
    """L(w) = 1/2 ||X w - y||^2 (single neuron, identity activation, no bias)."""
    r = X * w - y
    return sp.Rational(1, 2) * (r.T * r)[0]


def bn_loss(X: sp.Matrix, y: sp.Matrix, w: sp.Matrix, gamma: sp.Expr, beta: sp.Expr) -> sp.Expr:
    """BN loss 1/2 sum_i (gamma (x_i^T w - mu_B)/sigma_B + beta - y_i)^2, eps = 0, 1/m variance."""
    m = X.shape[0]
    v = X * w
    mu = sum(v) / m
    c = v - mu * sp.ones(m, 1)
    sigma = sp.sqrt((c.T * c)[0] / m)
    return sp.Rational(1, 2) * sum((gamma * c[i] / sigma + beta - y[i]) ** 2 for i in range(m))


def standard_optimum(X: sp.Matrix, y: sp.Matrix) -> tuple[sp.Matrix, sp.Expr, sp.Matrix]:
    """W* solving grad L = 0 exactly, L(W*), and the Hessian X^T X (positive definite => unique min)."""
    w = sp.Matrix([W1, W2])
    L = standard_loss(X, y, w)
    sol = sp.solve([sp.diff(L, v) for v in (W1, W2)], [W1, W2], dict=True)
    if len(sol) != 1:
        raise ValueError(f"the standard loss has {len(sol)} critical points, expected one")
    Wstar = sp.Matrix([sol[0][W1], sol[0][W2]])
    return Wstar, exact_number(L.subs(sol[0])), sp.hessian(L, (W1, W2))


def fixed_bn_optimum(X: sp.Matrix, y: sp.Matrix) -> dict:
    """Optimal weights of the BN neuron with gamma = 1, beta = 0 fixed.

    The loss is scale invariant (``Lhat(t w) = Lhat(w)``, t > 0), so it is a continuous
    function on the unit circle whose minimum is attained at a critical point. The gradient
    factors as ``(a w_1 - b w_2) * (nonvanishing)``: the critical set is the line a w_1 = b w_2
    without 0; of its two rays the one with the smaller loss is the optimum set.
    """
    w = sp.Matrix([W1, W2])
    Lhat = bn_loss(X, y, w, 1, 0)
    grad = [sp.factor(sp.simplify(sp.diff(Lhat, v))) for v in (W1, W2)]
    crit = sp.solve(grad, [W1, W2], dict=True)
    lines = [c for c in crit if len(c) == 1]
    if len(lines) != 1:
        raise ValueError(f"unexpected critical set {crit}")
    (var, val), = lines[0].items()
    free = W2 if var == W1 else W1
    direction = sp.Matrix([val.subs(free, 1), 1]) if var == W1 else sp.Matrix([1, val.subs(free, 1)])
    direction = direction / sp.gcd(list(direction)) if all(d.is_Rational for d in direction) else direction
    plus = sp.simplify(sp.expand(Lhat.subs({W1: direction[0], W2: direction[1]})))
    minus = sp.simplify(sp.expand(Lhat.subs({W1: -direction[0], W2: -direction[1]})))
    if sp.simplify(plus - minus).is_negative:
        u, best, worst = direction, plus, minus
    else:
        u, best, worst = -direction, minus, plus
    scale_inv = sp.simplify(Lhat.subs({W1: T * W1, W2: T * W2}, simultaneous=True) - Lhat)
    return {"loss": Lhat, "grad": grad, "u": u, "min": best, "max": worst,
            "scale_invariance_residual": scale_inv}


def trainable_bn_optimum(X: sp.Matrix, y: sp.Matrix) -> dict:
    """Optimum of the BN neuron with gamma, beta trainable: profile out (gamma, beta) exactly.

    For fixed w the loss is a convex quadratic in (gamma, beta); substituting its minimizer
    leaves a profile loss in w alone. Where the profile vanishes the loss is 0 = its global min.
    """
    w = sp.Matrix([W1, W2])
    Lhat = bn_loss(X, y, w, GAMMA, BETA)
    sol = sp.solve([sp.diff(Lhat, GAMMA), sp.diff(Lhat, BETA)], [GAMMA, BETA], dict=True)
    if len(sol) != 1:
        raise ValueError(f"expected one (gamma, beta) minimizer, got {sol}")
    profile = sp.factor(sp.simplify(Lhat.subs(sol[0])))
    num, den = sp.fraction(profile)
    zero_set = sp.solve(num, [W1, W2], dict=True)
    return {"loss": Lhat, "gamma_beta": sol[0], "profile": profile, "numerator": num,
            "denominator": den, "zero_set": zero_set}


def dist2_to_ray(W0: sp.Matrix, u: sp.Matrix) -> sp.Expr:
    """inf_{t > 0} ||W0 - t u||^2 = ||W0||^2 - max(<W0,u>, 0)^2 / ||u||^2."""
    p = (W0.T * u)[0]
    return exact_number((W0.T * W0)[0] - sp.Max(p, 0) ** 2 / (u.T * u)[0])


def dist2_to_punctured_line(W0: sp.Matrix, u: sp.Matrix) -> sp.Expr:
    """inf_{t != 0} ||W0 - t u||^2 = ||W0||^2 - <W0,u>^2 / ||u||^2."""
    return exact_number((W0.T * W0)[0] - (W0.T * u)[0] ** 2 / (u.T * u)[0])


def lemma45_rhs(W0: sp.Matrix, Wstar: sp.Matrix) -> sp.Expr:
    """Santurkar et al. (2018), Lemma 4.5, right-hand side, literally."""
    d = W0 - Wstar
    n2 = (Wstar.T * Wstar)[0]
    return exact_number((d.T * d)[0] - (n2 - (Wstar.T * W0)[0]) ** 2 / n2)


def refute_lemma45_exact(ctx: Context) -> Outcome:
    """Exact refutation of Santurkar et al. (2018), Lemma 4.5 (Junike & Dannemann 2025).

    Every quantity is derived, not copied: W* from grad L = 0, the BN optimum sets from the
    factored gradient / profile loss, then both sides of the lemma at W0 = W* and W0 = (6,4).
    The verdict is ``refuted`` only if the hypotheses hold (<W0,W*> > 0, W* the unique standard
    minimizer) and LHS > RHS exactly for some W0 and both optimum sets.
    """
    X, y = c08_data()
    Wstar, Lstar, H = standard_optimum(X, y)
    pd = all(ev.is_positive for ev in H.eigenvals())
    fixed = fixed_bn_optimum(X, y)
    train = trainable_bn_optimum(X, y)
    u = fixed["u"]
    # the trainable set: zero profile loss exactly on the line through u (w != 0)
    line_ok = all(sp.simplify(sol.get(W1, W1) * u[1] - sol.get(W2, W2) * u[0]) == 0
                  for sol in train["zero_set"]) and bool(train["zero_set"])
    gam = sp.radsimp(train["gamma_beta"][GAMMA].subs({W1: u[0], W2: u[1]}))
    bet = train["gamma_beta"][BETA]
    zero_loss = sp.simplify(train["loss"].subs({W1: u[0], W2: u[1], GAMMA: gam, BETA: bet}))
    grad_at_Wstar = [sp.radsimp(sp.simplify(g.subs({W1: Wstar[0], W2: Wstar[1]}))) for g in fixed["grad"]]
    rows = []
    exprs: dict = {"W_star": Wstar, "L_W_star": Lstar, "u_star": u,
                   "Lhat_fixed_min": fixed["min"], "profile_loss": train["profile"],
                   "gamma_opt": gam, "beta_opt": bet,
                   "grad_fixed_at_W_star": sp.Matrix(grad_at_Wstar)}
    violated_all = True
    for name, W0 in (("W0=W*", Wstar), ("W0=(6,4)", sp.Matrix([6, 4]))):
        ip = (W0.T * Wstar)[0]
        rhs = lemma45_rhs(W0, Wstar)
        lhs_fixed = dist2_to_ray(W0, u)
        lhs_train = dist2_to_punctured_line(W0, u)
        ok = bool(ip > 0) and bool(lhs_fixed > rhs) and bool(lhs_train > rhs)
        violated_all &= ok
        rows.append({"W0": [str(c) for c in W0], "inner_W0_Wstar": str(ip), "rhs": str(rhs),
                     "lhs_fixed_gamma1_beta0": str(lhs_fixed), "lhs_trainable": str(lhs_train),
                     "violated": ok})
        key = "W_star" if W0 is Wstar else "W0_64"
        exprs[f"rhs_{key}"], exprs[f"lhs_fixed_{key}"], exprs[f"lhs_trainable_{key}"] = rhs, lhs_fixed, lhs_train
    hyp_ok = pd and sp.simplify(fixed["scale_invariance_residual"]) == 0 and line_ok and zero_loss == 0
    verdict = Verdict.REFUTED if (hyp_ok and violated_all) else Verdict.INCONCLUSIVE
    L = sp.latex
    steps = [
        ("Data (reconstructed): single neuron, identity activation, no bias, squared loss.",
         r"X=" + L(X) + r",\quad y=" + L(y)),
        ("Standard optimum from $\\nabla L=0$; the Hessian $X^\\top X$ is positive definite.",
         r"W^*=" + L(Wstar) + r",\quad L(W^*)=" + L(Lstar) + r",\quad \nabla^2L=" + L(H)),
        ("BN loss with $\\gamma=1,\\beta=0$ is scale invariant; its gradient factors, so the critical set is a line.",
         r"\partial_{w_1}\hat L=" + L(fixed["grad"][0])),
        ("Of the two critical rays the one through $u^*$ has the smaller loss: the fixed-$(\\gamma,\\beta)$ optimum set is $\\{tu^*:t>0\\}$.",
         r"u^*=" + L(u) + r",\quad \hat L(u^*)=" + L(fixed["min"]) + r",\quad \hat L(-u^*)=" + L(fixed["max"])),
        ("Trainable $\\gamma,\\beta$: the profile loss vanishes exactly on $\\{tu^*:t\\neq0\\}$.",
         r"\min_{\gamma,\beta}\hat L=" + L(train["profile"]) + r",\quad \gamma=" + L(gam) + r",\ \beta=" + L(bet)),
        ("$W^*$ is not BN-optimal: gradient at $W^*$ ($\\gamma=1,\\beta=0$).",
         r"\nabla_w\hat L(W^*)=" + L(sp.Matrix(grad_at_Wstar).T)),
        ("Lemma 4.5 at $W_0=W^*$: right-hand side 0, left-hand side positive (both optimum sets).",
         r"\mathrm{RHS}=" + L(exprs["rhs_W_star"]) + r",\quad \mathrm{LHS}=" + L(exprs["lhs_trainable_W_star"])),
        ("Lemma 4.5 at $W_0=(6,4)$.",
         r"\mathrm{RHS}=" + L(exprs["rhs_W0_64"]) + r",\quad \mathrm{LHS}=" + L(exprs["lhs_trainable_W0_64"])),
    ]
    evidence = {"W_star": [str(c) for c in Wstar], "L_W_star": str(Lstar), "hessian_pd": pd,
                "u_star": [str(c) for c in u], "fixed_opt_set": "{t u*: t > 0}",
                "fixed_min_loss": str(fixed["min"]), "trainable_opt_set": "{t u*: t != 0}",
                "trainable_gamma": str(gam), "trainable_beta": str(bet), "trainable_min_loss": str(zero_loss),
                "grad_fixed_at_W_star": [str(g) for g in grad_at_Wstar], "cases": rows,
                "source_of_numbers": "reconstructed example, derived here in sympy",
                # every comparison above is between exact sympy numbers (rationals and radicals)
                **({"exact": True} if verdict is Verdict.REFUTED else {})}
    if verdict is Verdict.REFUTED:  # the data and the first W0 (= W*)
        first = rows[0]
        evidence["counterexample"] = {"X": [[int(v) for v in X.row(r)] for r in range(X.rows)],
                                      "y": [int(v) for v in y], "W0": first["W0"], "rhs": first["rhs"],
                                      "lhs_trainable": first["lhs_trainable"]}
    return Outcome(verdict=verdict, evidence=evidence, steps=steps, exprs=exprs,
                   scope="exact sympy, one data set (m = 3, d = 2, eps = 0), both BN optimum sets")
