"""RegNorm's regulariser (Rao & Sohl-Dickstein 2020, eq. 3, Appendices A and B) in mpmath.

Rao, Sohl-Dickstein, "Is Batch Norm unique?" (bibkey ``rao2020batchnorm``). Batches are
integer matrices ``z`` (rows: examples a = 1..m, columns: units i = 1..N), drawn by hypothesis;
``zbar^a = z^a / sqrt((1/N) sum_j (z_j^a)^2)`` is formed in the working context ``M``
(``mpmath.mp`` at ``ctx.dps`` digits, or ``mpmath.iv`` to certify a refutation), so every drawn
case satisfies the normalization ``sum_i (zbar_i^a)^2 = N`` by construction. Expectations over
``a, b`` are the literal double averages over the batch (no closed form is used for ``r``).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Sequence

import mpmath
from hypothesis import strategies as st

from bnclaims.context import Context
from bnclaims.tolerances import mp_rel_tol
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.numerics.intervals import certify_nonzero, certify_positive, enclose
from bnclaims.numerics.search import run_property

__all__ = [
    "batches", "zbar_of", "regnorm_r", "batch_means", "CORRECT", "TWIN",
    "check_regnorm_identity", "refute_appendix_b_step", "refute_appendix_a_variance",
]

Batch = tuple[tuple[int, ...], ...]


@st.composite
def batches(draw, max_m: int = 6, max_n: int = 4, lo: int = -6, hi: int = 6) -> Batch:
    """An m x N integer batch, m in 2..max_m, N in 1..max_n, no all-zero row."""
    m = draw(st.integers(2, max_m))
    n = draw(st.integers(1, max_n))
    row = st.lists(st.integers(lo, hi), min_size=n, max_size=n).filter(lambda r: any(r))
    return tuple(tuple(r) for r in draw(st.lists(row, min_size=m, max_size=m)))


def zbar_of(M, z: Sequence[Sequence]) -> list[list]:
    """Rows divided by their root-mean-square over units (the paper's sigma^i normalization)."""
    out = []
    for row in z:
        row = [M.mpf(v) if not isinstance(v, Fraction) else M.mpf(v.numerator) / v.denominator for v in row]
        rms = M.sqrt(M.fsum([v * v for v in row]) / len(row))
        out.append([v / rms for v in row])
    return out


def regnorm_r(M, zbar: Sequence[Sequence], distinct: bool = False):
    """Eq. (3): the average over (a, b) of sum_i ((zbar_i^a + zbar_i^b)^2 - 2); a != b if ``distinct``."""
    m, n = len(zbar), len(zbar[0])
    terms = [(zbar[a][i] + zbar[b][i]) ** 2 - 2 for a in range(m) for b in range(m)
             if not (distinct and a == b) for i in range(n)]
    return M.fsum(terms) / (m * (m - 1) if distinct else m * m)


def batch_means(M, zbar: Sequence[Sequence]) -> list:
    m = len(zbar)
    return [M.fsum([zbar[a][i] for a in range(m)]) / m for i in range(len(zbar[0]))]


def CORRECT(M, mus: Sequence, m: int, n: int):
    """r = 2 sum_i mu_i^2."""
    return 2 * M.fsum([x * x for x in mus])


def TWIN(M, mus: Sequence, m: int, n: int):
    """False twin: r = sum_i mu_i^2 (factor 2 dropped)."""
    return M.fsum([x * x for x in mus])


def _a_ne_b(M, mus: Sequence, m: int, n: int):
    """The a != b variant: 2m/(m-1) sum mu^2 - 2N/(m-1)."""
    return (2 * m * M.fsum([x * x for x in mus]) - 2 * n) / (m - 1)


def _describe(z: Batch) -> list[list[int]]:
    return [list(r) for r in z]


def check_regnorm_identity(ctx: Context, formula: Callable[..., Any] = CORRECT) -> Outcome:
    """Rao & Sohl-Dickstein (2020), eq. (3) / App. B: r(zbar) = formula(mu) on 40, 200 or 800 hypothesis
    batches (quick, default, thorough presets).

    The a != b variant 2m/(m-1) sum mu^2 - 2N/(m-1) is checked on the same cases (evidence).
    A violation is re-verified by interval arithmetic from the exact integer batch.
    """
    n_cases = ctx.budget(40, 200, 800)
    tol = mp_rel_tol(ctx.dps)
    worst_ne = [mpmath.mpf(0)]

    def gap(M, z):
        zb = zbar_of(M, z)
        return regnorm_r(M, zb) - formula(M, batch_means(M, zb), len(z), len(z[0]))

    def evaluate(z: Batch) -> tuple[Any, bool]:
        with mpmath.workdps(ctx.dps):
            zb = zbar_of(mpmath.mp, z)
            r = regnorm_r(mpmath.mp, zb)
            mus = batch_means(mpmath.mp, zb)
            err = abs(r - formula(mpmath.mp, mus, len(z), len(z[0]))) / (1 + abs(r))
            ne = regnorm_r(mpmath.mp, zb, distinct=True)
            worst_ne[0] = max(worst_ne[0], abs(ne - _a_ne_b(mpmath.mp, mus, len(z), len(z[0]))) / (1 + abs(ne)))
            return err, bool(err <= tol)

    rep = run_property(batches(), evaluate, max_examples=n_cases, seed=ctx.seed)
    evidence: dict[str, Any] = {"cases": rep.cases, "dps": ctx.dps, "seed": ctx.seed,
                                "max_rel_error": mpmath.nstr(rep.max_error, 5), "tolerance": mpmath.nstr(tol, 3),
                                "a_ne_b_variant": {"max_rel_error": mpmath.nstr(worst_ne[0], 5)}}
    scope = f"{rep.cases} hypothesis batches, m in 2..6, N in 1..4, integer entries |z| <= 6, {ctx.dps} digits"
    if not rep.violated:
        return Outcome(Verdict.HOLDS, scope, evidence)
    case = rep.shrunk if rep.shrunk is not None else rep.violation
    cert = certify_nonzero(lambda M, z: gap(M, z), [[[Fraction(v) for v in r] for r in case]], dps=ctx.dps)
    evidence.update({"counterexample": _describe(case), "shrunk": rep.shrunk is not None,
                     "certificate": cert.as_dict()})
    return Outcome(Verdict.REFUTED if cert.certified else Verdict.INCONCLUSIVE, scope, evidence)


def refute_appendix_b_step(ctx: Context) -> Outcome:
    """Rao & Sohl-Dickstein (2020), App. B: E_{a,b}[zbar_i^a zbar_i^b] = E_a[(zbar_i^a)^2] for every unit.

    On each drawn batch the gap E_a[(zbar_i^a)^2] - E_{a,b}[zbar_i^a zbar_i^b] is compared with the
    batch variance (they agree to working precision); a unit with a positive gap refutes the
    step, certified by intervals. The paper's chain then gives 2N, while eq. (3) gives r.
    """
    n_cases = ctx.budget(40, 200, 800)
    tol = mp_rel_tol(ctx.dps)
    var_err = [mpmath.mpf(0)]

    def unit_gaps(M, z):
        zb = zbar_of(M, z)
        m = len(zb)
        gaps = []
        for i in range(len(zb[0])):
            col = [zb[a][i] for a in range(m)]
            cross = M.fsum([x * y for x in col for y in col]) / (m * m)
            square = M.fsum([x * x for x in col]) / m
            gaps.append(square - cross)
        return gaps

    def evaluate(z: Batch) -> tuple[Any, bool]:
        with mpmath.workdps(ctx.dps):
            gaps = unit_gaps(mpmath.mp, z)
            zb = zbar_of(mpmath.mp, z)
            for i, gp in enumerate(gaps):
                col = [row[i] for row in zb]
                mu = mpmath.fsum(col) / len(col)
                var = mpmath.fsum([(x - mu) ** 2 for x in col]) / len(col)
                var_err[0] = max(var_err[0], abs(gp - var))
            worst = max(abs(gp) for gp in gaps)
            return worst, bool(worst <= tol)

    rep = run_property(batches(), evaluate, max_examples=n_cases, seed=ctx.seed)
    evidence: dict[str, Any] = {"cases": rep.cases, "dps": ctx.dps, "seed": ctx.seed,
                                "max_abs_error": mpmath.nstr(rep.max_error, 8),
                                "gap_equals_batch_variance": {"max_abs_error": mpmath.nstr(var_err[0], 5)}}
    scope = f"{rep.cases} hypothesis batches, m in 2..6, N in 1..4, integer entries |z| <= 6, {ctx.dps} digits"
    if not rep.violated:
        return Outcome(Verdict.HOLDS, scope, evidence)
    case = rep.shrunk if rep.shrunk is not None else rep.violation
    frac = [[Fraction(v) for v in r] for r in case]
    with mpmath.workdps(ctx.dps):
        gaps = unit_gaps(mpmath.mp, case)
        unit = max(range(len(gaps)), key=lambda k: gaps[k])
        zb = zbar_of(mpmath.mp, case)
        r = regnorm_r(mpmath.mp, zb)
    cert = certify_positive(lambda M, z: unit_gaps(M, z)[unit], [frac], dps=ctx.dps)
    evidence.update({"counterexample": _describe(case), "shrunk": rep.shrunk is not None, "unit": unit,
                     "certificate": cert.as_dict(), "r_eq3": mpmath.nstr(r, 20),
                     "paper_chain_2N": 2 * len(case[0])})
    return Outcome(Verdict.REFUTED if cert.certified else Verdict.INCONCLUSIVE, scope, evidence)


def _app_a_r(z: Sequence[Sequence]) -> Any:
    """App. A regulariser, (1/m^2) sum_{a,b} sum_i (z_i^a z_i^b - 1), in whatever arithmetic z carries."""
    m, n = len(z), len(z[0])
    return sum(z[a][i] * z[b][i] - 1 for a in range(m) for b in range(m) for i in range(n)) / (m * m)


def _spread(z: Sequence[Sequence], factor: Any) -> list[list]:
    """Same batch means, deviations multiplied by ``factor`` (variance times factor^2)."""
    m, n = len(z), len(z[0])
    mus = [sum(z[a][i] for a in range(m)) / m for i in range(n)]
    return [[mus[i] + factor * (z[a][i] - mus[i]) for i in range(n)] for a in range(m)]


def _total_var(z: Sequence[Sequence]) -> Any:
    m, n = len(z), len(z[0])
    mus = [sum(z[a][i] for a in range(m)) / m for i in range(n)]
    return sum((z[a][i] - mus[i]) ** 2 for a in range(m) for i in range(n)) / m


def refute_appendix_a_variance(ctx: Context) -> Outcome:
    """Rao & Sohl-Dickstein (2020), App. A: r(y) = E_{a,b}[sum_i (z_i^a z_i^b - 1)] penalizes the variance.

    For each drawn batch z the partner z' keeps every batch mean and doubles every deviation
    (variance x 4). A variance penalty must tell them apart; r(z') = r(z) refutes it. The
    equality is re-verified in exact rational arithmetic, the variance difference by intervals.
    """
    n_cases = ctx.budget(40, 200, 800)
    tol = mp_rel_tol(ctx.dps)

    def evaluate(z: Batch) -> tuple[Any, bool]:
        with mpmath.workdps(ctx.dps):
            zz = [[mpmath.mpf(v) for v in r] for r in z]
            if _total_var(zz) == 0:
                return mpmath.mpf(0), True  # no variance to penalize: not a test case
            r1, r2 = _app_a_r(zz), _app_a_r(_spread(zz, 2))
            same = abs(r1 - r2) <= tol * (1 + abs(r1))
            return (abs(r1 - r2) if not same else mpmath.mpf(1)), not same

    rep = run_property(batches(), evaluate, max_examples=n_cases, seed=ctx.seed)
    scope = f"{rep.cases} hypothesis batches, m in 2..6, N in 1..4, integer entries |z| <= 6, {ctx.dps} digits"
    evidence: dict[str, Any] = {"cases": rep.cases, "dps": ctx.dps, "seed": ctx.seed}
    if not rep.violated:
        return Outcome(Verdict.HOLDS, scope, evidence)
    case = rep.shrunk if rep.shrunk is not None else rep.violation
    frac = [[Fraction(v) for v in r] for r in case]
    partner = _spread(frac, Fraction(2))
    exact_equal = _app_a_r(frac) == _app_a_r(partner)
    var_cert = certify_nonzero(lambda M, z: _total_var(_spread(z, 2)) - _total_var(z), [frac], dps=ctx.dps)
    diff, _ = enclose(lambda M, z: _app_a_r(_spread(z, 2)) - _app_a_r(z), [frac], dps=ctx.dps)
    evidence.update({"counterexample": _describe(case), "partner": [[str(v) for v in r] for r in partner],
                     "shrunk": rep.shrunk is not None, "r": str(_app_a_r(frac)),
                     "r_partner": str(_app_a_r(partner)), "exact_equal": exact_equal,
                     "variance": [str(_total_var(frac)), str(_total_var(partner))],
                     "certificate": {"kind": "variance(partner) - variance(batch) != 0", **var_cert.as_dict()},
                     "r_difference_enclosure": [mpmath.nstr(diff.a, 5), mpmath.nstr(diff.b, 5)]})
    ok = exact_equal and var_cert.certified
    return Outcome(Verdict.REFUTED if ok else Verdict.INCONCLUSIVE, scope, evidence)
