"""BN inference statistics (catalog C12, C13, C14): unbiased variance, running averages, affine map.

Checks: :mod:`bnclaims.theory.ioffe2015_statistics` (sympy) and :mod:`bnclaims.numerics.ioffe2015_statistics`
(mpmath enumeration, hypothesis, a seeded Monte Carlo). Each twin reuses the same check with a
changed coefficient or sign.
"""
from __future__ import annotations

from fractions import Fraction
from functools import partial

from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.verdicts import Level, Verdict
from bnclaims.numerics import ioffe2015_statistics as nst
from bnclaims.theory import ioffe2015_statistics as tst

__all__: list[str] = []

_T, _N = Level.THEORY, Level.NUMERICS


def _witness_unbiased() -> bool:
    """Uniform on {-1, 1}, m = 2: finite variance 1 > 0, and E sigma_B^2 = 1/2 exactly."""
    return tst._enumerate_iid([Fraction(-1), Fraction(1)], 2) == (Fraction(1, 2), Fraction(1))


_EMA_WITNESS = {"c": "9/10", "p": "1/10", "m": 8}


def _witness_running() -> bool:
    """0 < c < 1, 0 < p < 1 and m >= 2 on the witness data (exact rationals)."""
    c, p, m = Fraction(_EMA_WITNESS["c"]), Fraction(_EMA_WITNESS["p"]), _EMA_WITNESS["m"]
    return 0 < c < 1 and 0 < p < 1 and isinstance(m, int) and m >= 2


register(Claim(
    id="bn.unbiased_population_variance", catalog="C12",
    title="The m/(m-1) correction makes the batch variance unbiased",
    statement=("For i.i.d. batch entries with finite variance sigma^2, the biased batch variance has "
               "E[sigma_B^2] = (m-1)/m sigma^2, so Var[x] = m/(m-1) E_B[sigma_B^2] is unbiased. Caveat: "
               "batches drawn without replacement from n points give (m-1)/m n/(n-1) s_n^2."),
    latex=r"\mathbb E[\sigma_B^2]=\tfrac{m-1}{m}\sigma^2",
    source=Source("ioffe2015batch", "Alg. 2, step 10", "restated in wiki2025bn, Inference Phase"),
    hypotheses=("batch entries i.i.d.", "finite variance", "m >= 2"),
    witness=Witness({"distribution": "uniform on {-1, 1}", "m": 2}, _witness_unbiased),
    checks={_T: tst.prove_unbiased_population_variance, _N: nst.check_unbiased_population_variance},
    expected=Verdict.PROVED,
    proof_sketch="E[y_i y_j] = mu^2 + delta_ij sigma^2 in sigma_B^2 = (1/m) sum y_i^2 - (1/m^2) sum_ij y_i y_j.",
    twin=Twin(change="coefficient (m-1)/m -> 1",
              statement="The biased batch variance is unbiased: E[sigma_B^2] = sigma^2.",
              latex=r"\mathbb E[\sigma_B^2]=\sigma^2",
              checks={_T: partial(tst.prove_unbiased_population_variance, formula=tst.twin_unbiased_formula),
                      _N: partial(nst.check_unbiased_population_variance, coeff=nst.twin_unbiased_coeff)}),
    notes="The encyclopedia article's 'neglecting the typically small variance of the batch' is confused: the correction is exact.",
))

register(Claim(
    id="bn.running_average_conventions", catalog="C13",
    title="Running averages: torch momentum p is Keras momentum 1-p; biased EMA limit",
    statement=("torch r <- (1-p) r + p v equals Keras r <- c r + (1-c) v with c = 1-p; E r_t = c^t r_0 + "
               "(1-c^t) E v; sd(r_inf) = sqrt((1-c)/(1+c) Var v); the EMA of the biased batch variance tends "
               "to (m-1)/m sigma^2."),
    latex=(r"r_t=c\,r_{t-1}+(1-c)v_t,\ \mathbb E r_t=c^tr_0+(1-c^t)\mathbb Ev,\ "
           r"\mathrm{sd}(r_\infty)=\sqrt{\tfrac{1-c}{1+c}\mathrm{Var}\,v},\ \lim\mathbb E r_t=\tfrac{m-1}{m}\sigma^2"),
    source=Source("wiki2025bn", "Inference Phase (momentum 0.9 or 0.99)",
                  "conventions: pytorch_batchnorm_docs, keras_batchnorm_docs"),
    hypotheses=("v_t independent, identically distributed", "0 < c < 1", "v_t the biased batch variance of "
                "i.i.d. entries (for the limit)"),
    witness=Witness(_EMA_WITNESS, _witness_running),
    checks={_T: tst.prove_running_average_conventions, _N: nst.check_running_average},
    expected=Verdict.PROVED,
    proof_sketch=("Equate the coefficients of r and v in the two documented updates (unique solution "
                  "c = 1 - p); induction on t for the mean and the variance; bn.unbiased_population_variance for E v."),
    twin=Twin(change="momentum mapping c = 1 - p -> c = p (torch's momentum passed to Keras unchanged)",
              statement="torch r <- (1-p) r + p v equals Keras r <- c r + (1-c) v with c = p.",
              latex=r"(1-p)r+pv=c\,r+(1-c)v\ \text{with}\ c=p",
              checks={_T: partial(tst.prove_running_average_conventions, torch_to_keras=tst.TWIN_TORCH_TO_KERAS),
                      _N: partial(nst.check_running_average, torch_to_keras=nst.twin_keras_momentum)}),
    notes=("The EMA-limit variant (lim E r_t = sigma^2, coefficient (m-1)/m -> 1) is refuted by the same checks "
           "(ema_limit=TWIN_BIASED_EMA_LIMIT / limit_coeff=twin_unbiased_coeff); see the tests."),
))

register(Claim(
    id="bn.inference_affine", catalog="C14",
    title="Inference-time BN is an affine map, foldable into the previous layer",
    statement=("With population statistics, y = gamma/sqrt(Var+eps) x + (beta - gamma E[x]/sqrt(Var+eps)); "
               "for x = W u + b this is W' = a W, b' = a b + c."),
    latex=(r"y=\frac{\gamma}{\sqrt{\mathrm{Var}[x]+\epsilon}}x+\Big(\beta-\frac{\gamma\,\mathbb E[x]}"
           r"{\sqrt{\mathrm{Var}[x]+\epsilon}}\Big)"),
    source=Source("ioffe2015batch", "Alg. 2, step 11", "restated in wiki2025bn, Inference Phase"),
    hypotheses=("Var[x] + eps > 0",),
    witness=Witness({"Var": "1", "eps": "0"}, lambda: Fraction(1) + 0 > 0),
    checks={_T: tst.prove_inference_affine, _N: nst.check_inference_affine},
    expected=Verdict.PROVED,
    proof_sketch="Distribute gamma/s over x - E[x]; substitute x = W u + b.",
    twin=Twin(change="sign of the mean term in the offset flipped",
              statement="y = gamma/s x + (beta + gamma E[x]/s).",
              latex=r"y=\frac{\gamma}{s}x+\Big(\beta+\frac{\gamma\,\mathbb E[x]}{s}\Big)",
              checks={_T: partial(tst.prove_inference_affine, offset=tst.twin_inference_offset),
                      _N: partial(nst.check_inference_affine, sign=1)}),
    on_batch=nst.on_batch_inference_affine,
))
