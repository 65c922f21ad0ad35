"""Searching for violations of Santurkar et al. (2018), Lemma 4.5 (Junike & Dannemann 2025).

Lemma 4.5 of Santurkar et al. (2018, bibkey ``santurkar2018how``): if <W0, W*> > 0, with W*,
What* the closest optima of the standard and the BN network,

    ||W0 - What*||^2 <= ||W0 - W*||^2 - (||W*||^2 - <W*,W0>)^2/||W*||^2.

Junike & Dannemann (2025, bibkey ``junike2025batch``) refute it with a single neuron. This module
finds violations on its own, on random single-neuron regression problems: identity activation,
squared loss ``1/2 sum (x_i^T w - y_i)^2``, data with a nonzero intercept, BN over the whole data
set (eps = 0). The optima, derived in ``theory/junike2025.py`` and in general here:

* standard neuron without bias: ``W* = (X^T X)^{-1} X^T y`` (unique when X has full column rank);
* BN neuron: the loss with fixed (gamma, beta) = (1, 0) is ``(m + ||y||^2)/2 - sqrt(m) <CXw, Cy>/||CXw||``
  (C the centering matrix), minimal iff CXw is a positive multiple of the projection of Cy on
  range(CX): the optimum set is the open ray ``{t u*: t > 0}`` with ``u* = ((CX)^T CX)^{-1} (CX)^T Cy``,
  the slope of least squares *with* intercept. With gamma, beta trainable the profile loss is
  ``(||Cy||^2 - <CXw,Cy>^2/||CXw||^2)/2``, minimal iff CXw is parallel to that projection: the
  weight components of the optima form ``{t u*: t != 0}``;
* standard neuron *with* bias (the control where the lemma holds): its weight part is u* itself.

"Closest BN optimum": LHS = inf over the optimum set of ||W0 - What||^2 (the ray or the punctured
line). Every function below is written with plain arithmetic, so it runs on ``fractions.Fraction``
(exact), ``mpmath.mpf`` (the search, at ctx.dps digits) and ``mpmath.iv`` intervals (certificates).

The law of the random problems is a parameter (:class:`ProblemDistribution`), and so is what is
reported: the rate at W0 = W* is, for this lemma, 0 at d = 1 and 1 at d >= 2 (whenever u* is not
parallel to W*), so pooled over d it measures the sampler's share of d >= 2, not the lemma;
:func:`failure_rate_by_d` reports the rate at a random W0 for each d separately.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Sequence

import mpmath
from hypothesis import strategies as st
from mpmath import iv

from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.tolerances import mp_rel_tol
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.numerics.intervals import certify_positive
from bnclaims.numerics.search import shrink

__all__ = [
    "Problem", "ProblemDistribution", "LEMMA45_DISTRIBUTION", "random_problem", "small_problems", "solve_spd",
    "standard_optimum", "bn_direction",
    "standard_optimum_with_bias", "lemma45_terms", "evaluate", "violates_at_wstar", "wilson_interval",
    "certify_violation", "failure_rate_by_d", "search_lemma45_violations",
]

_IV_TYPE = type(iv.mpf(0))


@dataclass(frozen=True)
class Problem:
    """A single-neuron regression problem (exact rationals): rows of X, targets y, an initialization W0."""

    X: tuple[tuple[Fraction, ...], ...]
    y: tuple[Fraction, ...]
    W0: tuple[Fraction, ...] | None = None

    @property
    def m(self) -> int:
        return len(self.y)

    @property
    def d(self) -> int:
        return len(self.X[0])

    def describe(self) -> dict:
        return {"m": self.m, "d": self.d, "X": [[str(v) for v in r] for r in self.X],
                "y": [str(v) for v in self.y], "W0": None if self.W0 is None else [str(v) for v in self.W0]}


def _dec(rng: random.Random, sd: float) -> Fraction:
    """A Gaussian draw rounded to 3 decimals, as an exact rational."""
    return Fraction(round(rng.gauss(0.0, sd) * 1000), 1000)


_W0_LAWS = {"gaussian": "i.i.d. N(0, {sd:g}^2) per coordinate, rounded to 3 decimals, its sign chosen so that "
                        "<W0,W*> > 0 (= the isotropic law conditioned on the half-space; both sides of the lemma "
                        "are homogeneous of degree 2 in W0, so the sd does not matter)",
            "wstar": "W0 = W* (a point, not a law)"}


def _affine(rule: tuple[int, int]) -> str:
    """(a, b) -> 'a d + b' as text: (1, 2) -> 'd+2', (3, -1) -> '3d-1', (0, 7) -> '7'."""
    a, b = rule
    if a == 0:
        return str(b)
    head = "d" if a == 1 else f"{a}d"
    return head if b == 0 else f"{head}{b:+d}"


@dataclass(frozen=True)
class ProblemDistribution:
    """The law of the random single-neuron problems; every value is rounded to 3 decimals (exact rationals).

    d is uniform on ``d_range``; m is uniform on ``m_min[0] d + m_min[1] .. m_max[0] d + m_max[1]``;
    the rows of X are i.i.d. N(0, x_sd^2); y = X a + b + e with a ~ N(0, slope_sd^2 I), e ~ N(0,
    noise_sd^2 I) and an intercept b of random sign and |b| uniform on the 1e-3 grid of ``intercept``
    (``None``: b = 0). W0: ``"gaussian"``, i.i.d. N(0, w0_sd^2) with the sign that makes <W0,W*> > 0;
    ``"wstar"``, W0 = W*. Nonsense raises :class:`BadInput` (d < 1, m < 2, an empty range, m <= d,
    where the centered design can never have full column rank, a negative or non-finite sd).
    The default is the law the registered claim has always used.
    """

    d_range: tuple[int, int] = (1, 5)
    m_min: tuple[int, int] = (1, 2)
    m_max: tuple[int, int] = (3, 8)
    x_sd: float = 1.0
    slope_sd: float = 1.0
    intercept: tuple[float, float] | None = (0.5, 3.0)
    noise_sd: float = 0.3
    w0: str = "gaussian"
    w0_sd: float = 1.0

    def __post_init__(self) -> None:
        for name in ("d_range", "m_min", "m_max"):
            v = getattr(self, name)
            if len(v) != 2 or not all(isinstance(t, int) and not isinstance(t, bool) for t in v):
                raise BadInput(f"{name} must be two integers, got {v!r}")
        lo, hi = self.d_range
        if lo < 1 or lo > hi:
            raise BadInput(f"d_range must satisfy 1 <= lo <= hi, got {self.d_range}")
        for d in (lo, hi):  # the conditions are affine in d: the end points decide them
            m_lo, m_hi = self.m_bounds(d)
            if m_lo < 2:
                raise BadInput(f"m >= 2 is needed (BN of a batch of one is undefined); at d = {d} m_min gives {m_lo}")
            if m_lo > m_hi:
                raise BadInput(f"empty m range {m_lo}..{m_hi} at d = {d}")
            if m_lo <= d:
                raise BadInput(f"m >= d + 1 is needed (the centered design has rank <= m - 1); "
                               f"at d = {d} m_min gives {m_lo}")
        sds = {"x_sd": self.x_sd, "slope_sd": self.slope_sd, "noise_sd": self.noise_sd, "w0_sd": self.w0_sd}
        for name, v in sds.items():
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise BadInput(f"{name} must be a finite number >= 0, got {v!r}")
        if self.x_sd == 0 or self.w0_sd == 0:
            raise BadInput("x_sd and w0_sd must be > 0 (X = 0 or W0 = 0 never satisfies the hypotheses)")
        if self.intercept is not None:
            b = self.intercept
            if len(b) != 2 or not all(isinstance(t, (int, float)) and math.isfinite(t) for t in b) \
                    or not 0 <= b[0] <= b[1]:
                raise BadInput(f"intercept must be None or (lo, hi) with 0 <= lo <= hi, got {b!r}")
        if self.w0 not in _W0_LAWS:
            raise BadInput(f"w0 must be one of {sorted(_W0_LAWS)}, got {self.w0!r}")

    def m_bounds(self, d: int) -> tuple[int, int]:
        """The range of m at dimension d."""
        return self.m_min[0] * d + self.m_min[1], self.m_max[0] * d + self.m_max[1]

    def dims(self) -> range:
        return range(self.d_range[0], self.d_range[1] + 1)

    def w0_law(self) -> str:
        return _W0_LAWS[self.w0].format(sd=self.w0_sd)

    def describe(self) -> dict:
        """JSON form (for evidence)."""
        return {"d_range": list(self.d_range), "m": f"{_affine(self.m_min)}..{_affine(self.m_max)}",
                "x_sd": self.x_sd, "slope_sd": self.slope_sd,
                "intercept_abs": None if self.intercept is None else list(self.intercept),
                "noise_sd": self.noise_sd, "w0": self.w0, "w0_law": self.w0_law()}

    def summary(self) -> str:
        """One line for a scope string, from the fields (never a hand-written description)."""
        b = "b = 0" if self.intercept is None else f"|b| in [{self.intercept[0]:g},{self.intercept[1]:g}]"
        return (f"d in {self.d_range[0]}..{self.d_range[1]}, m in {_affine(self.m_min)}..{_affine(self.m_max)}, "
                f"X ~ N(0,{self.x_sd:g}^2), y = Xa + b + e with a ~ N(0,{self.slope_sd:g}^2), {b}, "
                f"e ~ N(0,{self.noise_sd:g}^2), 3 decimals")


#: The law of the registered claim ``santurkar.lemma45_initialization``.
LEMMA45_DISTRIBUTION = ProblemDistribution()


def random_problem(rng: random.Random, dist: ProblemDistribution = LEMMA45_DISTRIBUTION, *,
                   d_range: tuple[int, int] | None = None) -> Problem:
    """One problem drawn from ``dist`` (``d_range``, if given, replaces dist.d_range).

    W0 is the raw draw (not yet oriented: that needs W*); None when dist.w0 == "wstar".
    """
    if d_range is not None:
        dist = replace(dist, d_range=tuple(d_range))
    d = rng.randint(*dist.d_range)
    m = rng.randint(*dist.m_bounds(d))
    X = tuple(tuple(_dec(rng, dist.x_sd) for _ in range(d)) for _ in range(m))
    a = [_dec(rng, dist.slope_sd) for _ in range(d)]
    b = Fraction(0)
    if dist.intercept is not None:
        lo, hi = (round(v * 1000) for v in dist.intercept)
        b = Fraction(rng.choice((-1, 1)) * rng.randint(lo, hi), 1000)
    y = tuple(sum((xi * ai for xi, ai in zip(row, a)), Fraction(0)) + b + _dec(rng, dist.noise_sd) for row in X)
    W0 = tuple(_dec(rng, dist.w0_sd) for _ in range(d)) if dist.w0 == "gaussian" else None
    return Problem(X=X, y=y, W0=W0)


@st.composite
def small_problems(draw, max_d: int = 3) -> Problem:
    """Small-integer problems for shrinking: d <= max_d, m in d+1..d+2, |x| <= 2, |y| <= 4."""
    d = draw(st.integers(1, max_d))
    m = draw(st.integers(d + 1, d + 2))
    flat = draw(st.lists(st.integers(-2, 2), min_size=m * d, max_size=m * d))
    X = tuple(tuple(Fraction(v) for v in flat[i * d:(i + 1) * d]) for i in range(m))
    y = tuple(Fraction(v) for v in draw(st.lists(st.integers(-4, 4), min_size=m, max_size=m)))
    return Problem(X=X, y=y)


def solve_spd(A: list[list[Any]], b: list[Any]) -> tuple[list[Any], list[Any]]:
    """Gaussian elimination without pivoting (for Gram matrices); returns (x, pivots).

    All pivots > 0 iff A is positive definite, i.e. the design has full column rank.
    """
    n = len(b)
    A = [list(r) for r in A]
    b = list(b)
    pivots = []
    for k in range(n):
        p = A[k][k]
        pivots.append(p)
        if isinstance(p, _IV_TYPE) and p.a <= 0 or not isinstance(p, _IV_TYPE) and p == 0:
            return [p * 0] * n, pivots  # singular (or not certified): the caller sees the pivot
        for i in range(k + 1, n):
            f = A[i][k] / p
            for j in range(k, n):
                A[i][j] -= f * A[k][j]
            b[i] -= f * b[k]
    x: list[Any] = [None] * n
    for i in reversed(range(n)):
        x[i] = (b[i] - sum((A[i][j] * x[j] for j in range(i + 1, n)), 0 * b[i])) / A[i][i]
    return x, pivots


def _normal_equations(X: Sequence[Sequence[Any]], y: Sequence[Any]) -> tuple[list, list]:
    d = len(X[0])
    G = [[sum((r[a] * r[c] for r in X), 0 * y[0]) for c in range(d)] for a in range(d)]
    rhs = [sum((r[a] * t for r, t in zip(X, y)), 0 * y[0]) for a in range(d)]
    return G, rhs


def standard_optimum(X: Sequence[Sequence[Any]], y: Sequence[Any]) -> tuple[list, list]:
    """W* = argmin 1/2||Xw - y||^2 (no bias): solve X^T X w = X^T y. Returns (W*, pivots)."""
    return solve_spd(*_normal_equations(X, y))


def bn_direction(X: Sequence[Sequence[Any]], y: Sequence[Any]) -> tuple[list, list]:
    """u*: least squares of the centered targets on the centered inputs (the BN optimum direction)."""
    m, d = len(X), len(X[0])
    means = [sum((r[a] for r in X), 0 * y[0]) / m for a in range(d)]
    ybar = sum(y, 0 * y[0]) / m
    Xc = [[r[a] - means[a] for a in range(d)] for r in X]
    return solve_spd(*_normal_equations(Xc, [t - ybar for t in y]))


def standard_optimum_with_bias(X: Sequence[Sequence[Any]], y: Sequence[Any]) -> tuple[list, list]:
    """Weight part of argmin 1/2||Xw + b1 - y||^2 (augmented normal equations, bias dropped)."""
    one = y[0] * 0 + 1
    sol, piv = solve_spd(*_normal_equations([list(r) + [one] for r in X], y))
    return sol[:-1], piv


def _dot(a: Sequence[Any], b: Sequence[Any]) -> Any:
    return sum((u * v for u, v in zip(a, b)), 0 * a[0])


def _pos(p: Any) -> Any:
    """max(p, 0), with the interval case split when the sign is certified (else [0, hi])."""
    if isinstance(p, _IV_TYPE):
        if p.a >= 0:
            return p
        if p.b <= 0:
            return p * 0
        return iv.mpf([0, p.b])
    return p if p > 0 else p * 0


def lemma45_terms(W0: Sequence[Any], Wstar: Sequence[Any], u: Sequence[Any]) -> dict:
    """Both sides of Lemma 4.5 for W0, the standard optimum W* and the BN direction u*.

    rhs: the lemma's right-hand side, literally. lhs_line: inf_{t != 0}||W0 - t u*||^2 (gamma,
    beta trainable); lhs_ray: inf_{t > 0}||W0 - t u*||^2 (gamma = 1, beta = 0 fixed).
    """
    n2 = _dot(Wstar, Wstar)
    ip = _dot(Wstar, W0)
    diff = [a - b for a, b in zip(W0, Wstar)]
    rhs = _dot(diff, diff) - (n2 - ip) ** 2 / n2
    w2 = _dot(W0, W0)
    uu = _dot(u, u)
    p = _dot(W0, u)
    return {"ip": ip, "rhs": rhs, "lhs_line": w2 - p ** 2 / uu, "lhs_ray": w2 - _pos(p) ** 2 / uu,
            "w0_norm2": w2, "u_norm2": uu, "wstar_norm2": n2}


def _to(kind: str, v: Fraction) -> Any:
    if kind == "exact":
        return v
    if kind == "iv":
        return iv.mpf(v.numerator) / v.denominator
    return mpmath.mpf(v.numerator) / v.denominator


def evaluate(problem: Problem, *, kind: str = "mp", dps: int = 60, bias: bool = False,
             at_wstar: bool = False, orient: bool = False) -> dict:
    """Optima and both sides of Lemma 4.5 for one problem, in ``exact``, ``mp`` or ``iv`` arithmetic.

    ``bias=True`` uses the standard neuron with a bias (W* = its weight part). ``at_wstar`` puts
    W0 = W*. ``orient`` (exact or mp) uses -W0 where <W0,W*> < 0 and sets ``flipped``.
    ``wellposed`` records the hypotheses: full column rank of X and CX (positive pivots),
    u* != 0, W* != 0 and <W0,W*> > 0.
    """
    if orient and kind == "iv":
        raise ValueError("orient needs a decided sign: use kind='exact' or 'mp'")
    ctx = mpmath.workdps(dps) if kind == "mp" else _IvDps(dps)
    with ctx:
        X = [[_to(kind, v) for v in r] for r in problem.X]
        y = [_to(kind, v) for v in problem.y]
        Ws, piv1 = (standard_optimum_with_bias if bias else standard_optimum)(X, y)
        u, piv2 = bn_direction(X, y)
        W0 = Ws if at_wstar or problem.W0 is None else [_to(kind, v) for v in problem.W0]
        flipped = bool(orient and W0 is not Ws and _dot(W0, Ws) < 0)
        W0 = [-v for v in W0] if flipped else W0
        scale = max(1, max(abs(_to("exact", v)) for r in problem.X for v in r) ** 2)
        thr = 0 if kind != "mp" else mp_rel_tol(dps) * scale * problem.m
        pos = (lambda q: q.a > thr) if kind == "iv" else (lambda q: q > thr)
        ok = all(pos(p) for p in piv1 + piv2)
        out: dict = {"wellposed": False, "W_star": Ws, "u_star": u, "flipped": flipped}
        if not ok:
            return out
        if not (pos(_dot(u, u)) and pos(_dot(Ws, Ws)) and pos(_dot(W0, Ws))):
            return out
        out.update(lemma45_terms(W0, Ws, u))
        out["wellposed"] = True
        return out


class _IvDps:
    """Set the interval context's precision and restore it (also a no-op for ``exact``)."""

    def __init__(self, dps: int) -> None:
        self.dps, self.old = dps, iv.dps

    def __enter__(self) -> None:
        self.old = iv.dps
        iv.dps = self.dps

    def __exit__(self, *exc: object) -> None:
        iv.dps = self.old


def _slack(res: dict, dps: int) -> Any:
    return mp_rel_tol(dps) * max(res["w0_norm2"], 1)


def violates_at_wstar(problem: Problem, dps: int = 60, side: str = "lhs_line") -> bool:
    """mp predicate: the problem is well posed and Lemma 4.5 fails at W0 = W* (beyond rounding)."""
    r = evaluate(problem, kind="mp", dps=dps, at_wstar=True)
    return bool(r["wellposed"] and r[side] - r["rhs"] > _slack(r, dps))


def certify_violation(problem: Problem, *, sides: Sequence[str] = ("lhs_line",), at_wstar: bool = False,
                      bias: bool = False, dps: int = 60) -> dict:
    """Interval certificates that LHS - RHS > 0 (per side) and that the hypotheses hold.

    The hypotheses (positive pivots of X^T X and of the centered Gram matrix, u* != 0, W* != 0,
    <W0,W*> > 0) are certified in the same interval evaluation; ``certified`` is False unless
    they are.
    """
    r = evaluate(problem, kind="iv", dps=dps, at_wstar=at_wstar, bias=bias)
    if not r["wellposed"]:
        return {side: {"certified": False, "reason": "hypotheses not certified in interval arithmetic"}
                for side in sides}
    ip_cert = certify_positive(lambda M: r["ip"], [], dps=dps).as_dict()
    out = {}
    for side in sides:
        cert = certify_positive(lambda M, side=side: r[side] - r["rhs"], [], dps=dps).as_dict()
        cert["inner_W0_Wstar"] = ip_cert
        out[side] = cert
    return out


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    # the exact end points at k = 0 and k = n (centre -+ half cancel there only up to rounding)
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


_CLASSES = (("lhs_line", True), ("lhs_ray", True), ("lhs_line", False), ("lhs_ray", False))
_SET = {"lhs_line": "trainable", "lhs_ray": "fixed_gamma1_beta0"}


def _cls(side: str, at_wstar: bool) -> str:
    return _SET[side] + ("@W0=W*" if at_wstar else "@W0_random")


def _oriented(prob: Problem, dps: int) -> tuple[Problem, dict]:
    """Evaluate prob at its W0, flipped if <W0, W*> < 0 (W0 = W* when prob.W0 is None)."""
    r = evaluate(prob, dps=dps, at_wstar=prob.W0 is None, orient=True)
    if r["flipped"]:
        prob = Problem(prob.X, prob.y, tuple(-v for v in prob.W0))
    return prob, r


def failure_rate_by_d(dist: ProblemDistribution, n_per_d: int, rng: random.Random, *, dps: int = 60) -> dict:
    """Santurkar et al. (2018), Lemma 4.5: its failure rate at W0 drawn from ``dist.w0``, for each d apart.

    For every d in dist.d_range, ``n_per_d`` problems from dist with that d. Per BN optimum set
    ("trainable": gamma, beta trained; "fixed_gamma1_beta0"): ``failures`` are violations
    certified in interval arithmetic, hypotheses included (:func:`certify_violation`); a violation
    at ``dps`` digits that the intervals do not certify is ``undecided`` (neither a failure nor in
    the denominator); ``holds``: LHS - RHS <= the rounding slack at dps digits. ``fraction`` =
    failures / (failures + holds), with a 95% Wilson interval. Problems that violate the
    hypotheses (rank, W* = 0, u* = 0) are ``ill_posed`` and not counted. For an isotropic W0 the
    trainable rate is exactly 1/2 at every d >= 2 where u* is not parallel to W* (the reflection
    that swaps the lines span W* and span u* swaps the two sides and keeps the law; the event is
    even in W0, so the half-space <W0,W*> > 0 does not change it), and 0 at d = 1.
    """
    if n_per_d < 1:
        raise BadInput(f"n_per_d must be >= 1, got {n_per_d}")
    at_wstar = dist.w0 == "wstar"
    by_d: dict[str, dict] = {}
    for d in dist.dims():
        dist_d = replace(dist, d_range=(d, d))
        tally = {side: {"failures": 0, "holds": 0, "undecided": 0} for side in _SET}
        ill = 0
        for _ in range(n_per_d):
            prob, r = _oriented(random_problem(rng, dist_d), dps)
            if not r["wellposed"]:
                ill += 1
                continue
            with mpmath.workdps(dps):
                sides = [s for s in _SET if r[s] - r["rhs"] > _slack(r, dps)]
            certs = certify_violation(prob, sides=sides, at_wstar=at_wstar, dps=dps) if sides else {}
            for side in _SET:
                key = "holds" if side not in sides else "failures" if certs[side]["certified"] else "undecided"
                tally[side][key] += 1
        row: dict = {"drawn": n_per_d, "ill_posed": ill, "wellposed": n_per_d - ill}
        for side, t in tally.items():
            k, n = t["failures"], t["failures"] + t["holds"]
            row[_SET[side]] = {**t, "decided": n, "fraction": (k / n) if n else None,
                               "wilson95": list(wilson_interval(k, n))}
        by_d[str(d)] = row
    return {"w0": dist.w0_law(), "problems_per_d": n_per_d, "dps": dps, "by_d": by_d,
            "rule": ("failures: interval-certified violations (hypotheses included); undecided: a violation at "
                     f"{dps} digits not certified, left out of fraction = failures / (failures + holds)")}


def search_lemma45_violations(ctx: Context, dist: ProblemDistribution = LEMMA45_DISTRIBUTION) -> Outcome:
    """Santurkar et al. (2018), Lemma 4.5, against random single-neuron problems (Junike & Dannemann 2025).

    For N problems drawn from ``dist`` at ctx.dps digits: W*, u*, both sides of the lemma at
    W0 = W* and at a random W0 (dist.w0, oriented so that <W0,W*> > 0), for both BN optimum sets.
    Every violation counted is re-verified in interval arithmetic (hypotheses included); the
    failure rate is certified violations / well-posed problems, with a 95% Wilson interval.
    One violation is shrunk by hypothesis to a small-integer counterexample, then verified
    exactly (rationals) and by intervals. Control: the standard neuron *with* a bias, same
    problems, same W0, where the lemma must hold; its violations are counted the same way.
    The evidence adds the failure rate at a random W0 for each d apart (:func:`failure_rate_by_d`),
    the rate that describes the lemma; the verdict rests on the certified counterexamples.
    """
    if dist.w0 == "wstar":
        raise BadInput("the search evaluates W0 = W* anyway; its distribution needs a random W0 (w0='gaussian')")
    n = ctx.budget(20, 250, 1500)
    dps = ctx.dps
    rng = ctx.rng("junike2025.lemma45")
    counts = {_cls(*c): 0 for c in _CLASSES}
    certified = dict(counts)
    by_d: dict[int, list[int]] = {}
    drawn_by_d: dict[int, int] = {}
    wellposed = 0
    first: dict | None = None
    bias_viol, bias_worst, bias_cases = 0, mpmath.mpf(-1), 0
    for _ in range(n):
        prob = random_problem(rng, dist)
        drawn_by_d[prob.d] = drawn_by_d.get(prob.d, 0) + 1
        with mpmath.workdps(dps):
            r_star = evaluate(prob, dps=dps, at_wstar=True)
            if not r_star["wellposed"]:
                continue
            if _dot(prob.W0, r_star["W_star"]) < 0:  # orient W0 so that <W0, W*> > 0
                prob = Problem(prob.X, prob.y, tuple(-v for v in prob.W0))
            r_0 = evaluate(prob, dps=dps)
        if not r_0["wellposed"]:
            continue
        wellposed += 1
        by_d.setdefault(prob.d, [0, 0])[1] += 1
        for at_wstar, r in ((True, r_star), (False, r_0)):
            sides = [s for s in ("lhs_line", "lhs_ray") if r[s] - r["rhs"] > _slack(r, dps)]
            if not sides:
                continue
            certs = certify_violation(prob, sides=sides, at_wstar=at_wstar, dps=dps)
            for side in sides:
                counts[_cls(side, at_wstar)] += 1
                if certs[side]["certified"]:
                    certified[_cls(side, at_wstar)] += 1
            if at_wstar and "lhs_line" in sides:
                by_d[prob.d][0] += 1
                if first is None and certs["lhs_line"]["certified"]:
                    first = {"problem": prob.describe(), "W0": "W*",
                             "lhs_trainable": mpmath.nstr(r["lhs_line"], 20),
                             "rhs": mpmath.nstr(r["rhs"], 20), "certificate": certs["lhs_line"]}
        for at_wstar in (True, False):  # control: standard neuron with a bias
            rb = evaluate(prob, dps=dps, bias=True, at_wstar=at_wstar)
            if not rb["wellposed"]:
                continue
            bias_cases += 1
            with mpmath.workdps(dps):
                for side in ("lhs_line", "lhs_ray"):
                    gap = (rb[side] - rb["rhs"]) / max(rb["w0_norm2"], 1)
                    bias_worst = max(bias_worst, gap)
                    bias_viol += int(gap > mp_rel_tol(dps))
    shrunk = shrink(small_problems(max_d=2), lambda p: violates_at_wstar(p, dps), seed=ctx.seed,
                    max_examples=ctx.budget(200, 500, 2000))
    shrunk_ev: dict | None = None
    if shrunk is not None:
        ex = evaluate(shrunk, kind="exact", at_wstar=True)
        cert = certify_violation(shrunk, sides=("lhs_line", "lhs_ray"), at_wstar=True, dps=dps)
        shrunk_ev = {"problem": shrunk.describe(), "W0": "W*", "W_star": [str(v) for v in ex["W_star"]],
                     "u_star": [str(v) for v in ex["u_star"]], "rhs_exact": str(ex["rhs"]),
                     "lhs_trainable_exact": str(ex["lhs_line"]), "lhs_fixed_exact": str(ex["lhs_ray"]),
                     "exact_violation": bool(ex["wellposed"] and ex["lhs_line"] > ex["rhs"]),
                     "certificate": cert}
    head = _cls("lhs_line", True)
    rate = {c: {"certified_violations": certified[c], "violations_mp": counts[c], "problems": wellposed,
                "fraction": (certified[c] / wellposed) if wellposed else None,
                "wilson95": list(wilson_interval(certified[c], wellposed))} for c in counts}
    shrunk_ok = bool(shrunk_ev and shrunk_ev["exact_violation"] and shrunk_ev["certificate"]["lhs_line"]["certified"])
    if certified[head] > 0 and shrunk_ok:
        verdict = Verdict.REFUTED
    elif sum(counts.values()) == 0 and shrunk is None:
        verdict = Verdict.HOLDS
    else:
        verdict = Verdict.INCONCLUSIVE
    n_per_d = ctx.budget(10, 150, 600)
    per_d = failure_rate_by_d(dist, n_per_d, ctx.rng("junike2025.lemma45.random_w0"), dps=dps)
    evidence = {
        "dps": dps, "seed": ctx.seed, "problems_drawn": n, "problems_wellposed": wellposed,
        "failure_rate": rate, "violations_by_d_trainable_at_Wstar": {str(k): v for k, v in sorted(by_d.items())},
        "search": {"first_found": first}, "counterexample": shrunk_ev,
        "with_bias_control": {"cases": bias_cases, "violations": bias_viol,
                              "max_normalized_lhs_minus_rhs": mpmath.nstr(bias_worst, 5),
                              "tolerance": f"mp_rel_tol({dps})"},
        "optimum_sets": {"trainable": "{t u*: t != 0}", "fixed_gamma1_beta0": "{t u*: t > 0}"},
        "distribution": dist.describe(), "failure_rate_random_w0": per_d,
    }
    drawn = ", ".join(f"{d}: {drawn_by_d.get(d, 0)}" for d in dist.dims())
    lo, hi = dist.d_range
    scope = (f"{n} random problems ({wellposed} well posed; drawn per d {drawn}) from {dist.summary()}; "
             f"W0 = W* and W0 {dist.w0} (sd {dist.w0_sd:g}) with <W0,W*> > 0, both BN optimum sets; "
             "violations certified by intervals; one shrunk by hypothesis (small integers, d <= 2); "
             f"failure rate at random W0 per d: {n_per_d} problems for each d in {lo}..{hi}; "
             f"{dps} digits, seed {ctx.seed}")
    return Outcome(verdict=verdict, evidence=evidence, scope=scope)
