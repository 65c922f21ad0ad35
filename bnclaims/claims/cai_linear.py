"""Cai, Li, Shen (2019), BN gradient descent on OLS (catalog C28, C29)."""
from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.verdicts import Level, Verdict
from bnclaims.numerics import cai2019_bngd as num
from bnclaims.theory import cai2019_bngd as thy


def _spd_exact(h: list[list[Fraction]]) -> bool:
    """Exactly: h symmetric and every pivot of Gaussian elimination without pivoting > 0 (SPD)."""
    d = len(h)
    if any(h[i][j] != h[j][i] for i in range(d) for j in range(d)):
        return False
    a = [list(r) for r in h]
    for k in range(d):
        if a[k][k] <= 0:
            return False
        for i in range(k + 1, d):
            f = a[i][k] / a[k][k]
            for j in range(k, d):
                a[i][j] -= f * a[k][j]
    return True


_KAPPA_WITNESS = {"H": "diag(1, 10)", "u": [1, 1]}


def _kappa_witness() -> bool:
    """H = diag(1, 10) is SPD (exact pivots) and u = (1, 1) != 0."""
    h = [[Fraction(1), Fraction(0)], [Fraction(0), Fraction(10)]]
    return _spd_exact(h) and any(Fraction(v) != 0 for v in _KAPPA_WITNESS["u"])


_BNGD_WITNESS = {"d": 20, "kappa": 100, "eps_a": 1.0, "seed": 0}


def _bngd_witness() -> bool:
    """The OLS instance of the witness (d = 20, kappa = 100, seed 0) as the check builds it: H SPD
    (exact rational pivots of the float64 matrix), eps_a in (0, 1], every grid rate > 0, w0 != 0."""
    w = _BNGD_WITNESS
    inst = num.ols_instance(w["d"], float(w["kappa"]), w["seed"])
    h = [[Fraction(float(v)) for v in row] for row in inst["H"]]
    rates = [Fraction(float(u * 2 / inst["lmax"])) for u in num.LR_GRID]
    return (_spd_exact(h) and 0 < Fraction(w["eps_a"]) <= 1 and all(r > 0 for r in rates)
            and bool(np.any(inst["w0"] != 0)))

register(Claim(
    id="cai.effective_condition_number", catalog="C29",
    title="Effective condition number kappa* <= kappa (rank-one downdate, interlacing)",
    statement=("For SPD H and u != 0, H* = H - H u u^T H / (u^T H u) is PSD of rank d-1 with H* u = 0, and "
               "kappa* = lambda_max(H*) / lambda_min^+(H*) <= kappa(H)."),
    latex=r"H^*=H-\frac{Huu^\top H}{u^\top Hu},\quad \kappa^*=\frac{\lambda_{\max}(H^*)}{\lambda^+_{\min}(H^*)}\le\kappa(H)",
    source=Source("cai2019quantitative", "effective condition number (Sec. 3)",
                  "definition of H* reconstructed here"),
    hypotheses=("H symmetric positive definite", "u != 0"),
    witness=Witness(data=_KAPPA_WITNESS, check=_kappa_witness),
    checks={Level.THEORY: thy.prove_condition_number_bound, Level.NUMERICS: num.check_condition_number},
    expected=Verdict.PROVED,
    proof_sketch=("H* = H^{1/2}(I - P_w)H^{1/2}, w = H^{1/2}u, so H* u = 0. In the eigenbasis of H, det(tI - H*) = "
                  "prod_j (t - l_j) f(t), f(t) = 1 + (1/c) sum_k v_k l_k^2/(t - l_k), v_k = u_k^2, c = u^T H u: "
                  "f(0) = 0 and the signs at l_1 < ... < l_d alternate for every d (checked symbolically), so the "
                  "d - 1 other eigenvalues interlace those of H. Quoted: the determinant lemma, the intermediate "
                  "value theorem, and continuity for coinciding eigenvalues or some u_k = 0."),
    twin=Twin(change="sign of the rank-one term flipped (update instead of downdate)",
              statement="kappa(H + H u u^T H / (u^T H u)) <= kappa(H)",
              latex=r"\kappa\Big(H+\frac{Huu^\top H}{u^\top Hu}\Big)\le\kappa(H)",
              checks={Level.THEORY: functools.partial(thy.prove_condition_number_bound, sign=1),
                      Level.NUMERICS: functools.partial(num.check_condition_number, sign=1)}),
))

register(Claim(
    id="cai.bngd_converges_any_lr", catalog="C28",
    title="BNGD on OLS converges for weight learning rates where GD diverges",
    statement=("Population BN on OLS, J(a, w) = 1/2 E(y - a x^T w / ||w||_H)^2: gradient descent with a-rate "
               "eps_a in (0, 1] converges for every weight rate eps > 0, including rates above 2/lambda_max "
               "where GD on the OLS loss diverges."),
    latex=r"J(a,w)=\tfrac12\mathbb E\big(y-a\,x^\top w/\|w\|_H\big)^2,\ \epsilon_a\in(0,1],\ \forall\epsilon>0:\ J\to J^*",
    source=Source("cai2019quantitative", "abstract and main convergence theorem",
                  "model reconstructed (population BN); theorem number unverified"),
    hypotheses=("H = E[x x^T] SPD", "eps_a in (0, 1]", "eps > 0", "w0 != 0"),
    witness=Witness(data=_BNGD_WITNESS, check=_bngd_witness),
    checks={Level.NUMERICS: num.check_bngd_any_lr},
    expected=Verdict.HOLDS,
    notes=("No theory level: the symbolic lemma <grad_w J, w> = 0, ||w'||^2 = ||w||^2 + eps^2 ||grad||^2 "
           "(theory.cai2019_bngd.prove_bngd_weight_norm_growth) explains the mechanism but does not prove "
           "convergence, so it is not registered as a 'proved' verdict for this claim."),
    twin=Twin(change="a-learning rate eps_a = 2.5 (outside (0, 1])",
              statement="BNGD with eps_a = 2.5 converges for every weight learning rate",
              latex=r"\epsilon_a=2.5:\ \forall\epsilon>0:\ J\to J^*",
              checks={Level.NUMERICS: functools.partial(num.check_bngd_any_lr, eps_a=2.5)}),
))
