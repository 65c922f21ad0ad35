"""High-precision and Monte Carlo checks of BN's inference statistics (catalog C12, C13, C14).

Ioffe & Szegedy 2015 (``ioffe2015batch``) Alg. 2; seed 001 (``wiki2025bn``) "Inference Phase";
``pytorch_batchnorm_docs`` and ``keras_batchnorm_docs`` for the momentum conventions.

Expectations are exact enumerations over discrete distributions (2 atoms up to m = 300 through
the binomial law, 3 atoms up to m = 24 through the multinomial law), evaluated in any mpmath
context ``M`` so that a violation is re-evaluated in ``mpmath.iv`` for its certificate. Atoms
are centred exactly in rationals first (the batch variance is translation invariant), so
near-constant distributions lose no digits. The Monte Carlo part of C13 uses numpy in float64:
its statistical error (>= 1e-4) dwarfs rounding.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import mpmath
import numpy as np
from hypothesis import strategies as st

from bnclaims.context import Context
from bnclaims.tolerances import mp_rel_tol, tol
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.numerics.bn_mp import rel_err
from bnclaims.numerics.intervals import certify_nonzero
from bnclaims.numerics.search import run_property, shrink
from bnclaims.numerics.strategies import BNCase, bn_cases

__all__ = [
    "Dist", "dists", "batch_variance_moments", "unbiased_coeff", "twin_unbiased_coeff",
    "check_unbiased_population_variance", "finite_population_enumeration", "keras_momentum",
    "twin_keras_momentum", "torch_update", "keras_update", "EmaCase", "ema_cases",
    "ema_errors", "monte_carlo_ema", "check_running_average", "check_inference_affine",
    "on_batch_inference_affine",
]


@dataclass(frozen=True)
class Dist:
    """Atoms (exact) with integer weights, and a batch size m."""

    atoms: tuple[Fraction, ...]
    weights: tuple[int, ...]
    m: int

    def describe(self) -> dict:
        return {"atoms": [str(a) for a in self.atoms], "weights": list(self.weights), "m": self.m}


_SCALES = (Fraction(1), Fraction(1, 10**20), Fraction(10**30), Fraction(1, 10**30))


@st.composite
def dists(draw, max_m: int = 300) -> Dist:
    """2 atoms (m <= max_m) or 3 atoms (m <= 24); scales 1, 1e-20 around 3 (near-constant), 1e+-30."""
    k = draw(st.sampled_from((2, 3)))
    m = draw(st.integers(2, max_m if k == 2 else min(max_m, 24)))
    scale = draw(st.sampled_from(_SCALES))
    off = Fraction(3) if scale == _SCALES[1] else Fraction(0)
    raw = draw(st.lists(st.integers(-8, 8), min_size=k, max_size=k, unique=True))
    weights = draw(st.lists(st.sampled_from((1, 2, 5, 999)), min_size=k, max_size=k))
    return Dist(tuple(off + scale * r for r in raw), tuple(weights), m)


def batch_variance_moments(M, d: Dist) -> tuple[Any, Any, Any]:
    """(E sigma_B^2, E (sigma_B^2)^2, sigma^2) by exact enumeration of the multinomial law."""
    c = [a - d.atoms[0] for a in d.atoms]  # exact centring
    atoms = [M.mpf(a.numerator) / a.denominator for a in c]
    tot = sum(d.weights)
    p = [M.mpf(w) / tot for w in d.weights]
    mean = M.fsum([pi * a for pi, a in zip(p, atoms)])
    var = M.fsum([pi * (a - mean) ** 2 for pi, a in zip(p, atoms)])
    e1, e2 = [], []
    k, m = len(atoms), d.m
    for counts in itertools.product(range(m + 1), repeat=k - 1):
        last = m - sum(counts)
        if last < 0:
            continue
        ks = list(counts) + [last]
        coef = math.factorial(m)
        for kk in ks:
            coef //= math.factorial(kk)
        prob = coef * M.fprod([pi**kk for pi, kk in zip(p, ks)])
        mb = M.fsum([kk * a for kk, a in zip(ks, atoms)]) / m
        vb = M.fsum([kk * (a - mb) ** 2 for kk, a in zip(ks, atoms)]) / m
        e1.append(prob * vb)
        e2.append(prob * vb * vb)
    return M.fsum(e1), M.fsum(e2), var


def unbiased_coeff(m: int) -> Fraction:
    """C12: E sigma_B^2 = (m-1)/m sigma^2."""
    return Fraction(m - 1, m)


def twin_unbiased_coeff(m: int) -> Fraction:
    """False twin: E sigma_B^2 = sigma^2."""
    return Fraction(1)


def _prop(ctx: Context, strategy, small, evaluate: Callable, certify: Callable, salt: str,
          what: str, n: int) -> Outcome:
    seed = ctx.rng(salt).randrange(2**32)
    rep = run_property(strategy, evaluate, max_examples=n, seed=seed, shrink_violation=False)
    ev: dict = {"cases": rep.cases, "dps": ctx.dps, "seed": seed, "max_rel_error": mpmath.nstr(rep.max_error, 5),
                "tolerance": f"mp_rel_tol({ctx.dps})",
                "worst_case": rep.worst_case.describe() if rep.worst_case else None}
    scope = f"{rep.cases} hypothesis cases, {what}, {ctx.dps} digits"
    if not rep.violated:
        return Outcome(Verdict.HOLDS, scope, ev)
    case = shrink(small, lambda c: not evaluate(c)[1], seed=seed) or rep.violation
    cert = certify_nonzero(lambda M: certify(M, case), [], dps=ctx.dps).as_dict()
    ev.update({"counterexample": case.describe(), "certificate": cert})
    return Outcome(Verdict.REFUTED if cert["certified"] else Verdict.INCONCLUSIVE,
                   scope + "; counterexample shrunk and interval-certified", ev)


def check_unbiased_population_variance(ctx: Context, coeff=unbiased_coeff) -> Outcome:
    """C12 (Alg. 2 step 10): E sigma_B^2 = coeff(m) sigma^2 by exact enumeration, plus the
    finite-population caveat E sigma_B^2 = (m-1)/m n/(n-1) s_n^2 (exact, n = 6, m = 3 and more)."""
    def diff(M, d: Dist):
        e1, _, var = batch_variance_moments(M, d)
        c = coeff(d.m)
        return e1, var * c.numerator / c.denominator

    def evaluate(d: Dist):
        with mpmath.workdps(ctx.dps):
            a, b = diff(mpmath.mp, d)
            err = rel_err(mpmath.mp, a, b)
            return err, bool(err <= mp_rel_tol(ctx.dps))
    out = _prop(ctx, dists(), dists(max_m=6), evaluate, lambda M, d: (lambda a, b: a - b)(*diff(M, d)),
                "bn.unbiased", "2 atoms m in 2..300, 3 atoms m in 2..24, scales 1e-30..1e30",
                ctx.budget(8, 60, 200))
    out.evidence["finite_population"] = finite_population_enumeration()
    if out.verdict is Verdict.HOLDS and not out.evidence["finite_population"]["all_match"]:
        out.verdict = Verdict.INCONCLUSIVE
    return out


def finite_population_enumeration() -> dict:
    """Exact E sigma_B^2 over all m-subsets of a population (without replacement) vs the formula."""
    pops = [(1, 2, 4, 7, 11, 16), (0, 0, 1, 5), (-3, 2, 2, 9, 10, 10, 40)]
    rows, ok = [], True
    for pop in pops:
        n = len(pop)
        mean = Fraction(sum(pop), n)
        s2 = sum((Fraction(x) - mean) ** 2 for x in pop) / n
        for m in range(2, n + 1):
            subs = list(itertools.combinations(pop, m))
            e = sum((sum((Fraction(x) - Fraction(sum(b), m)) ** 2 for x in b) / m for b in subs),
                    Fraction(0)) / len(subs)
            pred = Fraction(m - 1, m) * Fraction(n, n - 1) * s2
            ok &= e == pred
            if (n, m) == (6, 3) or m == 2:
                rows.append({"population": list(pop), "m": m, "E_sigma_B2": str(e),
                             "E_sigma_B2_float": float(e), "(m-1)/m n/(n-1) s_n^2": str(pred),
                             "(m-1)/m s_n^2": str(Fraction(m - 1, m) * s2)})
    return {"all_match": ok, "rows": rows}


# --- C13 ----------------------------------------------------------------------------------------
def keras_momentum(p: Fraction) -> Fraction:
    """C13: the Keras momentum (retained fraction) that reproduces torch momentum p is 1 - p."""
    return 1 - p


def twin_keras_momentum(p: Fraction) -> Fraction:
    """False twin: torch's momentum p passed to Keras unchanged."""
    return p


def torch_update(r: Any, v: Any, p: Any) -> Any:
    """``pytorch_batchnorm_docs``: running <- (1 - momentum) running + momentum observed."""
    return (1 - p) * r + p * v


def keras_update(r: Any, v: Any, c: Any) -> Any:
    """``keras_batchnorm_docs``: moving <- moving momentum + observed (1 - momentum)."""
    return c * r + (1 - c) * v


@dataclass(frozen=True)
class EmaCase:
    """A distribution for v_t = sigma_B^2, a retained fraction c, a step t, r_0 and a torch momentum p."""

    dist: Dist
    c: Fraction
    t: int
    r0: Fraction
    p: Fraction = Fraction(1, 10)

    def describe(self) -> dict:
        return {**self.dist.describe(), "c": str(self.c), "t": self.t, "r0": str(self.r0),
                "torch_momentum": str(self.p)}


_TORCH_MOMENTA = (Fraction(1, 10), Fraction(1, 100), Fraction(1, 2), Fraction(1, 1000), Fraction(3, 10))


@st.composite
def ema_cases(draw, max_m: int = 300) -> EmaCase:
    c = draw(st.sampled_from((Fraction(9, 10), Fraction(99, 100), Fraction(1, 2), Fraction(999, 1000))))
    return EmaCase(draw(dists(max_m=max_m)), c, draw(st.integers(0, 400)),
                   Fraction(draw(st.integers(-5, 5))), draw(st.sampled_from(_TORCH_MOMENTA)))


def ema_errors(M, e: EmaCase, limit_coeff=unbiased_coeff, torch_to_keras=keras_momentum) -> list:
    """[unrolled E r_t - closed form, unrolled Var r_t - closed form, torch - Keras update].

    Closed forms: E r_t = c^t r0 + (1-c^t) limit_coeff(m) sigma^2 and Var r_t =
    (1-c)/(1+c)(1-c^{2t}) Var v; the unrolled sums use E v, Var v from exact enumeration.
    Third: the documented torch rule with the drawn torch momentum p and the documented Keras
    rule with momentum torch_to_keras(p) (the mapping under test, used on the Keras side only)
    run from r0 on the same v sequence for min(t, 50) + 1 steps.
    """
    e1, e2, var = batch_variance_moments(M, e.dist)
    c = M.mpf(e.c.numerator) / e.c.denominator
    r0 = M.mpf(e.r0.numerator) / e.r0.denominator
    lc = limit_coeff(e.dist.m)
    mean_unrolled = c**e.t * r0 + (1 - c) * M.fsum([c ** (e.t - k) for k in range(1, e.t + 1)]) * e1
    mean_closed = c**e.t * r0 + (1 - c**e.t) * var * lc.numerator / lc.denominator
    varv = e2 - e1 * e1
    var_unrolled = (1 - c) ** 2 * M.fsum([c ** (2 * (e.t - k)) for k in range(1, e.t + 1)]) * varv
    var_closed = (1 - c) / (1 + c) * (1 - c ** (2 * e.t)) * varv
    p = M.mpf(e.p.numerator) / e.p.denominator
    ck = torch_to_keras(e.p)
    ck = M.mpf(ck.numerator) / ck.denominator
    rt = rk = r0
    for k in range(min(e.t, 50) + 1):
        v = e1 * ((k + 1) % 3) / 2  # a deterministic, varying sequence of inputs (first one nonzero)
        rt, rk = torch_update(rt, v, p), keras_update(rk, v, ck)
    scale = abs(r0) + var + abs(e1)
    return [(mean_unrolled - mean_closed) / scale, (var_unrolled - var_closed) / (abs(varv) + var * var),
            (rt - rk) / scale]


def monte_carlo_ema(ctx: Context, limit_coeff=unbiased_coeff) -> dict:
    """Seeded Monte Carlo: R chains of Gaussian batches (sigma^2 = 4, m = 8), biased v_t, Keras EMA.

    z-scores of the mean of r_T against c^T r0 + (1-c^T) limit_coeff(m) sigma^2, and of the sample
    variance of r_T against (1-c)/(1+c)(1-c^{2T}) Var v, Var v = 2(m-1) sigma^4 / m^2.
    """
    rng = np.random.default_rng(ctx.seed)
    R, m, s2 = ctx.budget(2000, 20000, 50000), 8, 4.0
    out = {}
    for c, T in ((0.9, ctx.budget(60, 200, 400)), (0.99, ctx.budget(60, 200, 400))):
        r = np.zeros(R)
        for _ in range(T):
            x = rng.normal(0.0, math.sqrt(s2), size=(R, m))
            r = c * r + (1 - c) * x.var(axis=1)
        lc = float(limit_coeff(m))
        pred = (1 - c**T) * lc * s2
        z_mean = (r.mean() - pred) / (r.std(ddof=1) / math.sqrt(R))
        varv = 2 * (m - 1) * s2**2 / m**2
        pred_var = (1 - c) / (1 + c) * (1 - c ** (2 * T)) * varv
        dev = r - r.mean()
        se_var = math.sqrt(max(np.mean(dev**4) - np.var(r) ** 2, 0.0) / R)
        z_var = (np.var(r, ddof=1) - pred_var) / se_var
        out[f"c={c},T={T}"] = {"mean_r_T": float(r.mean()), "predicted": pred, "z_mean": float(z_mean),
                               "sd_r_T": float(r.std(ddof=1)), "predicted_sd": math.sqrt(pred_var),
                               "z_sd": float(z_var)}
    out["chains"], out["m"], out["sigma2"], out["seed"] = R, m, s2, ctx.seed
    out["max_abs_z"] = max(max(abs(v["z_mean"]), abs(v["z_sd"])) for k, v in out.items() if k.startswith("c="))
    out["tolerance"] = f"mc.z_score = {tol('mc.z_score')}"
    return out


def check_running_average(ctx: Context, limit_coeff=unbiased_coeff, torch_to_keras=keras_momentum) -> Outcome:
    """C13 (seed 001; torch/Keras docs): the torch -> Keras momentum mapping torch_to_keras, E r_t,
    Var r_t, and the biased-variance limit limit_coeff(m) sigma^2: exact enumeration at ctx.dps
    plus a seeded Monte Carlo."""
    def evaluate(e: EmaCase):
        with mpmath.workdps(ctx.dps):
            err = max(abs(x) for x in ema_errors(mpmath.mp, e, limit_coeff, torch_to_keras))
            return err, bool(err <= mp_rel_tol(ctx.dps))

    def certify(M, e: EmaCase):
        errs = ema_errors(M, e, limit_coeff, torch_to_keras)
        with mpmath.workdps(ctx.dps):
            j = max(range(3), key=lambda i: abs(ema_errors(mpmath.mp, e, limit_coeff, torch_to_keras)[i]))
        return errs[j]
    out = _prop(ctx, ema_cases(max_m=60), ema_cases(max_m=6), evaluate, certify, "bn.ema",
                "2/3-atom v laws, m in 2..60, c in {1/2, 9/10, 99/100, 999/1000}, t in 0..400, "
                "torch momentum p in {1/1000, 1/100, 1/10, 3/10, 1/2} vs Keras momentum torch_to_keras(p)",
                ctx.budget(6, 40, 150))
    mc = monte_carlo_ema(ctx, limit_coeff)
    out.evidence["monte_carlo"] = mc
    out.scope += f"; Monte Carlo {mc['chains']} chains, |z| <= {tol('mc.z_score')}"
    if out.verdict is Verdict.HOLDS and mc["max_abs_z"] > tol("mc.z_score"):
        out.verdict = Verdict.INCONCLUSIVE
    return out


# --- C14 ----------------------------------------------------------------------------------------
def _inference_pair(M, b: BNCase, sign: int):
    """Inference BN (Alg. 2) with E[x] = batch mean, Var[x] = unbiased batch variance, vs the affine
    map gamma/s x + (beta + sign gamma E[x]/s); claim sign = -1, twin sign = +1."""
    def conv(q: Fraction):
        return M.mpf(q.numerator) / q.denominator

    m = len(b.y)
    mean = sum(b.y, Fraction(0)) / m
    uvar = sum(((v - mean) ** 2 for v in b.y), Fraction(0)) / (m - 1)
    g, be, e = conv(b.gamma), conv(b.beta), conv(b.eps)
    s = M.sqrt(conv(uvar) + e)
    lhs = [g * (conv(x - mean)) / s + be for x in b.y]  # x - E[x] exact in rationals
    rhs = [g / s * conv(x) + (be + sign * g * conv(mean) / s) for x in b.y]
    # the affine form adds terms of size |gamma| max(|x|, |E x|)/s + |beta|; rounding is relative to those
    big = abs(g) * max([abs(conv(x)) for x in b.y] + [abs(conv(mean))]) / s + abs(be)
    out = max(abs(v) for v in lhs)
    kappa = 1 + (big / out if M is mpmath.mp and out != 0 else 0)
    return lhs, rhs, kappa


def check_inference_affine(ctx: Context, sign: int = -1) -> Outcome:
    """C14 (Alg. 2 step 11): inference BN equals the affine map; error allowed mp_rel_tol * kappa."""
    def evaluate(b: BNCase):
        with mpmath.workdps(ctx.dps):
            lhs, rhs, kappa = _inference_pair(mpmath.mp, b, sign)
            scale = max(abs(x) for x in lhs + rhs) or 1
            err = max(abs(x - w) for x, w in zip(lhs, rhs)) / scale
            return err, bool(err <= mp_rel_tol(ctx.dps) * kappa)

    def certify(M, b: BNCase):
        lhs, rhs, _ = _inference_pair(M, b, sign)
        with mpmath.workdps(ctx.dps):
            l2, r2, _ = _inference_pair(mpmath.mp, b, sign)
            j = max(range(len(l2)), key=lambda i: abs(l2[i] - r2[i]))
        return lhs[j] - rhs[j]
    return _prop(ctx, bn_cases(), bn_cases(max_m=6), evaluate, certify, "bn.inference_affine",
                 "m in 2..300, eps in {0, 1e-5, 1}, hard flavours; E[x], Var[x] from the batch",
                 ctx.budget(12, 120, 400))


def on_batch_inference_affine(y, eps, gamma, g, ctx: Context) -> Outcome:
    """Inference BN with the batch's mean and unbiased variance vs the affine form (beta = 0)."""
    b = BNCase(tuple(Fraction(v) for v in y), tuple(Fraction(v) for v in (g or [0] * len(y))),
               Fraction(gamma if gamma is not None else 1), Fraction(0), Fraction(eps), "user")
    with mpmath.workdps(ctx.dps):
        lhs, rhs, kappa = _inference_pair(mpmath.mp, b, -1)
        scale = max(abs(x) for x in lhs + rhs) or 1
        err = max(abs(x - w) for x, w in zip(lhs, rhs)) / scale
        ok = err <= mp_rel_tol(ctx.dps) * kappa
    ev = {"m": b.m, "rel_error": mpmath.nstr(err, 5), "dps": ctx.dps, "kappa": mpmath.nstr(kappa, 5)}
    return Outcome(Verdict.HOLDS if ok else Verdict.INCONCLUSIVE,
                   f"the given batch (m = {b.m}) as inputs, E[x] and Var[x] from it, {ctx.dps} digits", ev)
