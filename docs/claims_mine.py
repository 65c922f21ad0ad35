"""Three claims of mine: `bnclaims check claims_mine.py` or `pytest` (exit 1: two of them are wrong)."""
from fractions import Fraction
from functools import partial

import sympy as sp

from bnclaims import Claim, Level, Outcome, Source, Twin, Verdict, Witness, register
from numerics.bn_mp import bn_forward
from numerics.intervals import certify_nonzero
from numerics.santurkar2018_smoothness import check_thm41
from theory import bn_algebra
from theory.santurkar2018_smoothness import prove_thm41


def sum_theory(ctx, extra=0):
    """sum_i z_i = m beta + extra gamma: sympy, m = 2..6, symbolic y, gamma, beta and eps >= 0."""
    (g, b), e = sp.symbols("gamma beta", real=True), sp.Symbol("epsilon", nonnegative=True)
    for m in range(2, 7):
        y = sp.symbols(f"y1:{m + 1}", real=True)
        mu = sum(y) / m
        z = [g * (v - mu) / sp.sqrt(sum((w - mu) ** 2 for w in y) / m + e) + b for v in y]
        gap = sp.simplify(sp.together(sum(z) - m * b - extra * g))
        if gap != 0:  # an exact point where the difference is a nonzero rational
            at = {**{v: i for i, v in enumerate(y)}, g: 1, b: 0, e: 0}
            cex = {"m": m, "y": list(range(m)), "gamma": 1, "beta": 0, "eps": 0, "gap": str(gap.subs(at))}
            return Outcome(Verdict.REFUTED, f"exact, m = {m}", {"counterexample": cex, "exact": gap.subs(at) != 0})
    return Outcome(Verdict.PROVED, "m = 2..6, symbolic y, gamma, beta, eps >= 0")


def sum_numerics(ctx, extra=0):
    """The same on random rational batches in mpmath interval arithmetic at ctx.dps digits."""
    rng, n = ctx.rng("sum"), ctx.budget(20, 200)
    gap = lambda M, y, g, b, e: M.fsum(bn_forward(M, y, g, b, e)) - len(y) * b - extra * g  # noqa: E731
    for _ in range(n):
        args = [[Fraction(v, 7) for v in rng.sample(range(-999, 1000), rng.randint(2, 40))],
                Fraction(rng.randint(1, 9), 4), Fraction(rng.randint(-9, 9), 4), rng.choice([0, Fraction(1, 10**5)])]
        cert = certify_nonzero(gap, args, dps=ctx.dps)
        if cert.certified:  # the enclosure of the gap excludes 0
            cex = {"y": [str(v) for v in args[0]], "gamma": str(args[1]), "beta": str(args[2]), "eps": str(args[3])}
            return Outcome(Verdict.REFUTED, "interval-certified", {"counterexample": cex, "certificate": cert.as_dict()})
    return Outcome(Verdict.HOLDS, f"{n} random batches, m in 2..40, eps in {{0, 1e-5}}, {ctx.dps} digits")


SUM = {Level.THEORY: sum_theory, Level.NUMERICS: sum_numerics}
SUM_TWIN = Twin(change="+ gamma on the right", statement="sum_i z_i = m beta + gamma",
                checks={lv: partial(fn, extra=1) for lv, fn in SUM.items()})
register(Claim(id="mine.sum_is_m_beta", statement="sum_i z_i = m beta for every eps >= 0",
               source=Source("ioffe2015batch", "Alg. 1"), hypotheses=("eps >= 0", "y not constant if eps = 0"),
               witness=Witness({"y": [0, 1], "eps": 0}, lambda: 0 >= 0 and len({0, 1}) == 2),
               checks=SUM, expected=Verdict.PROVED, twin=SUM_TWIN))
register(Claim(id="mine.thm41_three_over_m", statement="Thm 4.1 as I transcribed it: 3/m in the last term",
               source=Source("santurkar2018how", "Thm 4.1"), hypotheses=("eps >= 0", "y not constant"),
               witness=Witness({"y": [-1, 1], "eps": 0}, lambda: len({-1, 1}) == 2),
               checks={Level.THEORY: partial(prove_thm41, last=3 / bn_algebra.m),
                       Level.NUMERICS: partial(check_thm41, last_num=3)}, expected=Verdict.PROVED,
               twin=Twin(change="last term dropped", statement="... - 0 <g,yhat>^2",
                         checks={Level.THEORY: partial(prove_thm41, last=sp.S(0)),
                                 Level.NUMERICS: partial(check_thm41, last_num=0)})))
register(Claim(id="mine.sum_contradictory", statement="if eps > 0 and eps < 0 then sum_i z_i = m beta",
               source=Source("ioffe2015batch", "Alg. 1"), hypotheses=("eps > 0", "eps < 0"),
               witness=Witness({"eps": "1/2"}, lambda: 0.5 > 0 and 0.5 < 0),
               checks=SUM, expected=Verdict.PROVED, twin=SUM_TWIN))
