"""Scale invariance of BN in the weights and the "parameter decoupling" formula.

Seed 001 (``wiki2025bn``, "Parameter Decoupling"); Kohler et al. 2019 (``kohler2019exponential``,
length-direction decoupling); Arora et al. 2019 (``arora2019theoretical``, Lemma 2.4: scale
invariance gives <grad, w> = 0 and grad(aw) = grad(w)/a). Catalog sections C09, C10, C11.

A BN unit sees the batch y = Xw (X the m x d batch of inputs). Proofs are for symbolic m and d:
batch sums are written as ``Sum(..., (i, 1, m))`` over an indexed batch and reduced by linearity
to the moments mean(y), sigma^2 = mean(y^2) - mean(y)^2, mean(u), cov(y, u), mean(u^2); the rest
is algebra. Every check takes the formula under test as a parameter (false twins reuse it), and
a refutation is an exact point evaluated on an explicit batch (``ListBatch``, code shared with no
moment reduction), its nonzero difference certified by a minimal polynomial.
"""
from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp

from bnclaims.context import Context
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.theory.exact_numbers import exact_nonzero

__all__ = [
    "SymBatch", "ListBatch", "bn_entry", "exact_nonzero", "linear_in_weights",
    "neg_scale_reflection", "twin_neg_scale_invariant", "prove_scale_invariance",
    "eps_over_a2", "twin_eps_over_a", "prove_invariance_with_eps",
    "GRAD_SCALE_EXPONENT", "TWIN_GRAD_SCALE_EXPONENT", "prove_grad_orthogonal",
    "decoupling_exact", "decoupling_seed", "check_decoupling",
]

M = sp.Symbol("m", integer=True, positive=True)
D = sp.Symbol("d", integer=True, positive=True)
_I = sp.Symbol("i", integer=True, positive=True)
_J = sp.Symbol("j", integer=True, positive=True)
_K = sp.Symbol("k", integer=True, positive=True)
Y, U, X, W, V = (sp.IndexedBase(n) for n in ("y", "u", "X", "w", "v"))
YBAR, UBAR, CYU = sp.symbols("ybar ubar c_yu", real=True)
S2 = sp.Symbol("sigma2", positive=True)       # sigma^2 of y (> 0)
S2U = sp.Symbol("sigma2_u", nonnegative=True)  # variance of u
GAMMA, BETA = sp.symbols("gamma beta", real=True)
EPS = sp.Symbol("epsilon", positive=True)
A_POS = sp.Symbol("a", positive=True)
A_NEG = sp.Symbol("a", negative=True)
T = sp.Symbol("t", real=True)

#: sum_i of a monomial in y_i, u_i  ->  m * (its moment)
_MOMENTS = {sp.Integer(1): 1, Y[_I]: YBAR, Y[_I]**2: YBAR**2 + S2, U[_I]: UBAR,
            U[_I]**2: UBAR**2 + S2U, Y[_I] * U[_I]: CYU + YBAR * UBAR}


def _reduce_sum(summand: sp.Expr, index: sp.Symbol, upper: sp.Expr,
                table: dict | None = None) -> sp.Expr:
    """sum_{index=1}^{upper} summand, by linearity: constants out, monomials to moments."""
    out = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(summand)):
        const, dep = term.as_independent(index, as_Add=False)
        if table is not None:
            if dep not in table:
                raise ValueError(f"no moment for sum of {dep}")
            out += const * upper * table[dep]
        else:
            out += const * sp.Sum(dep, (index, 1, upper))
    return out


class SymBatch:
    """A batch of symbolic size m whose i-th entry is ``entry(i)``, polynomial in y_i, u_i."""

    def __init__(self, entry: Callable[[sp.Expr], sp.Expr]) -> None:
        self.entry, self.size = entry, M

    def total(self, f: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
        return _reduce_sum(f(self.entry(_I)), _I, M, _MOMENTS)

    def at(self) -> sp.Expr:
        """The generic entry j."""
        return self.entry(_J)


class ListBatch:
    """An explicit batch (a list of sympy numbers or expressions)."""

    def __init__(self, values: Sequence[sp.Expr], j: int = 0) -> None:
        self.values, self.size, self.j = [sp.sympify(v) for v in values], len(values), j

    def total(self, f: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
        return sp.Add(*[f(v) for v in self.values])

    def at(self) -> sp.Expr:
        return self.values[self.j]


Batch = SymBatch | ListBatch


def bn_entry(b: Batch, gamma: sp.Expr, beta: sp.Expr, eps: sp.Expr) -> sp.Expr:
    """z_j = gamma (y_j - mu)/sqrt(sigma^2 + eps) + beta (Ioffe & Szegedy Alg. 1, biased variance)."""
    mean = b.total(lambda v: v) / b.size
    var = b.total(lambda v: (v - mean) ** 2) / b.size
    return gamma * (b.at() - mean) / sp.sqrt(sp.simplify(var) + eps) + beta


def linear_in_weights() -> sp.Expr:
    """(X(aw))_i - a (Xw)_i for symbolic fan-in d (zero by linearity of the sum over k)."""
    a = sp.Symbol("a", real=True)
    lhs = _reduce_sum(X[_I, _K] * a * W[_K], _K, D)
    return sp.simplify(lhs - a * _reduce_sum(X[_I, _K] * W[_K], _K, D))


# --- C09 -------------------------------------------------------------------------------------
def neg_scale_reflection(z: sp.Expr, beta: sp.Expr) -> sp.Expr:
    """For a < 0: BN_0(X(aw)) = 2 beta - BN_0(Xw)."""
    return 2 * beta - z


def twin_neg_scale_invariant(z: sp.Expr, beta: sp.Expr) -> sp.Expr:
    """False twin: BN_0(X(aw)) = BN_0(Xw) for a < 0 too (sign of the reflection dropped)."""
    return z


_POINT_Y = (0, 1, 3)


def prove_scale_invariance(ctx: Context, neg_formula=neg_scale_reflection) -> Outcome:
    """C09 (seed 001; Arora et al. 2019 Sec. 2): BN_0(X(aw)) = BN_0(Xw) for a > 0, neg_formula for a < 0."""
    lin = linear_in_weights()
    z = bn_entry(SymBatch(lambda i: Y[i]), GAMMA, BETA, 0)
    diffs = {}
    for name, a, want in (("a>0", A_POS, z), ("a<0", A_NEG, neg_formula(z, BETA))):
        za = bn_entry(SymBatch(lambda i, a=a: a * Y[i]), GAMMA, BETA, 0)
        diffs[name] = sp.simplify(za - want)
    steps = [("Linearity in the weights, symbolic d", r"(X(aw))_i-a(Xw)_i=" + sp.latex(lin)),
             ("BN of the batch y = Xw, symbolic m (sums reduced to moments)", r"z_j=" + sp.latex(z)),
             ("a > 0: mean scales by a, sqrt(a^2 sigma^2) = a sigma", r"\text{difference}=" + sp.latex(diffs["a>0"])),
             ("a < 0: sqrt(a^2 sigma^2) = -a sigma", r"\text{difference}=" + sp.latex(diffs["a<0"]))]
    exprs = {"bn": z, "linearity": lin, "diff_pos": diffs["a>0"], "diff_neg": diffs["a<0"]}
    evidence: dict = {k: str(v) for k, v in diffs.items()}
    if lin == 0 and all(v == 0 for v in diffs.values()):
        return Outcome(Verdict.PROVED, "symbolic m >= 2, d >= 1, eps = 0, sigma^2 > 0, a != 0",
                       evidence, steps, exprs)
    for a in (2, -2, sp.Rational(-1, 2)):
        for j in range(len(_POINT_Y)):
            z0 = bn_entry(ListBatch(_POINT_Y, j), 1, 0, 0)
            za = bn_entry(ListBatch([a * v for v in _POINT_Y], j), 1, 0, 0)
            want = z0 if a > 0 else neg_formula(z0, sp.Integer(0))
            if exact_nonzero(za - want):
                evidence["counterexample"] = {"y": list(map(str, _POINT_Y)), "a": str(a), "j": j,
                                              "gamma": "1", "beta": "0", "lhs": str(za),
                                              "rhs": str(want)}
                evidence["exact"] = True  # decided by exact_nonzero (sympy, exact)
                return Outcome(Verdict.REFUTED, "exact counterexample", evidence, steps, exprs)
    return Outcome(Verdict.INCONCLUSIVE, "symbolic difference nonzero; no exact point", evidence,
                   steps, exprs)


def eps_over_a2(eps: sp.Expr, a: sp.Expr) -> sp.Expr:
    """BN_eps(X(aw)) = BN_{eps/a^2}(Xw)."""
    return eps / a**2


def twin_eps_over_a(eps: sp.Expr, a: sp.Expr) -> sp.Expr:
    """False twin: BN_eps(X(aw)) = BN_{eps/a}(Xw) (exponent of a changed)."""
    return eps / a


def prove_invariance_with_eps(ctx: Context, eps_map=eps_over_a2) -> Outcome:
    """C09 (seed 001; Arora et al. 2019): BN_eps(X(aw)) = BN_{eps_map(eps, a)}(Xw) for a > 0."""
    lhs = bn_entry(SymBatch(lambda i: A_POS * Y[i]), GAMMA, BETA, EPS)
    rhs = bn_entry(SymBatch(lambda i: Y[i]), GAMMA, BETA, eps_map(EPS, A_POS))
    # Both are gamma (y_j - ybar) * f + beta with f > 0: compare the squared scale factors.
    f_l, f_r = [sp.simplify((e - BETA) / (GAMMA * (Y[_J] - YBAR))) for e in (lhs, rhs)]
    diff = sp.simplify(f_l**2 - f_r**2)
    steps = [("Left side, symbolic m", r"\mathrm{BN}_\epsilon(ay)_j=" + sp.latex(lhs)),
             ("Right side", r"\mathrm{BN}_{\epsilon'}(y)_j=" + sp.latex(rhs)),
             ("Both positive scale factors; difference of squares", sp.latex(diff))]
    exprs = {"lhs": lhs, "rhs": rhs, "squared_factor_difference": diff}
    evidence: dict = {"squared_factor_difference": str(diff)}
    if diff == 0 and linear_in_weights() == 0:
        return Outcome(Verdict.PROVED, "symbolic m >= 2, d >= 1, eps > 0, a > 0", evidence, steps, exprs)
    y0, a0, e0 = (-1, 1), sp.Integer(2), sp.Integer(1)
    l0 = bn_entry(ListBatch([a0 * v for v in y0], 1), 1, 0, e0)
    r0 = bn_entry(ListBatch(y0, 1), 1, 0, eps_map(e0, a0))
    if exact_nonzero(l0 - r0):
        evidence["counterexample"] = {"y": ["-1", "1"], "a": "2", "eps": "1", "j": 1, "lhs": str(l0),
                                      "rhs": str(r0)}
        evidence["exact"] = True  # decided by exact_nonzero (sympy, exact)
        return Outcome(Verdict.REFUTED, "exact counterexample, m = 2", evidence, steps, exprs)
    return Outcome(Verdict.INCONCLUSIVE, "symbolic difference nonzero; no exact point", evidence,
                   steps, exprs)


# --- C10 -------------------------------------------------------------------------------------
GRAD_SCALE_EXPONENT = -1
TWIN_GRAD_SCALE_EXPONENT = -2


def _directional(b_entry: Callable[[sp.Expr], sp.Expr], list_mode: Sequence | None = None,
                 j: int = 0) -> sp.Expr:
    """d/dt z_j(batch(t))|_{t=0}, for a batch entry linear in t."""
    if list_mode is None:
        z = bn_entry(SymBatch(b_entry), 1, 0, 0)
    else:
        z = bn_entry(ListBatch([b_entry(v) for v in list_mode], j), 1, 0, 0)
    return sp.simplify(sp.diff(z, T).subs(T, 0))


def prove_grad_orthogonal(ctx: Context, exponent: int = GRAD_SCALE_EXPONENT) -> Outcome:
    """C10 (Arora et al. 2019 Lemma 2.4; Kohler et al. 2019): eps = 0, any loss L of the BN output.

    grad_w L(z(Xw)) . v = sum_j dL/dz_j * d/dt z_j(X(w + t v)). With u = Xv: (i) v = w gives
    u = y and d/dt z_j((1+t)y) = 0, so <grad, w> = 0; (ii) d/dt z_j(a y + t u) = a^exponent
    d/dt z_j(y + t u) for a > 0, and dL/dz is evaluated at z(X(aw)) = z(Xw) (C09), so
    grad(aw) = a^exponent grad(w). Symbolic m, d, direction v.
    """
    ortho = _directional(lambda i: (1 + T) * Y[i])
    scaled = _directional(lambda i: A_POS * Y[i] + T * U[i])
    base = _directional(lambda i: Y[i] + T * U[i])
    diff = sp.simplify(scaled - A_POS**exponent * base)
    steps = [("Chain rule with u = Xv (linear in w, symbolic d)",
              r"\nabla_w\hat L\cdot v=\sum_j\frac{\partial L}{\partial z_j}\,\frac{d}{dt}z_j(y+tu)\big|_{0}"),
             ("Direction v = w, so u = y", r"\frac{d}{dt}z_j((1+t)y)\big|_0=" + sp.latex(ortho)),
             ("Directional derivative at w", r"\frac{d}{dt}z_j(y+tu)\big|_0=" + sp.latex(base)),
             ("At aw (a > 0), against a^{" + str(exponent) + "} times it",
              r"\text{difference}=" + sp.latex(diff)),
             ("dL/dz is taken at z(X(aw)) = z(Xw) by C09", r"\nabla\hat L(aw)=a^{" + str(exponent)
              + r"}\nabla\hat L(w)")]
    exprs = {"orthogonal_derivative": ortho, "directional": base, "scaling_difference": diff}
    evidence: dict = {"orthogonal_derivative": str(ortho), "scaling_difference": str(diff)}
    if ortho == 0 and diff == 0 and linear_in_weights() == 0:
        return Outcome(Verdict.PROVED, "symbolic m >= 2, d >= 1, any direction v, generic "
                       "differentiable loss of the BN output, eps = 0, a > 0", evidence, steps, exprs)
    y0, u0, a0 = (0, 1, 3), (1, 0, 0), sp.Integer(2)
    for j in range(3):
        lhs = _directional(lambda v: v, [a0 * p + T * q for p, q in zip(y0, u0)], j)
        rhs = a0**exponent * _directional(lambda v: v, [p + T * q for p, q in zip(y0, u0)], j)
        o = _directional(lambda v: v, [(1 + T) * p for p in y0], j)
        if exact_nonzero(lhs - rhs) or exact_nonzero(o):
            evidence["counterexample"] = {"y=Xw": list(map(str, y0)), "u=Xv": list(map(str, u0)),
                                          "a": "2", "loss": f"L(z) = z_{j + 1}",
                                          "grad_aw_dot_v": str(lhs), "formula": str(rhs),
                                          "grad_w_dot_w": str(o)}
            evidence["exact"] = True  # decided by exact_nonzero (sympy, exact)
            return Outcome(Verdict.REFUTED, "exact counterexample, m = 3, X = I", evidence, steps, exprs)
    return Outcome(Verdict.INCONCLUSIVE, "symbolic difference nonzero; no exact point", evidence,
                   steps, exprs)


# --- C11 -------------------------------------------------------------------------------------
def decoupling_exact(b: Batch, gamma: sp.Expr, beta: sp.Expr, power: sp.Expr = sp.Rational(1, 2)) -> sp.Expr:
    """gamma m^power (CXw)_j / ||CXw|| + beta, C = I - 11^T/m (claim: power 1/2; twin: power 1)."""
    mean = b.total(lambda v: v) / b.size
    norm2 = b.total(lambda v: (v - mean) ** 2)
    return gamma * sp.sympify(b.size)**power * (b.at() - mean) / sp.sqrt(sp.simplify(norm2)) + beta


def decoupling_seed(b: Batch, gamma: sp.Expr, beta: sp.Expr) -> sp.Expr:
    """Seed 001 literally: gamma (Xw)_j / ||Xw|| + beta (no centering, no sqrt(m))."""
    return gamma * b.at() / sp.sqrt(b.total(lambda v: v**2)) + beta


def check_decoupling(ctx: Context, formula=decoupling_exact) -> Outcome:
    """C11 (seed 001 "Parameter Decoupling"; Kohler et al. 2019 Sec. 3): BN_0(Xw) = formula(Xw)."""
    z = bn_entry(SymBatch(lambda i: Y[i]), GAMMA, BETA, 0)
    f = formula(SymBatch(lambda i: Y[i]), GAMMA, BETA)
    diff = sp.simplify(z - f)
    steps = [("BN_0 of y = Xw, symbolic m", r"z_j=" + sp.latex(z)),
             ("The formula, batch sums reduced to moments", sp.latex(f)),
             ("Difference", sp.latex(diff))]
    exprs = {"bn": z, "formula": f, "difference": diff}
    evidence: dict = {"difference": str(diff)}
    if diff == 0 and linear_in_weights() == 0:
        return Outcome(Verdict.PROVED, "symbolic m >= 2, d >= 1, eps = 0, sigma^2 > 0", evidence, steps, exprs)
    for y0 in ((1, 2), (0, 1, 3)):
        for j in range(len(y0)):
            lhs = bn_entry(ListBatch(y0, j), 1, 0, 0)
            rhs = formula(ListBatch(y0, j), 1, 0)
            if exact_nonzero(lhs - rhs):
                evidence["counterexample"] = {"y=Xw": list(map(str, y0)), "j": j, "gamma": "1",
                                              "beta": "0", "bn": str(lhs), "formula": str(rhs)}
                evidence["exact"] = True  # decided by exact_nonzero (sympy, exact)
                return Outcome(Verdict.REFUTED, f"exact counterexample, m = {len(y0)}", evidence,
                               steps, exprs)
    return Outcome(Verdict.INCONCLUSIVE, "symbolic difference nonzero; no exact point", evidence,
                   steps, exprs)
