"""Scale invariance and parameter decoupling (catalog C09, C10, C11).

C09 and C11 are formula claims (:mod:`bnclaims.formula`): the theory level is the generic engine
(:mod:`bnclaims.theory.formula_engine`), each twin a one-expression edit; the numerics level keeps
:mod:`bnclaims.numerics.scale_invariance`, whose samples reach m = 300 and scale factors from 1e-30 to 1e30 (the
engine's sampler stays at m <= 40 and |a| <= 8). C10's
gradient scaling compares J^T g at two batches, which the vocabulary cannot express: its checks stay
:mod:`bnclaims.theory.scale_invariance` (sympy, symbolic m and d) and :mod:`bnclaims.numerics.scale_invariance`.
"""
from __future__ import annotations

from fractions import Fraction
from functools import partial
from typing import Callable

import sympy as sp

from bnclaims.formula import FormulaClaim, bn
from bnclaims.formula_conjunction import AllOf
from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.verdicts import Level, Verdict
from bnclaims.numerics import scale_invariance as nsc
from bnclaims.theory import scale_invariance as tsc

__all__: list[str] = []

_T, _N = Level.THEORY, Level.NUMERICS
_SEED = Source("wiki2025bn", "Parameter Decoupling")
_ARORA = Source("arora2019theoretical", "Sec. 2, scale invariance (Lemma 2.4)", "also the encyclopedia article wiki2025bn")


def _batch(data: dict) -> list[Fraction]:
    """y = X w exactly, for X given as "I_n" (the identity) or as a list of rows."""
    w = [Fraction(v) for v in data["w"]]
    x = data["X"]
    rows = ([[Fraction(int(i == j)) for j in range(int(x[2:]))] for i in range(int(x[2:]))]
            if isinstance(x, str) else [[Fraction(v) for v in r] for r in x])
    if any(len(r) != len(w) for r in rows):
        return []
    return [sum((a * b for a, b in zip(r, w)), Fraction(0)) for r in rows]


def _hypotheses_hold(data: dict, *, eps_zero: bool, a_positive: bool) -> Callable[[], bool]:
    """Witness check on the data, exactly: eps = 0 (or eps >= 0), a > 0 (or a != 0), m >= 2 and
    sigma^2(Xw) + eps > 0 (for eps = 0: Xw not constant)."""
    def check() -> bool:
        y = _batch(data)
        a, eps = Fraction(data["a"]), Fraction(data["eps"])
        if len(y) < 2:
            return False
        mu = sum(y, Fraction(0)) / len(y)
        var = sum(((v - mu) ** 2 for v in y), Fraction(0)) / len(y)
        eps_ok = eps == 0 if eps_zero else eps >= 0
        a_ok = a > 0 if a_positive else a != 0
        return eps_ok and a_ok and var + eps > 0
    return check


_WDATA = {"X": "I_3", "w": [0, 1, 3], "a": 2, "eps": 0}
_W = Witness(_WDATA, _hypotheses_hold(_WDATA, eps_zero=True, a_positive=False))
_W_POS = Witness(_WDATA, _hypotheses_hold(_WDATA, eps_zero=True, a_positive=True))
_WEPS_DATA = {"X": "I_2", "w": [-1, 1], "a": 2, "eps": 1}

# The formula claims, as data (bnclaims.formula), adjudicated by the generic engine. The batch is y = Xw; since
# X(aw) = a(Xw), a statement about BN(a y) for every batch y is the statement for every X and w (any fan-in d).
_a = sp.Symbol("a", real=True)
_EPS0 = [sp.Eq(bn.eps, 0)]
_C = bn.y - bn.mu * bn.ones                                # C y = y - mu 1


def _invariance(neg: sp.Expr, neg_text: str) -> AllOf:
    """BN_0(a y) = BN_0(y) for a > 0 and = ``neg`` for a < 0 (Arora et al. 2019, Lemma 2.4)."""
    return AllOf("BN_0 under rescaling", (
        FormulaClaim("a > 0: BN_0(a y) = BN_0(y)", sp.Eq(bn.BN(_a * bn.y), bn.z), _EPS0 + [sp.Gt(_a, 0)]),
        FormulaClaim(f"a < 0: BN_0(a y) = {neg_text}", sp.Eq(bn.BN(_a * bn.y), neg), _EPS0 + [sp.Lt(_a, 0)])))


INVARIANCE = _invariance(2 * bn.beta * bn.ones - bn.z, "2 beta 1 - BN_0(y)")
INVARIANCE_TWIN = _invariance(bn.z, "BN_0(y)")             # the sign of the a < 0 reflection dropped


def _with_eps(eps_rhs: sp.Expr) -> FormulaClaim:
    return FormulaClaim("BN_eps(a y) = BN_{eps'}(y)", sp.Eq(bn.BN(_a * bn.y), bn.BN(bn.y, eps=eps_rhs)),
                        [sp.Ge(bn.eps, 0), sp.Gt(_a, 0)])


WITH_EPS, WITH_EPS_TWIN = _with_eps(bn.eps / _a**2), _with_eps(bn.eps / _a)   # twin: eps/a^2 -> eps/a


def _decoupling(m_power: sp.Expr) -> FormulaClaim:
    """Kohler et al. 2019, Sec. 3: BN_0(y) = gamma m^(1/2) C y/||C y|| + beta 1."""
    return FormulaClaim("BN_0(y) = gamma m^p Cy/||Cy|| + beta", sp.Eq(
        bn.z, bn.gamma * bn.m**m_power * _C / bn.norm(_C) + bn.beta * bn.ones), _EPS0)


DECOUPLING, DECOUPLING_TWIN = _decoupling(sp.Rational(1, 2)), _decoupling(1)   # twin: sqrt(m) -> m
DECOUPLING_SEED = FormulaClaim("BN_0(y) = gamma y/||y|| + beta", sp.Eq(
    bn.z, bn.gamma * bn.y / bn.norm(bn.y) + bn.beta * bn.ones), _EPS0)

register(Claim(
    id="scale.invariance", catalog="C09", title="BN is invariant to positive rescaling of the weights",
    statement="BN_0(X(aw)) = BN_0(Xw) for a > 0, and = 2 beta - BN_0(Xw) for a < 0 (eps = 0, Xw not constant).",
    latex=r"\mathrm{BN}_0(X(aw))=\mathrm{BN}_0(Xw)\ (a>0),\quad =2\beta-\mathrm{BN}_0(Xw)\ (a<0)",
    source=_ARORA, hypotheses=("eps = 0", "Xw not constant", "a != 0"), witness=_W,
    checks={_T: INVARIANCE.check(_T), _N: nsc.check_invariance}, expected=Verdict.PROVED,
    proof_sketch="mean(ay) = a mean(y), sqrt(a^2 sigma^2) = |a| sigma.",
    twin=Twin(change="sign of the a < 0 reflection dropped",
              statement="BN_0(X(aw)) = BN_0(Xw) for every a != 0.",
              latex=r"\mathrm{BN}_0(X(aw))=\mathrm{BN}_0(Xw)\ (a\neq0)",
              checks={_T: INVARIANCE_TWIN.check(_T),
                      _N: partial(nsc.check_invariance, pair=nsc.lhs_rhs_invariance_twin)}),
    on_batch=nsc.on_batch_invariance,
))

register(Claim(
    id="scale.invariance_with_eps", catalog="C09", title="With eps > 0, rescaling the weights rescales eps",
    statement="BN_eps(X(aw)) = BN_{eps/a^2}(Xw) for a > 0.",
    latex=r"\mathrm{BN}_\epsilon(X(aw))=\mathrm{BN}_{\epsilon/a^2}(Xw)",
    source=_ARORA, hypotheses=("eps >= 0", "a > 0", "sigma^2(Xw) + eps > 0"),
    witness=Witness(_WEPS_DATA, _hypotheses_hold(_WEPS_DATA, eps_zero=False, a_positive=True)),
    checks={_T: WITH_EPS.check(_T), _N: nsc.check_invariance_with_eps}, expected=Verdict.PROVED,
    proof_sketch="sqrt(a^2 sigma^2 + eps) = a sqrt(sigma^2 + eps/a^2).",
    twin=Twin(change="exponent of a: eps/a^2 -> eps/a", statement="BN_eps(X(aw)) = BN_{eps/a}(Xw).",
              latex=r"\mathrm{BN}_\epsilon(X(aw))=\mathrm{BN}_{\epsilon/a}(Xw)",
              checks={_T: WITH_EPS_TWIN.check(_T),
                      _N: partial(nsc.check_invariance_with_eps, pair=nsc.lhs_rhs_with_eps_twin)}),
    on_batch=nsc.on_batch_invariance_with_eps,
))

register(Claim(
    id="scale.grad_orthogonal", catalog="C10", title="Weight gradients are orthogonal to w and scale as 1/a",
    statement=("eps = 0, any differentiable loss L of the BN output, Lhat(w) = L(BN_0(Xw)): "
               "<grad Lhat(w), w> = 0 and grad Lhat(aw) = grad Lhat(w)/a for a > 0."),
    latex=r"\langle\nabla\hat L(w),w\rangle=0,\quad\nabla\hat L(aw)=\nabla\hat L(w)/a",
    source=_ARORA, hypotheses=("eps = 0", "Xw not constant", "a > 0", "L differentiable"), witness=_W_POS,
    checks={_T: tsc.prove_grad_orthogonal, _N: nsc.check_grad_orthogonal}, expected=Verdict.PROVED,
    proof_sketch="Chain rule; directional derivatives of z along y vanish and scale as 1/a (scale.invariance).",
    twin=Twin(change="exponent of a: 1/a -> 1/a^2", statement="grad Lhat(aw) = grad Lhat(w)/a^2.",
              latex=r"\nabla\hat L(aw)=\nabla\hat L(w)/a^2",
              checks={_T: partial(tsc.prove_grad_orthogonal, exponent=tsc.TWIN_GRAD_SCALE_EXPONENT),
                      _N: partial(nsc.check_grad_orthogonal, pair=nsc.lhs_rhs_grad_twin)}),
    on_batch=nsc.on_batch_grad,
    notes="Consequence: the effective learning rate is eta/||w||^2 and GD never decreases ||w||.",
))

register(Claim(
    id="scale.decoupling_formula_seed", catalog="C11", title="The encyclopedia article's decoupling formula, taken literally",
    statement="BN(Wx) ~ gamma Wx/||Wx|| + beta (norm over the batch, no centering, no sqrt(m)).",
    latex=r"\mathrm{BN}(Wx)\approx\gamma\frac{Wx}{\|Wx\|}+\beta",
    source=_SEED, hypotheses=("eps = 0", "Xw not constant"), witness=_W,
    checks={_T: DECOUPLING_SEED.check(_T), _N: partial(nsc.check_decoupling, pair=nsc.lhs_rhs_decoupling_seed)},
    expected=Verdict.REFUTED,
    notes="The phrase 'the effective output becomes gamma*||W||' is garbled; see scale.decoupling_formula_exact.",
    on_batch=nsc.on_batch_decoupling_seed,
))

register(Claim(
    id="scale.decoupling_formula_exact", catalog="C11", title="Exact decoupling formula (centred, sqrt(m))",
    statement="BN_0(Xw) = gamma sqrt(m) CXw/||CXw|| + beta with C = I - 11^T/m.",
    latex=r"\mathrm{BN}_0(Xw)=\gamma\sqrt m\,\frac{CXw}{\|CXw\|}+\beta,\ C=I-\tfrac1m\mathbf 1\mathbf 1^\top",
    source=Source("kohler2019exponential", "Sec. 3, length-direction decoupling", "batch form; the encyclopedia article's version corrected"),
    hypotheses=("eps = 0", "Xw not constant"), witness=_W,
    checks={_T: DECOUPLING.check(_T), _N: nsc.check_decoupling}, expected=Verdict.PROVED,
    proof_sketch="||Cy||^2 = m sigma^2.",
    twin=Twin(change="exponent of m: sqrt(m) -> m", statement="BN_0(Xw) = gamma m CXw/||CXw|| + beta.",
              latex=r"\mathrm{BN}_0(Xw)=\gamma m\,\frac{CXw}{\|CXw\|}+\beta",
              checks={_T: DECOUPLING_TWIN.check(_T), _N: partial(nsc.check_decoupling, pair=nsc.lhs_rhs_decoupling_twin)}),
    on_batch=nsc.on_batch_decoupling_exact,
))
