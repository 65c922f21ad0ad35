"""RegNorm's regulariser and Appendix B of Rao & Sohl-Dickstein (2020), checked in sympy.

Rao, Sohl-Dickstein, "Is Batch Norm unique? An empirical investigation and prescription to
emulate the best properties of common normalizers without batch dependence" (bibkey
``rao2020batchnorm``). Eq. (3) / Appendix B define, for normalized activations
``zbar^a = z^a / sqrt((1/N) sum_j (z_j^a)^2)`` (so ``sum_i (zbar_i^a)^2 = N`` for each example
``a`` of a batch of size ``m``),

    r(zbar) = E_{a,b}[ sum_i ((zbar_i^a + zbar_i^b)^2 - 2) ],   a, b i.i.d. uniform on the batch.

Appendix B claims ``E_{a,b}[zbar_i^a zbar_i^b] = E_a[(zbar_i^a)^2]``; that step is false (the
left side is the squared batch mean ``mu_i^2``; the difference is minus the batch variance), and
the chain as printed gives the constant ``2N``. The correct value is ``r = 2 sum_i mu_i^2``.
Appendix A's "variance" regulariser ``E_{a,b}[sum_i (z_i^a z_i^b - 1)]`` equals
``sum_i (mu_i^2 - 1)``: it does not see the variance.

Expectations over independent indices are taken by :func:`expect_ab`: a monomial in
``x[a]``, ``x[b]`` factorizes as ``(1/m) Sum_a f(a) * (1/m) Sum_b g(b)`` (independence of ``a``
and ``b``; a product of finite sums), with ``m`` symbolic.
"""
from __future__ import annotations

from typing import Callable

import sympy as sp

from bnclaims.context import Context
from bnclaims.verdicts import Outcome, Verdict

__all__ = [
    "expect_ab", "expect_a", "expect_a_ne_b", "unit_moments", "sum_of_second_moments",
    "regnorm_value", "appendix_a_value", "CORRECT_REGNORM", "TWIN_REGNORM",
    "refute_appendix_b_step", "prove_regnorm_identity", "refute_appendix_a_variance",
]

M_SYM = sp.Symbol("m", integer=True, positive=True)
N_SYM = sp.Symbol("N", integer=True, positive=True)
A_IDX, B_IDX, I_IDX = sp.symbols("a b i", integer=True, positive=True)
ZBAR = sp.IndexedBase(r"\bar{z}")
MU = sp.Symbol(r"\mu_i", real=True)
M2 = sp.Symbol(r"M_{2,i}", real=True)


def _split(term: sp.Expr, a: sp.Symbol, b: sp.Symbol) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """A monomial as (constant, factor depending on a only, factor depending on b only)."""
    const, fa, fb = sp.Integer(1), sp.Integer(1), sp.Integer(1)
    for f in sp.Mul.make_args(term):
        fs = f.free_symbols
        if a in fs and b in fs:
            raise ValueError(f"factor {f} depends on both indices; expand first")
        if a in fs:
            fa *= f
        elif b in fs:
            fb *= f
        else:
            const *= f
    return const, fa, fb


def expect_ab(expr: sp.Expr, m: sp.Expr = M_SYM, a: sp.Symbol = A_IDX,
              b: sp.Symbol = B_IDX) -> sp.Expr:
    """E_{a,b}[expr] for a, b independent and uniform on {1..m}, m symbolic.

    Each monomial ``c f(a) g(b)`` maps to ``c ((1/m) Sum_a f) ((1/m) Sum_b g)``; the b-sums are
    written with the dummy ``a`` so that equal averages cancel.
    """
    out = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(expr)):
        const, fa, fb = _split(term, a, b)
        ea = sp.Sum(fa, (a, 1, m)) / m if fa != 1 else sp.Integer(1)
        eb = sp.Sum(fb.subs(b, a), (a, 1, m)) / m if fb != 1 else sp.Integer(1)
        out += const * ea * eb
    return out


def expect_a(expr: sp.Expr, m: sp.Expr = M_SYM, a: sp.Symbol = A_IDX) -> sp.Expr:
    """E_a[expr] for a uniform on {1..m}."""
    return expect_ab(expr, m, a, sp.Dummy("unused"))


def expect_a_ne_b(expr: sp.Expr, m: sp.Expr = M_SYM, a: sp.Symbol = A_IDX,
                  b: sp.Symbol = B_IDX) -> sp.Expr:
    """E over ordered pairs a != b: (m^2 E_{a,b}[f] - m E_a[f(a, a)]) / (m (m - 1))."""
    return (m**2 * expect_ab(expr, m, a, b) - m * expect_a(expr.subs(b, a), m, a)) / (m * (m - 1))


def unit_moments(expr: sp.Expr, i: sp.Expr = I_IDX, m: sp.Expr = M_SYM) -> sp.Expr:
    """Rewrite batch averages of unit i as mu_i = E_a[zbar_i^a] and M_{2,i} = E_a[(zbar_i^a)^2]."""
    mean = sp.Sum(ZBAR[A_IDX, i], (A_IDX, 1, m)) / m
    second = sp.Sum(ZBAR[A_IDX, i] ** 2, (A_IDX, 1, m)) / m
    return sp.expand(sp.expand(expr).subs({second: M2}).subs({mean: MU})
                     .subs({sp.Sum(ZBAR[A_IDX, i] ** 2, (A_IDX, 1, m)): m * M2,
                            sp.Sum(ZBAR[A_IDX, i], (A_IDX, 1, m)): m * MU}))


def sum_of_second_moments(m: sp.Expr = M_SYM) -> sp.Expr:
    """sum_i M_{2,i} = (1/m) sum_i sum_a (zbar_i^a)^2 = (1/m) sum_a sum_i (zbar_i^a)^2 = N.

    The order of the two finite sums is swapped by ``Sum.reorder``; then each inner sum over
    units is the row normalization sum_i (zbar_i^a)^2 = N.
    """
    i = I_IDX
    f = ZBAR[A_IDX, i] ** 2
    swapped = sp.Sum(f, (A_IDX, 1, m), (i, 1, N_SYM)).reorder((0, 1))
    if swapped.limits != ((i, 1, N_SYM), (A_IDX, 1, m)) or swapped.function != f:
        raise AssertionError("sum swap failed")
    # the innermost sum (first limit) is over units: replace it by the normalization N
    outer = sp.Sum(N_SYM, *swapped.limits[1:])
    return sp.simplify(outer.doit() / m)


def regnorm_value(zbar: sp.Matrix) -> sp.Expr:
    """Eq. (3) literally: (1/m^2) sum_{a,b} sum_i ((zbar_i^a + zbar_i^b)^2 - 2)."""
    m, n = zbar.shape
    tot = sum(((zbar[a, i] + zbar[b, i]) ** 2 - 2) for a in range(m) for b in range(m)
              for i in range(n))
    return sp.radsimp(sp.expand(sp.Rational(1, m * m) * tot))


def appendix_a_value(z: sp.Matrix) -> sp.Expr:
    """App. A literally: (1/m^2) sum_{a,b} sum_i (z_i^a z_i^b - 1)."""
    m, n = z.shape
    tot = sum((z[a, i] * z[b, i] - 1) for a in range(m) for b in range(m) for i in range(n))
    return sp.expand(sp.Rational(1, m * m) * tot)


def _batch_means(zbar: sp.Matrix) -> list[sp.Expr]:
    m = zbar.shape[0]
    return [sp.radsimp(sum(zbar.col(i)) / m) for i in range(zbar.shape[1])]


def CORRECT_REGNORM(mus: list[sp.Expr], m: int | sp.Expr, n: int | sp.Expr) -> sp.Expr:
    """r = 2 sum_i mu_i^2 (the corrected Appendix B result)."""
    return 2 * sum(mu**2 for mu in mus)


def TWIN_REGNORM(mus: list[sp.Expr], m: int | sp.Expr, n: int | sp.Expr) -> sp.Expr:
    """False twin: the factor 2 dropped, r = sum_i mu_i^2."""
    return sum(mu**2 for mu in mus)


#: Rows with sum of squares N = 2 (rational points on the circle of radius sqrt 2, and one
#: irrational): a hypothesis-free pool of exactly normalized batches for counterexample search.
_ROWS2 = [(sp.sqrt(2), 0), (0, sp.sqrt(2)), (1, 1), (1, -1), (-1, 1), (sp.Rational(7, 5), sp.Rational(1, 5)),
          (sp.Rational(1, 5), sp.Rational(-7, 5))]


def _candidate_batches() -> list[sp.Matrix]:
    out = []
    for r1 in _ROWS2:
        for r2 in _ROWS2:
            out.append(sp.Matrix([r1, r2]))
    return out


def _normalized(zbar: sp.Matrix) -> bool:
    n = zbar.shape[1]
    return all(sp.simplify(sum(v**2 for v in zbar.row(r)) - n) == 0 for r in range(zbar.shape[0]))


def refute_appendix_b_step(ctx: Context) -> Outcome:
    """Rao & Sohl-Dickstein (2020), Appendix B: the step E_{a,b}[zbar^a zbar^b] = E_a[(zbar^a)^2].

    Symbolic m: E_{a,b}[zbar_i^a zbar_i^b] = mu_i^2 and E_{a,b}[...] - E_a[(zbar_i^a)^2] equals
    minus the biased batch variance. Exact counterexample zbar = diag(sqrt2, sqrt2). The chain
    as printed, 2N + 2 sum_i E_a[(zbar_i^a)^2] - 2N with sum_i (zbar_i^a)^2 = N, is the constant 2N.
    """
    i = I_IDX
    za, zb = ZBAR[A_IDX, i], ZBAR[B_IDX, i]
    cross = unit_moments(expect_ab(za * zb))
    square = unit_moments(expect_a(za**2))
    var = unit_moments(expect_a((za - sp.Sum(ZBAR[B_IDX, i], (B_IDX, 1, M_SYM)) / M_SYM) ** 2
                                ).subs(sp.Sum(ZBAR[B_IDX, i], (B_IDX, 1, M_SYM)),
                                       sp.Sum(ZBAR[A_IDX, i], (A_IDX, 1, M_SYM))))
    diff = sp.expand(cross - square)
    diff_is_minus_var = sp.expand(diff + var) == 0
    # the chain literally: sum_i E_a[(zbar_i^a)^2] = E_a[sum_i (zbar_i^a)^2] = N (swap finite sums)
    sum_m2 = sum_of_second_moments(M_SYM)
    paper_chain = sp.simplify(2 * N_SYM + 2 * sum_m2 - 2 * N_SYM)
    # exact counterexample
    zbar = sp.Matrix([[sp.sqrt(2), 0], [0, sp.sqrt(2)]])
    m, n = zbar.shape
    lhs = [sp.radsimp(sum(zbar[a, k] * zbar[b, k] for a in range(m) for b in range(m)) / m**2)
           for k in range(n)]
    rhs = [sp.radsimp(sum(zbar[a, k] ** 2 for a in range(m)) / m) for k in range(n)]
    hyp_ok = _normalized(zbar)
    differs = any(sp.simplify(x - y) != 0 for x, y in zip(lhs, rhs))
    r_true = regnorm_value(zbar)
    refuted = hyp_ok and differs
    verdict = Verdict.REFUTED if refuted else Verdict.INCONCLUSIVE
    return Outcome(
        verdict=verdict,
        scope="symbolic batch size m and width N; exact counterexample m = N = 2",
        evidence={"counterexample": {"zbar": [[str(v) for v in zbar.row(r)] for r in range(m)],
                                     "r_eq3": str(r_true), "paper_chain": str(paper_chain.subs(N_SYM, n))},
                  "rows_normalized": hyp_ok,
                  "E_ab[zbar^a zbar^b]": [str(v) for v in lhs], "E_a[(zbar^a)^2]": [str(v) for v in rhs],
                  "difference_is_minus_batch_variance": diff_is_minus_var, "paper_chain_value": str(paper_chain),
                  **({"exact": True} if refuted else {})},
        steps=[("Independent a, b: the cross moment factorizes into the squared batch mean.",
                r"\mathbb E_{a,b}[\bar z_i^a\bar z_i^b]=" + sp.latex(cross)),
               ("Appendix B replaces it by the second moment.",
                r"\mathbb E_a[(\bar z_i^a)^2]=" + sp.latex(square)),
               ("Their difference is minus the (biased) batch variance.",
                r"\mu_i^2-M_{2,i}=-\tfrac1m\sum_a(\bar z_i^a-\mu_i)^2=" + sp.latex(diff)),
               ("With the step, the chain is constant: sum_i E_a[(zbar_i^a)^2] = N.",
                r"2N+2\sum_i\mathbb E_a[(\bar z_i^a)^2]-2N=" + sp.latex(paper_chain)),
               ("Counterexample (rows normalized to N = 2).",
                r"\bar z=" + sp.latex(zbar) + r":\ (" + ",".join(sp.latex(v) for v in lhs)
                + r")\ne(" + ",".join(sp.latex(v) for v in rhs) + ")")],
        exprs={"cross_moment": cross, "second_moment": square, "difference": diff,
               "paper_chain": paper_chain, "r_at_counterexample": r_true},
    )


def _symbolic_regnorm(m: sp.Expr, pairs: Callable[..., sp.Expr]) -> sp.Expr:
    """r for symbolic m, N: per-unit expectation, then the sum over units with normalization."""
    i = I_IDX
    per_unit = unit_moments(pairs((ZBAR[A_IDX, i] + ZBAR[B_IDX, i]) ** 2 - 2, m), i, m)
    per_unit = sp.expand(per_unit)
    c_m2 = per_unit.coeff(M2)
    rest = sp.expand(per_unit - c_m2 * M2)
    if c_m2.free_symbols & {MU}:
        raise ValueError("unexpected M2 * mu cross term")
    # sum_i M_{2,i} = (1/m) sum_a sum_i (zbar_i^a)^2 = (1/m) sum_a N = N  (swap finite sums)
    sum_m2 = sum_of_second_moments(m)
    sum_mu2 = sp.Symbol(r"\textstyle\sum_i\mu_i^2", nonnegative=True)
    c_mu2 = rest.coeff(MU, 2)
    c0 = sp.expand(rest - c_mu2 * MU**2)
    return sp.simplify(c_m2 * sum_m2 + c_mu2 * sum_mu2 + c0 * N_SYM), sum_mu2  # type: ignore[return-value]


def prove_regnorm_identity(ctx: Context, formula: Callable[..., sp.Expr] = CORRECT_REGNORM,
                           m_range: tuple[int, int] = (2, 4), n_range: tuple[int, int] = (1, 3)) -> Outcome:
    """Rao & Sohl-Dickstein (2020), eq. (3) and Appendix B: r(zbar) = formula(mu) on normalized rows.

    Route 1 (symbolic m, N): E_{a,b} factorizes per unit, and sum_i E_a[(zbar_i^a)^2] = N.
    Route 2 (each m, N in the ranges, indeterminate entries): r - 2 sum mu^2 equals
    (2/m) sum_a (sum_i (zbar_i^a)^2 - N) as a polynomial identity, which vanishes on the
    normalized set. The claimed formula is compared with both; a mismatch is confirmed on an
    exactly normalized batch. Since r = 2 sum mu^2 >= 0 with equality iff all mu_i = 0, the
    minimum set is {mu = 0}; it is non-empty (zbar rows (1, 1), (-1, -1)).
    """
    r_sym, s_mu = _symbolic_regnorm(M_SYM, expect_ab)
    r_ne, _ = _symbolic_regnorm(M_SYM, expect_a_ne_b)
    r_ne = sp.factor(r_ne)
    claimed_sym = sp.sympify(formula([sp.sqrt(s_mu)], M_SYM, N_SYM))
    symbolic_ok = sp.simplify(r_sym - claimed_sym) == 0
    # route 2: explicit sizes, polynomial identity with the normalization defect made explicit
    explicit_ok, sizes = True, []
    for m in range(m_range[0], m_range[1] + 1):
        for n in range(n_range[0], n_range[1] + 1):
            x = sp.Matrix(m, n, lambda a, k: sp.Symbol(f"x_{a}_{k}", real=True))
            r = regnorm_value(x)
            mus = _batch_means(x)
            defect = sp.Rational(2, m) * sum(sum(v**2 for v in x.row(a)) - n for a in range(m))
            ok = sp.expand(r - sp.sympify(formula(mus, m, n)) - defect) == 0
            explicit_ok &= ok
            sizes.append([m, n, ok])
    # a mismatch must be confirmed on an exactly normalized batch
    counterexample = None
    if not (symbolic_ok and explicit_ok):
        for zbar in _candidate_batches():
            r = regnorm_value(zbar)
            claimed = sp.radsimp(sp.sympify(formula(_batch_means(zbar), 2, 2)))
            if _normalized(zbar) and sp.simplify(r - claimed) != 0:
                counterexample = {"zbar": [[str(v) for v in zbar.row(k)] for k in range(2)],
                                  "r_eq3": str(r), "formula": str(claimed)}
                break
    witness = sp.Matrix([[1, 1], [-1, -1]])
    zero_set_nonempty = _normalized(witness) and regnorm_value(witness) == 0
    minimum_ok = symbolic_ok and sp.simplify(r_sym.subs(s_mu, 0)) == 0 and bool(r_sym.is_nonnegative)
    diff_sym = sp.simplify(r_sym - claimed_sym)
    steps = [("Expand the square and take E over independent a, b per unit i.",
              r"\mathbb E_{a,b}[(\bar z_i^a+\bar z_i^b)^2-2]=2M_{2,i}+2\mu_i^2-2"),
             ("Swap the finite sums and use the row normalization.",
              r"\sum_i M_{2,i}=\tfrac1m\sum_a\sum_i(\bar z_i^a)^2=N"),
             ("Hence", r"r(\bar z)=" + sp.latex(r_sym))]
    if symbolic_ok and explicit_ok:
        steps.append(("The claimed formula equals r (symbolic m, N; polynomial identity for the listed sizes).",
                      r"r(\bar z)-" + sp.latex(claimed_sym) + r"=0"))
    else:
        steps.append(("The claimed formula differs from r.",
                      r"r(\bar z)-\big(" + sp.latex(claimed_sym) + r"\big)=" + sp.latex(diff_sym)))
        if counterexample is not None:
            steps.append(("Exactly normalized counterexample (m = N = 2).",
                          r"\bar z=" + sp.latex(sp.Matrix(2, 2, lambda a, k: sp.sympify(
                              counterexample["zbar"][a][k]))) + r":\ r=" + sp.latex(sp.sympify(
                                  counterexample["r_eq3"])) + r"\ne" + sp.latex(sp.sympify(counterexample["formula"]))))
    if minimum_ok and zero_set_nonempty:
        steps.append(("Non-negative, zero iff every batch mean vanishes (minimum set {mu = 0}, witness zbar rows "
                      "(1, 1), (-1, -1)).", r"r=" + sp.latex(r_sym) + r"\ge0"))
    steps.append(("Variant with a != b: same minimizers, minimum -2N/(m-1).", r"r_{a\ne b}=" + sp.latex(r_ne)))
    if symbolic_ok and explicit_ok and minimum_ok and zero_set_nonempty:
        verdict = Verdict.PROVED
    elif counterexample is not None:
        verdict = Verdict.REFUTED
    else:
        verdict = Verdict.INCONCLUSIVE
    return Outcome(
        verdict=verdict,
        scope=(f"symbolic batch size m and width N (rows normalized to sum N); cross-checked as a "
               f"polynomial identity for m = {m_range[0]}..{m_range[1]}, N = {n_range[0]}..{n_range[1]}"),
        evidence={"symbolic_identity": symbolic_ok, "explicit_sizes": sizes,
                  "r_symbolic": str(r_sym), "r_a_ne_b": str(r_ne), "claimed": str(claimed_sym),
                  "minimum_zero_iff_means_zero": minimum_ok, "zero_set": {"witness": [[1, 1], [-1, -1]]},
                  "counterexample": counterexample, **({"exact": True} if verdict is Verdict.REFUTED else {})},
        steps=steps,
        exprs={"r": r_sym, "claimed": claimed_sym, "r_a_ne_b": r_ne},
    )


def refute_appendix_a_variance(ctx: Context) -> Outcome:
    """Rao & Sohl-Dickstein (2020), Appendix A: r(y) = E_{a,b}[sum_i (z_i^a z_i^b - 1)] as a variance penalty.

    Symbolic m: per unit E_{a,b}[z^a z^b - 1] = mu^2 - 1, with no variance term. Exact
    counterexample: the batches (-1, 1) (variance 1) and (-2, 2) (variance 4) have equal means and
    the same r = -1, so r neither penalizes variance nor pushes it towards 1.
    """
    z_a, z_b = sp.IndexedBase("z")[A_IDX, I_IDX], sp.IndexedBase("z")[B_IDX, I_IDX]
    per_unit = expect_ab(z_a * z_b - 1)
    mean = sp.Sum(z_a, (A_IDX, 1, M_SYM)) / M_SYM
    per_unit_mu = sp.expand(per_unit.subs(mean, MU).subs(sp.Sum(z_a, (A_IDX, 1, M_SYM)), M_SYM * MU))
    no_variance = per_unit_mu.free_symbols <= {MU} and sp.expand(per_unit_mu - (MU**2 - 1)) == 0
    b1, b2 = sp.Matrix([[-1], [1]]), sp.Matrix([[-2], [2]])

    def stats(b: sp.Matrix) -> tuple[sp.Expr, sp.Expr]:
        mu = sum(b) / b.shape[0]
        return mu, sum((v - mu) ** 2 for v in b) / b.shape[0]

    (mu1, v1), (mu2, v2) = stats(b1), stats(b2)
    r1, r2 = appendix_a_value(b1), appendix_a_value(b2)
    hyp_ok = mu1 == mu2 and v1 != v2 and v1 == 1
    refuted = hyp_ok and r1 == r2
    return Outcome(
        verdict=Verdict.REFUTED if refuted else Verdict.INCONCLUSIVE,
        scope="symbolic batch size m (per-unit expectation); exact counterexample m = 2, N = 1",
        evidence={"per_unit": str(per_unit_mu), "depends_only_on_mean": bool(no_variance),
                  "counterexample": {"batch_var1": [-1, 1], "batch_var4": [-2, 2]}, "means": [str(mu1), str(mu2)],
                  "variances": [str(v1), str(v2)], "r": [str(r1), str(r2)], **({"exact": True} if refuted else {})},
        steps=[("Independent a, b: the regulariser sees only the batch mean.",
                r"\mathbb E_{a,b}[z_i^az_i^b-1]=" + sp.latex(per_unit_mu)),
               ("Equal means, variances 1 and 4, equal r.",
                r"r(-1,1)=" + sp.latex(r1) + r"=r(-2,2)=" + sp.latex(r2)),
               ("A variance penalty needs a = b.", r"\mathbb E_a[(z_i^a)^2-1]=\mu_i^2+\sigma_i^2-1")],
        exprs={"per_unit": per_unit_mu, "r_var1": r1, "r_var4": r2},
    )
