"""Gradients and Jacobian of one BN unit: Ioffe & Szegedy 2015 §3, Santurkar et al. 2018 Thms 4.1/4.2,
seed 001 (catalog C01-C05, C17).

Nine claims: the staged backprop formulas (proved), the vanishing second term of dL/dmu
(proved), the projection form of the input gradient (proved), the Jacobian spectrum at
eps = 0 (proved) and seed 001's "singular values clustered around 1" (refuted), Thm 4.1 with 1/m
(proved), with 1/sqrt(m) (refuted) and, for eps > 0, with yhat read as (y - mu)/sigma (refuted, through the
formula engine), and Thm 4.2's first form as an equality (proved). No torch.

The staged backprop formulas, the dL/dmu term, the projection form, Thm 4.1 (both forms) and Thm 4.2 are
formula claims (:mod:`bnclaims.formula`; several parts: :class:`bnclaims.formula_conjunction.AllOf`)
adjudicated at the theory and numerics levels by the generic engine, each twin a one-expression edit. The
Jacobian spectrum claims (singular values) are outside the vocabulary and keep their own checks.
"""
from __future__ import annotations

from fractions import Fraction
from functools import partial

import sympy as sp

from bnclaims.claims import santurkar_in_networks as sin
from bnclaims.formula import FormulaClaim, bn
from bnclaims.formula_conjunction import AllOf
from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.verdicts import Level, Verdict
from bnclaims.numerics import bn_jacobian as nj
from bnclaims.numerics import ioffe2015 as ni
from bnclaims.numerics import santurkar2018_smoothness as ns
from bnclaims.theory import bn_algebra as A
from bnclaims.theory import bn_jacobian as tj

F = Fraction
_HYP = ("batch size m >= 2", "eps >= 0 and sigma^2 + eps > 0", "1/m (biased) batch variance",
        "g = dL/dz is the upstream gradient at the BN output")
_HYP0 = ("batch size m >= 2", "eps = 0 and sigma^2 > 0", "1/m (biased) batch variance",
         "g = dL/dz is the upstream gradient at the BN output")


def _ok(y: list, eps: Fraction) -> bool:
    mu = sum(y, F(0)) / len(y)
    return len(y) >= 2 and eps >= 0 and sum((v - mu) ** 2 for v in y) / len(y) + eps > 0


def _w(y: tuple, eps: Fraction, **more: object) -> Witness:
    yy = [F(v) for v in y]
    return Witness({"y": [str(v) for v in yy], "eps": str(eps), **{k: str(v) for k, v in more.items()}},
                   lambda: _ok(yy, eps))


# ----------------------------------------------------------------- the formula claims, as data (bnclaims.formula)
# Each built-in formula claim below is adjudicated by the generic engine (theory.formula_engine,
# numerics.formula_engine); a twin is a one-expression edit of its claim. R: exact rationals.
R = sp.Rational
_EPS_GE0, _EPS0 = [sp.Ge(bn.eps, 0)], [sp.Eq(bn.eps, 0)]
_C = bn.y - bn.mu * bn.ones                                # y - mu 1


def _staged(sigma2_coeff: sp.Expr = R(-1, 2)) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """Ioffe & Szegedy 2015 §3, staged: (dL/dsigma^2, dL/dmu, dL/dy) with dL/dyhat = gamma g."""
    dyhat = bn.gamma * bn.g
    dsig2 = bn.dot(dyhat, _C) * sigma2_coeff * bn.s**-3
    dmu = bn.sum(dyhat) * (-1 / bn.s) + dsig2 * bn.sum(-2 * _C) / bn.m
    return dsig2, dmu, dyhat / bn.s + dsig2 * 2 * _C / bn.m + dmu / bn.m * bn.ones


def _backprop(sigma2_coeff: sp.Expr = R(-1, 2)) -> AllOf:
    dsig2, dmu, dy = _staged(sigma2_coeff)
    return AllOf("Ioffe & Szegedy's staged backprop formulas", (
        FormulaClaim("dL/dyhat = gamma g", sp.Eq(bn.dL(bn.yhat), bn.gamma * bn.g), _EPS_GE0),
        FormulaClaim(f"dL/dsigma^2 (staged, coefficient {sigma2_coeff})", sp.Eq(bn.dL(bn.sigma2), dsig2), _EPS_GE0),
        FormulaClaim("dL/dmu (staged)", sp.Eq(bn.dL(bn.mu), dmu), _EPS_GE0),
        FormulaClaim("dL/dy (staged) = J^T g", sp.Eq(bn.grad, dy), _EPS_GE0),
        FormulaClaim("dL/dgamma = <g, yhat>", sp.Eq(bn.dL(bn.gamma), bn.dot(bn.g, bn.yhat)), _EPS_GE0),
        FormulaClaim("dL/dbeta = <1, g>", sp.Eq(bn.dL(bn.beta), bn.sum(bn.g)), _EPS_GE0)))


BACKPROP, BACKPROP_TWIN = _backprop(), _backprop(R(1, 2))   # twin: (-1/2) -> (+1/2) in dL/dsigma^2
DMU_TERM = FormulaClaim("dL/dsigma^2 (1/m) sum_i -2 (y_i - mu) = 0",
                        sp.Eq(bn.dL(bn.sigma2) * bn.sum(-2 * _C) / bn.m, 0), _EPS_GE0)
DMU_TERM_TWIN = FormulaClaim("dL/dsigma^2 (1/m) sum_i -2 (y_i - mu)^2 = 0",          # (y_i - mu) -> (y_i - mu)^2
                             sp.Eq(bn.dL(bn.sigma2) * bn.dot(-2 * _C, _C) / bn.m, 0), _EPS_GE0)


def _projection(yhat_sign: int = -1) -> FormulaClaim:
    """Santurkar et al. 2018, Fact C.1 (eps >= 0): grad = (gamma/s)(g - <1,g> 1/m - <g,yhat> yhat/m)."""
    rhs = bn.gamma / bn.s * (bn.g - bn.sum(bn.g) / bn.m * bn.ones + yhat_sign * bn.dot(bn.g, bn.yhat) / bn.m * bn.yhat)
    return FormulaClaim("projection form of J^T g", sp.Eq(bn.grad, rhs), _EPS_GE0)


PROJECTION = AllOf("Fact C.1 with its corollaries", (
    _projection(),
    FormulaClaim("entries sum to 0", sp.Eq(bn.sum(bn.grad), 0), _EPS_GE0),
    FormulaClaim("<grad, yhat> = gamma eps <g,yhat>/s^3",
                 sp.Eq(bn.dot(bn.grad, bn.yhat), bn.gamma * bn.eps * bn.dot(bn.g, bn.yhat) / bn.s**3), _EPS_GE0),
    # "only if": at g = yhat the product gamma eps m sigma^2/s^5 is nonzero for gamma != 0, eps > 0, sigma > 0 (an
    # inequality here would be refused at the numerics level: for huge batches the value is ~1e-90 of its scale)
    FormulaClaim("only if: at g = yhat, <grad, yhat> = gamma eps m sigma^2/s^5",
                 sp.Eq(bn.dot(bn.JT(bn.yhat), bn.yhat), bn.gamma * bn.eps * bn.m * bn.sigma2 / bn.s**5), _EPS_GE0)))
PROJECTION_TWIN = PROJECTION.replace(0, _projection(+1))   # - <g,yhat> yhat/m -> + <g,yhat> yhat/m


def _thm41_rhs(last: sp.Expr, scale2: sp.Expr) -> sp.Expr:
    """Santurkar et al. 2018, Thm 4.1's right side: gamma^2/scale2 (||g||^2 - <1,g>^2/m - last <g,yhat>^2)."""
    return bn.gamma**2 / scale2 * (bn.norm2(bn.g) - bn.sum(bn.g) ** 2 / bn.m - last * bn.dot(bn.g, bn.yhat) ** 2)


def _thm41_eps0(last: sp.Expr) -> FormulaClaim:
    return FormulaClaim(f"eps = 0 identity, last coefficient {last}", sp.Eq(bn.norm2(bn.grad), _thm41_rhs(last, bn.sigma2)),
                        _EPS0)


THM41 = AllOf("Theorem 4.1 (1/m form)", (
    _thm41_eps0(1 / bn.m),
    FormulaClaim("eps >= 0: exact (2 - r)/m form, r = sigma^2/s^2",
                 sp.Eq(bn.norm2(bn.grad), _thm41_rhs((2 - bn.sigma2 / bn.s**2) / bn.m, bn.s**2)), _EPS_GE0),
    FormulaClaim("eps >= 0: the 1/m form with sigma^2 -> s^2 is an upper bound",
                 sp.Le(bn.norm2(bn.grad), _thm41_rhs(1 / bn.m, bn.s**2)), _EPS_GE0)))
THM41_TWIN = THM41.replace(0, _thm41_eps0(2 / bn.m))      # last-term coefficient 1/m -> 2/m
THM41_SQRT_M = FormulaClaim("Thm 4.1 with 1/sqrt(m), eps = 0",
                            sp.Le(bn.norm2(bn.grad), _thm41_rhs(1 / sp.sqrt(bn.m), bn.sigma2)), _EPS0)


def _thm42(sign: int = -1) -> FormulaClaim:
    """Santurkar et al. 2018, Thm 4.2 (first form) as an equality at eps = 0, v = grad."""
    rhs = (bn.gamma**2 / bn.sigma2 * bn.H(bn.grad, bn.grad)
           + sign * bn.gamma / (bn.m * bn.sigma2) * bn.dot(bn.g, bn.yhat) * bn.norm2(bn.grad))
    return FormulaClaim("Thm 4.2 (first form), eps = 0", sp.Eq(bn.hess(bn.grad), rhs), _EPS0)


THM42, THM42_TWIN = _thm42(), _thm42(+1)                   # twin: - gamma/(m sigma^2) -> + gamma/(m sigma^2)


register(Claim(
    id="bn.backprop_ioffe_szegedy", catalog="C01",
    title="Ioffe & Szegedy §3: the staged backprop formulas equal the exact derivative",
    statement=("dL/dyhat_i = gamma g_i; dL/dsigma^2 = sum_i dL/dyhat_i (y_i - mu)(-1/2) s^-3; dL/dmu = "
               "sum_i dL/dyhat_i (-1/s) + dL/dsigma^2 (1/m) sum_i -2(y_i - mu); dL/dy_i = dL/dyhat_i / s + "
               "dL/dsigma^2 2(y_i - mu)/m + dL/dmu / m equals J^T g; dL/dgamma = sum g_i yhat_i, dL/dbeta = sum g_i."),
    latex=(r"\frac{\partial L}{\partial y_i}=\frac{\partial L}{\partial\hat y_i}\frac1s+\frac{\partial L}{\partial\sigma^2}"
           r"\frac{2(y_i-\mu)}m+\frac{\partial L}{\partial\mu}\frac1m=(J^\top g)_i"),
    source=Source("ioffe2015batch", "Section 3, back-propagation equations", "as restated in the encyclopedia article wiki2025bn"),
    hypotheses=_HYP, witness=_w((0, 1, 3), F(1, 10**5), g="1,0,0"),
    checks=BACKPROP.checks,
    expected=Verdict.PROVED,
    proof_sketch=("Symbolic m: the directional derivative of <g, z(y + t u)> from the definitions is linear in "
                  "<1,u>, <y,u>, <g,u>; its representer is J^T g and equals the staged vector."),
    twin=Twin(change="(-1/2) -> (+1/2) in dL/dsigma^2 (a sign changed)",
              statement="the staged formulas with dL/dsigma^2 = sum_i dL/dyhat_i (y_i - mu)(+1/2) s^-3",
              latex=r"\frac{\partial L}{\partial\sigma^2}=\sum_i\frac{\partial L}{\partial\hat y_i}(y_i-\mu)\left(+\tfrac12\right)s^{-3}",
              checks=BACKPROP_TWIN.checks),
    on_batch=ni.on_batch_backprop,
))

register(Claim(
    id="bn.dmu_second_term_vanishes", catalog="C03",
    title="Encyclopedia article: the dL/dsigma^2 term inside dL/dmu is identically zero",
    statement="dL/dsigma^2 * (1/m) sum_i -2 (y_i - mu) = 0 for every batch and every eps.",
    latex=r"\frac{\partial L}{\partial\sigma^2}\cdot\frac1m\sum_i-2(y_i-\mu)=0",
    source=Source("wiki2025bn", "Backpropagation ('the second term in dL/dmu evaluates to zero')",
                  "on Ioffe & Szegedy 2015 §3"),
    hypotheses=_HYP, witness=_w((0, 1, 3), F(0)),
    checks=DMU_TERM.checks,
    expected=Verdict.PROVED,
    proof_sketch="sum_i (y_i - mu) = m mu - m mu = 0 (indexed sums, symbolic m).",
    twin=Twin(change="(y_i - mu) -> (y_i - mu)^2 (an exponent changed)",
              statement="dL/dsigma^2 * (1/m) sum_i -2 (y_i - mu)^2 = 0",
              latex=r"\frac{\partial L}{\partial\sigma^2}\cdot\frac1m\sum_i-2(y_i-\mu)^2=0",
              checks=DMU_TERM_TWIN.checks),
))

register(Claim(
    id="bn.grad_projection_form", catalog="C02",
    title="Projection form of the BN input gradient (Fact C.1); entries sum to 0; <grad, yhat> = 0 iff gamma eps sigma = 0",
    statement=("grad_y Lhat = (gamma/s)(g - <1,g> 1/m - <g,yhat> yhat/m); 1^T grad = 0 for every eps; "
               "<grad, yhat> = gamma eps <g,yhat>/s^3, zero for every g iff gamma eps sigma = 0: for gamma != 0 "
               "and a batch with sigma > 0, iff eps = 0."),
    latex=r"\nabla_y\hat L=\frac{\gamma}{s}\Big(g-\frac{\langle\mathbf 1,g\rangle}{m}\mathbf 1-\frac{\langle g,\hat y\rangle}{m}\hat y\Big)",
    source=Source("santurkar2018how", "Appendix C, Fact C.1", "eps > 0 version derived here"),
    hypotheses=_HYP, witness=_w((-1, 1), F(1), g="1,0"),
    checks=PROJECTION.checks,
    expected=Verdict.PROVED,
    proof_sketch=("Symbolic-m algebra: representer of the directional derivative; <1,yhat> = 0, <yhat,yhat> = "
                  "m sigma^2/s^2. Only if: g = yhat gives <grad, yhat> = gamma eps m sigma^2/s^5, nonzero for "
                  "gamma != 0, eps > 0, sigma > 0; a constant batch (yhat = 0) or gamma = 0 gives 0 for every g."),
    twin=Twin(change="- <g,yhat> yhat/m -> + <g,yhat> yhat/m (a sign changed)",
              statement="grad_y Lhat = (gamma/s)(g - <1,g> 1/m + <g,yhat> yhat/m)",
              latex=r"\nabla_y\hat L=\frac{\gamma}{s}\Big(g-\frac{\langle\mathbf 1,g\rangle}{m}\mathbf 1+\frac{\langle g,\hat y\rangle}{m}\hat y\Big)",
              checks=PROJECTION_TWIN.checks),
    on_batch=nj.on_batch_projection,
))

register(Claim(
    id="bn.jacobian_spectrum", catalog="C17",
    title="BN Jacobian at eps = 0: (gamma/sigma) P, singular values |gamma|/sigma (m-2 times) and 0 (twice)",
    statement=("At eps = 0, dz/dy = (gamma/sigma) P with P the orthogonal projector onto span{1, yhat}^perp; it is "
               "symmetric with singular values |gamma|/sigma (multiplicity m - 2) and 0 (multiplicity 2)."),
    latex=r"\frac{\partial z}{\partial y}=\frac{\gamma}{\sigma}P,\quad \operatorname{sv}=\Big(\tfrac{|\gamma|}{\sigma}\Big)^{\times(m-2)},0^{\times2}",
    source=Source("santurkar2018how", "Appendix C (Fact C.1 as a Jacobian)"),
    hypotheses=_HYP0, witness=_w((-1, -1, 1, 1), F(0), gamma="3/2"),
    checks={Level.THEORY: tj.prove_spectrum, Level.NUMERICS: nj.check_spectrum},
    expected=Verdict.PROVED,
    proof_sketch="J u = (gamma/sigma) P u for symbolic u and m; P symmetric, P^2 = P, tr P = m - 2.",
    twin=Twin(change="gamma/sigma -> gamma/sigma^2 (an exponent changed)",
              statement="nonzero singular values |gamma|/sigma^2",
              latex=r"\operatorname{sv}=\Big(\tfrac{|\gamma|}{\sigma^2}\Big)^{\times(m-2)},0^{\times2}",
              checks={Level.THEORY: partial(tj.prove_spectrum, value=A.gamma / A.sigma**2),
                      Level.NUMERICS: partial(nj.check_spectrum, sigma_power=2)}),
    on_batch=nj.on_batch_spectrum,
))

register(Claim(
    id="bn.jacobian_near_identity_seed", catalog="C17",
    title="Encyclopedia article: the BN Jacobian has singular values clustered around 1",
    statement=("Read charitably: every nonzero singular value of dz/dy lies in [1/2, 2] (the structural zeros "
               "from mean and scale invariance are ignored)."),
    latex=r"\sigma_k\Big(\frac{\partial z}{\partial y}\Big)\ne0\ \Rightarrow\ \sigma_k\in[\tfrac12,2]",
    source=Source("wiki2025bn", "Gradient flow ('singular values clustered around 1')"),
    hypotheses=("batch size m >= 2", "gamma = 1 (the default initialization)", "eps >= 0, sigma^2 + eps > 0"),
    witness=_w((-1, 0, 0), F(1, 10**5), gamma=1),
    checks={Level.THEORY: tj.refute_near_identity, Level.NUMERICS: nj.check_near_identity},
    expected=Verdict.REFUTED,
    notes=("Checked at gamma = 1, eps = 0, where the two structural singular values are exactly 0 and are dropped; "
           "the nonzero ones are |gamma|/sigma: near 1 only if gamma ~ sigma. (For eps > 0 one structural value "
           "becomes |gamma| eps/s^3, which is why eps = 0 is used.)"),
))

register(Claim(
    id="santurkar.thm41_grad_norm", catalog="C04",
    title="Theorem 4.1 (1/m form): identity at eps = 0, inequality with sigma^2 -> sigma^2 + eps",
    statement=("yhat is BN's eps-regularized yhat = (y - mu)/s, s = sqrt(sigma^2 + eps). eps = 0: ||grad_y Lhat||^2 = "
               "gamma^2/sigma^2 (||g||^2 - <1,g>^2/m - <g,yhat>^2/m); eps > 0: ||grad||^2 = gamma^2/s^2 (||g||^2 - "
               "<1,g>^2/m - (2-r)/m <g,yhat>^2), r = sigma^2/s^2, hence <= the 1/m form with s^2 (false when yhat "
               "is read as (y - mu)/sigma: santurkar.thm41_sigma_reading)."),
    latex=(r"\|\nabla_y\hat L\|^2\le\frac{\gamma^2}{s^2}\Big(\|g\|^2-\tfrac1m\langle\mathbf 1,g\rangle^2-"
           r"\tfrac1m\langle g,\hat y\rangle^2\Big),\ \ \hat y=\frac{y-\mu\mathbf 1}{s},\ s^2=\sigma^2+\varepsilon"
           r"\ \ (=\text{ at }\varepsilon=0)"),
    source=Source("santurkar2018how", "Section 4.1, Theorem 4.1", "secondary transcriptions and the encyclopedia article; primary not seen"),
    hypotheses=_HYP, witness=_w((-3, -1, 1, 3), F(0), g="1,0,0,0"),
    checks={**THM41.checks, Level.SCALE: sin.thm41_check()},
    expected=Verdict.PROVED,
    proof_sketch="||grad||^2 from the symbolic-m algebra; RHS(s^2) - ||grad||^2 = gamma^2 eps <g,yhat>^2/(m s^4) >= 0.",
    twin=Twin(change="last-term coefficient 1/m -> 2/m (a coefficient changed)",
              statement=("||grad||^2 = gamma^2/sigma^2 (||g||^2 - <1,g>^2/m - 2<g,yhat>^2/m) at eps = 0 "
                         "(and <= with sigma^2 -> sigma^2 + eps for eps > 0)"),
              latex=r"\|\nabla_y\hat L\|^2=\frac{\gamma^2}{\sigma^2}\Big(\|g\|^2-\tfrac1m\langle\mathbf 1,g\rangle^2-\tfrac2m\langle g,\hat y\rangle^2\Big)",
              checks={**THM41_TWIN.checks, Level.SCALE: sin.thm41_check(twin=True)}),
    on_batch=ns.on_batch_thm41,
))

# Theorem 4.1 for eps > 0 with yhat read as (y - mu)/sigma (sigma^2 + eps only in the prefactor): stated as a
# relation of the formula engine (bnclaims.formula), which adjudicates it at both levels.
_SIGMA_READING = FormulaClaim(
    "||grad_y Lhat||^2 <= gamma^2/s^2 (||g||^2 - <1,g>^2/m - <g,(y - mu)/sigma>^2/m) for eps > 0",
    sp.Le(bn.norm2(bn.grad), bn.gamma**2 / bn.s**2 * (bn.norm2(bn.g) - bn.sum(bn.g) ** 2 / bn.m
                                                         - (bn.dot(bn.g, bn.yhat) * bn.s / bn.sigma) ** 2 / bn.m)),
    [sp.Gt(bn.eps, 0), sp.Gt(bn.sigma2, 0)])
register(_SIGMA_READING.claim(
    id="santurkar.thm41_sigma_reading", catalog="C04", source=Source("santurkar2018how", "Section 4.1, Theorem 4.1",
                                                                     "the reading with yhat = (y - mu)/sigma"),
    expected=Verdict.REFUTED, witness={"y": [-1, 1], "eps": 1},
    title="Theorem 4.1 for eps > 0 with yhat = (y - mu)/sigma and sigma^2 + eps in the prefactor",
    statement=("For eps > 0, with yhat read as (y - mu)/sigma (not BN's (y - mu)/s) and s^2 = sigma^2 + eps in the "
               "prefactor: ||grad_y Lhat||^2 <= gamma^2/s^2 (||g||^2 - <1,g>^2/m - <g,yhat>^2/m)."),
    latex=(r"\|\nabla_y\hat L\|^2\le\frac{\gamma^2}{\sigma^2+\varepsilon}\Big(\|g\|^2-\tfrac1m\langle\mathbf 1,g"
           r"\rangle^2-\tfrac1m\big\langle g,\tfrac{y-\mu\mathbf 1}{\sigma}\big\rangle^2\Big),\ \varepsilon>0"),
    notes=("The exact value has (2 - r)/m <g,yhat>^2 with BN's yhat, r = sigma^2/s^2; this reading needs (1/r)/m, and "
           "2 - r < 1/r for every r < 1 (eps > 0), so it fails whenever <g,yhat> != 0."),
))

register(Claim(
    id="santurkar.thm41_sqrt_m", catalog="C04",
    title="Theorem 4.1 with 1/sqrt(m) in the last term",
    statement="||grad_y Lhat||^2 <= gamma^2/sigma^2 (||g||^2 - <1,g>^2/m - <g,yhat>^2/sqrt(m)).",
    latex=(r"\|\nabla_y\hat L\|^2\le\frac{\gamma^2}{\sigma^2}\Big(\|g\|^2-\tfrac1m\langle\mathbf 1,g\rangle^2-"
           r"\tfrac1{\sqrt m}\langle g,\hat y\rangle^2\Big)"),
    source=Source("santurkar2018how", "Section 4.1, Theorem 4.1", "the 1/sqrt(m) variant of some transcriptions"),
    hypotheses=_HYP0, witness=_w((-1, 0), F(0), g="1,0"),
    checks=THM41_SQRT_M.checks,
    expected=Verdict.REFUTED,
))

register(Claim(
    id="santurkar.thm42_hessian_quadratic_form", catalog="C05",
    title="Theorem 4.2 (first form) holds with equality at eps = 0",
    statement=("eps = 0, v = grad_y Lhat: v^T (d^2 Lhat/dy^2) v = gamma^2/sigma^2 v^T H v - gamma/(m sigma^2) <g,yhat> ||v||^2 "
               "for every twice-differentiable L (g, H the gradient and Hessian of L at z)."),
    latex=(r"v^\top\nabla_y^2\hat L\,v=\frac{\gamma^2}{\sigma^2}v^\top Hv-\frac{\gamma}{m\sigma^2}\langle g,\hat y\rangle\|v\|^2"),
    source=Source("santurkar2018how", "Section 4.1, Theorem 4.2", "stated with <=; the second form is not encoded"),
    hypotheses=_HYP0 + ("L twice differentiable at z",), witness=_w((-3, -1, 1, 3), F(0), g="1,0,0,0"),
    checks={**THM42.checks, Level.SCALE: sin.thm42_check()},
    expected=Verdict.PROVED,
    proof_sketch="d^2/dt^2 L(z(y + t v)) = H[z', z'] + <g, z''>; z' = (gamma/sigma) v, <g, z''> = -gamma <g,yhat> ||v||^2/(m sigma^2).",
    twin=Twin(change="- gamma/(m sigma^2) -> + gamma/(m sigma^2) (a sign changed)",
              statement="v^T Hess v = gamma^2/sigma^2 v^T H v + gamma/(m sigma^2) <g,yhat> ||v||^2",
              latex=r"v^\top\nabla_y^2\hat L\,v=\frac{\gamma^2}{\sigma^2}v^\top Hv+\frac{\gamma}{m\sigma^2}\langle g,\hat y\rangle\|v\|^2",
              checks={**THM42_TWIN.checks, Level.SCALE: sin.thm42_check(twin=True)}),
))
