"""Three claims of mine: `bnclaims check claims_mine.py` or `pytest` (exit 1: two of them are wrong)."""
import sympy as sp

from bnclaims import Source, Verdict, register
from bnclaims.formula import FormulaClaim, bn

IOFFE, EPS0, EPS_GE0, c = Source("ioffe2015batch", "Alg. 1"), [sp.Eq(bn.eps, 0)], [sp.Ge(bn.eps, 0)], sp.Symbol("c")
SUM = sp.Eq(bn.sum(bn.z), bn.m * bn.beta)  # Ioffe & Szegedy 2015, Alg. 1: sum_i z_i = m beta
THM41 = sp.Eq(bn.norm2(bn.grad), bn.gamma**2 / bn.sigma2  # Santurkar et al. 2018, Thm 4.1 at eps = 0 has c = 1/m
              * (bn.norm2(bn.g) - bn.sum(bn.g) ** 2 / bn.m - c * bn.dot(bn.g, bn.yhat) ** 2))
PLUS_GAMMA = FormulaClaim("sum_i z_i = m beta + gamma", sp.Eq(SUM.lhs, SUM.rhs + bn.gamma), EPS_GE0)
register(FormulaClaim("sum_i z_i = m beta for every eps >= 0", SUM, EPS_GE0).claim(
    id="mine.sum_is_m_beta", source=IOFFE, expected=Verdict.PROVED, witness={"y": [0, 1], "eps": 0}, twin=PLUS_GAMMA))
register(FormulaClaim("Thm 4.1 as I transcribed it: 3/m in the last term", THM41.subs(c, 3 / bn.m), EPS0).claim(
    id="mine.thm41_three_over_m", source=Source("santurkar2018how", "Thm 4.1"), expected=Verdict.PROVED,
    witness={"y": [-1, 1], "eps": 0}, twin=FormulaClaim("Thm 4.1, last term dropped", THM41.subs(c, 0), EPS0)))
register(FormulaClaim("eps > 0 and eps < 0 imply sum_i z_i = m beta", SUM, [sp.Gt(bn.eps, 0), sp.Lt(bn.eps, 0)]).claim(
    id="mine.sum_contradictory", source=IOFFE, expected=Verdict.PROVED, witness={"eps": "1/2"}, twin=PLUS_GAMMA))
