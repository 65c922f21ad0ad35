"""Gradient explosion at initialization (Yang et al. 2019; catalog C19-C22).

One experiment protocol for all five claims (:func:`bnclaims.gpu_checks.experiments.yang2019.gradient_profile`):
a deep MLP ``h_l = act(norm(W_l h_{l-1}))`` (optionally ``+ h_{l-1}``) at a variance-preserving
initialization (sigma_w^2 = 2 for ReLU, 1 for linear and tanh), zero biases, gamma = 1, beta = 0, batch
statistics differentiated through without writing running statistics, a per-sample Gaussian upstream
gradient at the top, log-norms tracked with per-layer renormalization. The measured *rate* is
``exp(-slope)`` of the least-squares fit of ``log ||dL/dh_l||^2`` against ``l`` over ``l in [8, L - 5]``:
the growth of the squared gradient norm per layer towards the input. The theory level derives the rates
(:mod:`bnclaims.theory.yang2019`, :mod:`bnclaims.numerics.yang2019`); the scale level holds the simulation against them.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Mapping

from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.scale.criteria import Band, Criterion, DesignCondition, Measure
from bnclaims.scale.experiment import ScaleExperiment, by_preset, scale_check
from bnclaims.scale import plots
from bnclaims.verdicts import Level, Verdict
from bnclaims.numerics import yang2019 as num
from bnclaims.theory import yang2019 as thy

PROFILE = "bnclaims.gpu_checks.experiments.yang2019:gradient_profile"
PI = math.pi
RELU_LIMIT = PI / (PI - 1)


def linear_rate(b: int) -> float:
    """(B - 2)/(B - 3): Yang et al. 2019, Thm 8 for the identity activation (derived in theory/yang2019)."""
    return (b - 2) / (b - 3)


def relu_rate(b: int) -> float:
    """Yang et al. 2019, Thm 8, eq. 25 at batch size B (evaluated in mpmath by numerics/yang2019)."""
    return float(num.relu_rate_mp(b, 30))


# -- design preconditions (checked on every arm before a run) -------------------------------------------

def _batch_at_least_8(cfg: Mapping[str, Any]) -> bool:
    return cfg["batch"] >= 8


def _wide_enough(cfg: Mapping[str, Any]) -> bool:
    return cfg["batch"] * 8 <= cfg["width"]


def _deep_enough(cfg: Mapping[str, Any]) -> bool:
    return cfg["depth"] - 5 - 8 >= 10


RATE_PRECONDITIONS = (
    DesignCondition("B >= 8 (1/chi^2_{B-1} has infinite variance for B <= 5)", _batch_at_least_8),
    DesignCondition("B/N <= 1/8 (the rates are wide-network limits)", _wide_enough),
    DesignCondition("at least 10 layers in the fit range [8, L-5]", _deep_enough),
)


def _rate(arm: str):
    def value(records: Mapping[str, Mapping[str, Any]]) -> float:
        return float(records[arm]["rate"])
    value.__name__ = f"rate_{arm}"
    return value


def _diff(a: str, b: str):
    def value(records: Mapping[str, Mapping[str, Any]]) -> float:
        return float(records[a]["rate"]) - float(records[b]["rate"])
    value.__name__ = f"rate_{a}_minus_{b}"
    return value


def _excess_ratio(res: str, plain: str):
    def value(records: Mapping[str, Mapping[str, Any]]) -> float:
        return (float(records[res]["rate"]) - 1) / (float(records[plain]["rate"]) - 1)
    value.__name__ = f"excess_{res}_over_{plain}"
    return value


def _mlp(norm: str, act: str, width: int, batch: int, depth: int, skip: bool = False, **extra: Any) -> dict:
    return {"norm": norm, "act": act, "width": width, "batch": batch, "depth": depth, "skip": skip, **extra}


def _profile_plot(title: str, predictions: Mapping[str, float]):
    """Squared gradient norm against depth on a log axis, each arm with its predicted slope."""
    def plot(data: dict, path) -> None:
        refs = []
        first = data["per_seed"][0]
        for arm, rate in predictions.items():
            start, end = first[arm]["fit_range"]
            mid = (start + end) // 2
            anchor = sum(r[arm]["log_sq_norm"][mid] for r in data["per_seed"]) / len(data["per_seed"])
            xs = list(range(start, end + 1))
            refs.append((f"{arm}: predicted x{rate:.4f} per layer (on the fit range)", xs,
                         [math.exp(anchor + (mid - x) * math.log(rate)) for x in xs]))
        plots.profile_plot(data, path, key="log_sq_norm", xs=lambda r: range(len(r["log_sq_norm"])),
                           exp_values=True, ylabel="||dL/dh_l||^2", xlabel="layer l (0 = input)",
                           title=title, references=refs)
    return plot


# -- experiments --------------------------------------------------------------------------------------

def _linear_designs() -> dict:
    # Deep and narrow beats wide: the slope's spread falls faster with the fit range than with the width
    # (pilot, 6 seeds: N = 512, L = 200 sd 0.0068 at 0.4 s a cell; N = 1024, L = 40 sd 0.011).
    def arms(width: int, depth: int) -> dict:
        return {f"B={b}": _mlp("batch", "linear", width, b, depth) for b in (8, 16)}
    return by_preset(arms, quick=((512, 200), 5, 60), default=((1024, 200), 8, 150), gpu=((2048, 100), 12, 150))


LINEAR = ScaleExperiment(
    name="deep linear BN MLP, B = 8 and 16", function=PROFILE, designs=_linear_designs(),
    description="identity activation, BN, sigma_w^2 = 1; rate = exp(-slope of log ||dL/dh_l||^2) over [8, L-5]",
    plot=_profile_plot("Deep linear BN MLP: squared gradient norm against depth",
                       {"B=8": linear_rate(8), "B=16": linear_rate(16)}))


def _relu_designs() -> dict:
    def arms(scale: int) -> dict:
        return {"B=8": _mlp("batch", "relu", 512 * scale, 8, 200 if scale == 1 else 120),
                "B=32": _mlp("batch", "relu", 1024 * scale, 32, 120),
                "B=128": _mlp("batch", "relu", 1024 * scale, 128, 60)}
    return by_preset(arms, quick=((1,), 6, 90), default=((1,), 10, 150), gpu=((2,), 12, 150))


RELU = ScaleExperiment(
    name="deep ReLU BN MLP, B = 8, 32, 128", function=PROFILE, designs=_relu_designs(),
    description="ReLU, BN, He init (sigma_w^2 = 2); rate over l in [8, L-5]",
    plot=lambda data, path: plots.rate_curve_plot(
        data, path, batch_of=lambda arm: int(arm[2:]), curve=relu_rate, limit=RELU_LIMIT,
        title="ReLU BN MLP: measured rate against B, Yang et al. Thm 8", curve_label="Thm 8, eq. 25",
        limit_label="pi/(pi-1)"))


def _activation_designs() -> dict:
    def arms(width: int, depth: int) -> dict:
        return {act: _mlp("batch", act, width, 128, depth) for act in ("tanh", "gelu", "silu", "relu")}
    return by_preset(arms, quick=((1024, 60), 3, 90), default=((1024, 60), 5, 150), gpu=((2048, 60), 6, 150))


ACTIVATIONS = ScaleExperiment(
    name="deep BN MLPs with tanh, GELU, SiLU and ReLU at B = 128", function=PROFILE,
    designs=_activation_designs(),
    description="BN, B = 128, sigma_w^2 = 1 (tanh), 2 (relu) and the variance-preserving value for GELU/SiLU",
    plot=_profile_plot("BN MLPs at B = 128: squared gradient norm against depth by activation", {}))


def _skip_designs() -> dict:
    def arms(width: int, depth: int) -> dict:
        return {"plain": _mlp("batch", "relu", width, 64, depth),
                "residual": _mlp("batch", "relu", width, 64, depth, skip=True)}
    return by_preset(arms, quick=((512, 40), 4, 60), default=((1024, 60), 6, 120), gpu=((2048, 60), 8, 120))


SKIP = ScaleExperiment(
    name="plain vs residual ReLU BN MLP, B = 64", function=PROFILE, designs=_skip_designs(),
    description="h_l = relu(BN(W h_{l-1})) against h_l = h_{l-1} + relu(BN(W h_{l-1})), same weights per seed",
    plot=_profile_plot("Plain vs residual ReLU BN MLP (B = 64): squared gradient norm", {}))


def _flat_designs() -> dict:
    def arms(width: int, depth: int) -> dict:
        return {"BN relu": _mlp("batch", "relu", width, 64, depth),
                "BN tanh": _mlp("batch", "tanh", width, 64, depth),
                "none relu, LeCun": _mlp("none", "relu", width, 64, depth, init="lecun"),
                "none relu, He": _mlp("none", "relu", width, 64, depth)}
    return by_preset(arms, quick=((512, 40), 3, 60), default=((1024, 60), 5, 120), gpu=((2048, 60), 6, 120))


FLAT = ScaleExperiment(
    name="BN vs no normalization, ReLU and tanh, B = 64", function=PROFILE, designs=_flat_designs(),
    description="the encyclopedia article's 'gradient flow stabilization' read as a flat profile, with the literal reading beside",
    plot=_profile_plot("Does BN keep the gradient profile flat? (B = 64)", {}))


# -- criteria -----------------------------------------------------------------------------------------

def _linear_criterion(formula, label: str) -> Criterion:
    return Criterion(
        quantity="per-layer growth of ||dL/dh_l||^2 in a deep linear BN MLP at initialization",
        reading=f"the rate equals {label} within 2 % at B = 8 and B = 16",
        tests=tuple(Measure(f"rate(B={b})", f"measured rate at B = {b}", Band.around(formula(b), 0.02), _rate(f"B={b}"))
                    for b in (8, 16)),
        design_preconditions=RATE_PRECONDITIONS)


def _relu_criterion(limit: float, label: str, twin: bool = False) -> Criterion:
    if twin:
        tests = (Measure("rate(B=128)", "measured rate at B = 128", Band.around(limit, 0.015), _rate("B=128")),)
    else:
        tests = tuple(Measure(f"rate(B={b})", f"measured rate at B = {b}", Band.around(relu_rate(b), 0.015),
                           _rate(f"B={b}")) for b in (8, 32, 128))
        tests += (Measure("rate(8) - rate(32)", "paired difference within a seed", Band(0.0), _diff("B=8", "B=32")),
                  Measure("rate(32) - rate(128)", "paired difference within a seed", Band(0.0),
                       _diff("B=32", "B=128")))
    return Criterion(
        quantity="per-layer growth of ||dL/dh_l||^2 in a deep ReLU BN MLP at initialization",
        reading=label, tests=tests, design_preconditions=RATE_PRECONDITIONS)


ACTIVATION_ARMS = ("tanh", "gelu", "silu", "relu")


def _activation_criterion(floor: float, label: str) -> Criterion:
    return Criterion(
        quantity="per-layer growth of ||dL/dh_l||^2 in deep BN MLPs at B = 128, by activation",
        reading=label,
        tests=tuple(Measure(f"rate({a})", f"measured rate with {a}", Band(floor), _rate(a)) for a in ACTIVATION_ARMS),
        design_preconditions=RATE_PRECONDITIONS)


def _skip_criterion(twin: bool) -> Criterion:
    if twin:
        test = Measure("rate(residual)/rate(plain)", "ratio of per-layer rates, paired within a seed",
                    Band(0.95, 1.05), lambda r: float(r["residual"]["rate"]) / float(r["plain"]["rate"]))
    else:
        test = Measure("excess(residual)/excess(plain)", "(rate_res - 1)/(rate_plain - 1), paired within a seed",
                    Band(hi=0.25), _excess_ratio("residual", "plain"))
    return Criterion(
        quantity="per-layer growth of ||dL/dh_l||^2 over l in [8, L-5], residual against plain ReLU BN MLP",
        reading=("skip connections leave the rate unchanged (within 5 %)" if twin else
                 "the residual net's excess growth rate - 1 is at most a quarter of the plain net's"),
        tests=(test,), design_preconditions=RATE_PRECONDITIONS[1:],
        reported=(Measure("rate(plain)", "plain net", Band(1.0), _rate("plain")),
                  Measure("rate(residual)", "residual net", Band(1.0), _rate("residual"))))


FLAT_CRITERION = Criterion(
    quantity="per-layer growth of ||dL/dh_l||^2 of plain BN MLPs at initialization (B = 64)",
    reading=("the testable reading of 'BN stabilizes gradient flow': the profile is flat, the rate within 5 % "
             "of 1 for ReLU and for tanh; the literal reading 'no exponential decay' is reported beside"),
    tests=(Measure("rate(BN relu)", "measured rate, BN + ReLU", Band(0.95, 1.05), _rate("BN relu")),
           Measure("rate(BN tanh)", "measured rate, BN + tanh", Band(0.95, 1.05), _rate("BN tanh"))),
    design_preconditions=RATE_PRECONDITIONS[1:],
    reported=(Measure("literal: rate(BN relu) >= 1", "no decay with BN", Band(1.0), _rate("BN relu")),
              Measure("literal: rate(none, LeCun)", "decays without BN at LeCun init (about 1/2)", Band(hi=1.0),
                   _rate("none relu, LeCun")),
              Measure("literal: rate(none, He)", "flat without BN at He init (about 1)", Band(0.9, 1.1),
                   _rate("none relu, He"))))


def _witness_ok(experiment: ScaleExperiment, conditions) -> bool:
    """Every arm of the default design satisfies the design preconditions (the hypotheses)."""
    arms = experiment.design("default").arms.values()
    return all(c.check(cfg) for c in conditions for cfg in arms)


def _witness(experiment: ScaleExperiment, conditions) -> Witness:
    first = next(iter(experiment.design("default").arms.values()))
    return Witness(data={k: first[k] for k in ("norm", "act", "width", "batch", "depth")},
                   check=functools.partial(_witness_ok, experiment, conditions))


YANG = Source("yang2019mean", "Sec. 3.1.2, Thm 8 (eq. 25) and Thm 9")

register(Claim(
    id="yang.linear_explosion_rate", catalog="C20",
    title="Deep linear BN nets: the squared gradient norm grows by (B-2)/(B-3) per layer",
    statement=("In a deep linear MLP with BN (gamma = 1, beta = 0, eps = 0) at initialization, with a "
               "per-sample random upstream gradient, ||dL/dh_l||^2 grows by (B-2)/(B-3) per layer towards the "
               "input, independently of sigma_w; measured within 2 % at B = 8 and B = 16."),
    latex=r"\frac{\mathbb E\|\partial L/\partial h_{l-1}\|^2}{\mathbb E\|\partial L/\partial h_l\|^2}=\frac{B-2}{B-3}",
    source=YANG,
    hypotheses=("B > 3 (theory); B >= 8 and B/N <= 1/8 in simulation", "wide limit, gradient independence",
                "gamma = 1, beta = 0, eps = 0, W_l ~ N(0, sigma_w^2/N) i.i.d."),
    witness=_witness(LINEAR, RATE_PRECONDITIONS),
    checks={Level.THEORY: thy.prove_linear_rate,
            Level.SCALE: scale_check(LINEAR, _linear_criterion(linear_rate, "(B-2)/(B-3)"),
                                     claim_id="yang.linear_explosion_rate")},
    expected=Verdict.HOLDS, expected_by_level={Level.THEORY: Verdict.PROVED},
    proof_sketch=("Per unit the pre-BN batch is Gaussian and isotropic on 1-perp, so sigma^2 = sigma_w^2 a "
                  "chi^2_{B-1}/B and E[1/chi^2_k] = 1/(k-2); BN's backward projection removes the yhat direction "
                  "from a gradient already orthogonal to 1 (factor (B-2)/(B-1)); W^T multiplies by sigma_w^2: "
                  "(B-1)/(B-3) (B-2)/(B-1) = (B-2)/(B-3)."),
    twin=Twin(change="B/(B-2) instead of (B-2)/(B-3)",
              statement="the squared gradient norm grows by B/(B-2) per layer",
              latex=r"\lambda_G=\frac{B}{B-2}",
              checks={Level.THEORY: thy.prove_linear_rate_twin,
                      Level.SCALE: scale_check(LINEAR, _linear_criterion(lambda b: b / (b - 2), "B/(B-2)"),
                                               claim_id="yang.linear_explosion_rate.twin")}),
))

register(Claim(
    id="yang.relu_explosion_rate_large_batch", catalog="C21",
    title="ReLU BN nets: the rate follows Thm 8 and decreases to pi/(pi-1) as B grows",
    statement=("In a deep ReLU MLP with BN at initialization the squared gradient norm grows per layer by "
               "Yang et al.'s Thm 8 rate lambda(B), which decreases in B to pi/(pi-1) = 1.46694...; measured: "
               "rate(8) > rate(32) > rate(128), each within 1.5 % of Thm 8."),
    latex=r"\lambda_{\mathrm{ReLU}}(B)\searrow\frac{\pi}{\pi-1}\ (B\to\infty)",
    source=YANG,
    hypotheses=("B > 3 (theory); B >= 8 and B/N <= 1/8 in simulation", "wide limit, gradient independence",
                "He initialization, gamma = 1, beta = 0, eps = 0"),
    witness=_witness(RELU, RATE_PRECONDITIONS),
    checks={Level.THEORY: thy.prove_relu_limit,
            Level.NUMERICS: num.check_relu_rate_table,
            Level.SCALE: scale_check(RELU, _relu_criterion(RELU_LIMIT, "each rate within 1.5 % of Thm 8 at "
                                                           "B = 8, 32, 128, and decreasing in B"),
                                     claim_id="yang.relu_explosion_rate_large_batch")},
    expected=Verdict.HOLDS, expected_by_level={Level.THEORY: Verdict.PROVED},
    proof_sketch=("Thm 8 at c0 = -1/(B-1): for ReLU the moments on the sphere equal the Gaussian ones by "
                  "homogeneity, giving lambda(B) = B T / ((B-3)(B-1) a) with a = 1/2 - kappa1(c0); as B -> oo, "
                  "T ~ B/2 and a -> (pi-1)/(2 pi)."),
    twin=Twin(change="limit pi/(pi-2) instead of pi/(pi-1)",
              statement="the ReLU rate tends to pi/(pi-2) = 2.7519...",
              latex=r"\lambda_{\mathrm{ReLU}}(B)\to\frac{\pi}{\pi-2}",
              checks={Level.THEORY: thy.prove_relu_limit_twin,
                      Level.NUMERICS: num.check_relu_rate_table_twin,
                      Level.SCALE: scale_check(RELU, _relu_criterion(PI / (PI - 2), "rate(128) within 1.5 % of "
                                                                     "pi/(pi-2)", twin=True),
                                               claim_id="yang.relu_explosion_rate_large_batch.twin")}),
))

register(Claim(
    id="yang.explosion_not_removable_by_activation", catalog="C21",
    title="No activation removes the explosion: E[phi'(z)^2] >= Var phi(z) (Gaussian Poincare)",
    statement=("At large B the per-layer rate of a BN net is E[phi'(z)^2]/Var phi(z), z ~ N(0,1), which is >= 1 "
               "for every non-constant phi in the Gaussian Sobolev space, with equality iff phi is affine; "
               "measured: tanh, GELU, SiLU and ReLU BN nets all explode (rate > 1)."),
    latex=r"\mathbb E[\phi'(z)^2]\ \ge\ \operatorname{Var}\phi(z),\quad z\sim\mathcal N(0,1)",
    source=Source("yang2019mean", "Thm 9 (large-B rate); Gaussian Poincare inequality"),
    hypotheses=("phi non-constant, phi, phi' square-integrable under N(0,1)", "large B (theory); B = 128, "
                "B/N <= 1/8 in simulation"),
    witness=_witness(ACTIVATIONS, RATE_PRECONDITIONS),
    checks={Level.THEORY: thy.prove_poincare,
            Level.NUMERICS: num.check_poincare_panel,
            Level.SCALE: scale_check(ACTIVATIONS, _activation_criterion(1.0, "every activation's rate >= 1"),
                                     claim_id="yang.explosion_not_removable_by_activation")},
    expected=Verdict.PROVED,
    proof_sketch=("Expand phi = sum a_n He_n/sqrt(n!): Var phi = sum_{n>=1} a_n^2 and E phi'^2 = sum n a_n^2, so "
                  "the difference is sum_{n>=2} (n-1) a_n^2 >= 0, zero iff phi is affine."),
    twin=Twin(change="constant pi/(pi-1) instead of 1 (ReLU would be the least explosive activation)",
              statement="E[phi'(z)^2] >= pi/(pi-1) Var phi(z) for every non-affine phi",
              latex=r"\mathbb E[\phi'(z)^2]\ \ge\ \tfrac{\pi}{\pi-1}\operatorname{Var}\phi(z)",
              checks={Level.THEORY: thy.prove_poincare_twin,
                      Level.NUMERICS: num.check_poincare_panel_twin,
                      Level.SCALE: scale_check(ACTIVATIONS, _activation_criterion(
                          RELU_LIMIT, "every activation's rate >= pi/(pi-1)"),
                          claim_id="yang.explosion_not_removable_by_activation.twin")}),
))

register(Claim(
    id="skip.removes_explosion", catalog="C22",
    title="Skip connections remove most of the gradient explosion of BN nets",
    statement=("With identity skips h_l = h_{l-1} + relu(BN(W h_{l-1})) the per-layer growth of the squared "
               "gradient norm is far below the plain BN net's: its excess over 1 is at most a quarter of the "
               "plain net's, same weights, B = 64."),
    latex=r"\lambda_{\mathrm{res}}-1\ \le\ \tfrac14\,(\lambda_{\mathrm{plain}}-1)",
    source=Source("rao2020batchnorm", "Sec. 4.3 and Fig. App.2", "consistent with Yang et al. 2019"),
    hypotheses=("ReLU, BN in train mode, He initialization, B = 64, B/N <= 1/8",),
    witness=_witness(SKIP, RATE_PRECONDITIONS[1:]),
    checks={Level.SCALE: scale_check(SKIP, _skip_criterion(False), claim_id="skip.removes_explosion")},
    expected=Verdict.HOLDS,
    notes="With BN the residual per-block rates behave like 1 + a/l: growth polynomial in depth, not exponential.",
    twin=Twin(change="skips leave the rate unchanged (ratio within 5 % of 1)",
              statement="the residual BN net's rate equals the plain net's within 5 %",
              latex=r"\lambda_{\mathrm{res}}/\lambda_{\mathrm{plain}}\in[0.95,1.05]",
              checks={Level.SCALE: scale_check(SKIP, _skip_criterion(True), claim_id="skip.removes_explosion.twin")}),
))

register(Claim(
    id="seed001.bn_prevents_gradient_decay", catalog="C19",
    title="'BN stabilizes gradient flow': a flat gradient profile in plain deep BN nets",
    statement=("The encyclopedia article: BN 'helps prevent exponential decay of gradient norms', giving stable gradient flow "
               "through > 100 layers. Tested reading: in plain BN MLPs at initialization the squared gradient "
               "norm is flat in depth, its per-layer rate within 5 % of 1, for ReLU and for tanh."),
    latex=r"\lambda_{\mathrm{BN}}\in[0.95,\,1.05]\ \text{for ReLU and tanh}",
    source=Source("wiki2025bn", "section 'Gradient flow stabilization'", "the testable reading of 'stabilization'; the literal one is reported beside"),
    hypotheses=("plain (no skip) MLP, BN in train mode, variance-preserving init, B = 64, B/N <= 1/8",),
    witness=_witness(FLAT, RATE_PRECONDITIONS[1:]),
    checks={Level.SCALE: scale_check(FLAT, FLAT_CRITERION, claim_id="seed001.bn_prevents_gradient_decay")},
    expected=Verdict.REFUTED,
    notes=("The literal reading ('no exponential decay') holds: BN makes gradients explode, and without BN they "
           "decay only under LeCun or torch-default init; both rates are reported beside the verdict."),
))
