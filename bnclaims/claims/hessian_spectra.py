"""Hessian outliers through training, by normalizer and by batch-statistics mode (Rao & Sohl-Dickstein
§6, Figs. 4 and 6; Ghorbani et al. 2019 §4).

Catalog C35 and E6. The measurement is :func:`bnclaims.gpu_checks.experiments.hessian_spectra.spectra_through_training`;
both claims read the same cells (the BN and no-normalization cells of the first are the cells of the
second). Each criterion is written here, before any run.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.scale import plots
from bnclaims.scale.criteria import Band, Criterion, DesignCondition, Measure
from bnclaims.scale.experiment import ScaleExperiment, by_preset, scale_check
from bnclaims.verdicts import Level

Records = Mapping[str, Mapping[str, Any]]

FUNCTION = "bnclaims.gpu_checks.experiments.hessian_spectra:spectra_through_training"
NORMS = {"BN": "batch", "LN": "layer", "PreLN": "prelayer", "RegNorm": "regnorm", "BMLV": "bmlv", "LMBV": "lmbv",
         "none": "none"}
OTHERS = tuple(a for a in NORMS if a != "LN")
REG_WEIGHT = 1e-3  # RegNorm's lambda in L + lambda sum_l r^l (seed 003 eq. (3) gives no value)
KS = [9, 10, 11]
K10 = KS.index(10)
STEP50, END = 1, -1  # checkpoint indices: checkpoints are [0, 50, ..., steps]
OUTLIER_RATIO = 3.0  # "has outliers": lambda_1 / lambda_10 >= 3 (init ratios are 1.5-2.2 in the pilot)
FLAT_RATIO = 1.5  # the twins' "no outliers": lambda_1 / lambda_10 <= 1.5


def _arms(arch: str, depth: int, width: int, data: str, steps: int, checkpoints: list[int], lr: float, batch: int,
          hessian_batch: int, hessian_dtype: str, slq_steps: int) -> dict[str, dict[str, Any]]:
    common = {"arch": arch, "depth": depth, "width": width, "data": data, "steps": steps, "checkpoints": checkpoints,
              "lr": lr, "batch": batch, "hessian_batch": hessian_batch, "ks": KS, "hessian_dtype": hessian_dtype,
              "slq_steps": slq_steps}
    arms = {}
    for label, norm in NORMS.items():
        cfg: dict[str, Any] = {**common, "norm": norm}
        if norm == "regnorm":
            cfg["reg_weight"] = REG_WEIGHT
        if norm == "batch":
            cfg["modes"] = ["train", "population"]
            cfg["slq_modes"] = ["train", "population", "eval"]
        if norm == "none":
            cfg["slq_modes"] = ["train"]
        arms[label] = cfg
    return arms


def _designs(only: tuple[str, ...] | None = None) -> dict:
    def arms(*args) -> dict:
        a = _arms(*args)
        return a if only is None else {k: a[k] for k in only}
    # (arch, depth, width, data, steps, checkpoints, lr, batch, hessian batch, Lanczos dtype, SLQ steps)
    return by_preset(
        arms,
        quick=(("mlp", 4, 16, "digits", 200, [0, 50, 200], 0.1, 64, 64, "float64", 20), 4, 150),
        default=(("mlp", 4, 32, "digits", 400, [0, 50, 150, 400], 0.1, 64, 256, "float64", 30), 5, 450),
        gpu=(("wrn", 26, 2, "cifar_shaped", 400, [0, 50, 150, 400], 0.05, 128, 512, "float32", 60), 4, 300))


def _ratio_plot(data: dict, path) -> None:
    plots.ratio_through_training_plot(
        data, path, mode="train", k_index=K10,
        title="Rao & Sohl-Dickstein Fig. 6a: lambda_1/lambda_10 of the training-mode Hessian through training")


def _slq_plot(data: dict, path) -> None:
    plots.slq_density_plot(
        data, path, curves=[("BN", "train"), ("BN", "eval"), ("BN", "population"), ("none", "train")],
        labels={("BN", "train"): "BN, batch statistics (train mode)", ("BN", "eval"): "BN, running averages (eval)",
                ("BN", "population"): "BN, exact population statistics", ("none", "train"): "no normalization"},
        title="Ghorbani et al. 2019: Hessian eigenvalue density after training (SLQ)")


def _ritz_certificates(per_seed: list) -> dict[str, Any]:
    """Every eigenvalue behind the verdict with its certified bound (an eigenvalue of the float64 Hessian lies
    in theta +- r) and the HVPs of the run that produced it, per seed, arm, mode and checkpoint step."""
    runs = []
    for i, records in enumerate(per_seed):
        for arm, rec in records.items():
            for mode, specs in rec["spectra"].items():
                for step, spec in zip(rec["checkpoints"], specs):
                    runs.append({"seed_index": i, "arm": arm, "mode": mode, "step": step,
                                 "eigenvalues": spec["eigenvalues"], "residual_bounds": spec["residuals"],
                                 "hvps": spec["hvps"], "refine_hvps": spec["refine_hvps"],
                                 "converged": spec["converged"]})
    return {"ritz_values": runs,
            "largest_relative_bound": max(max(r / abs(e) for e, r in zip(run["eigenvalues"], run["residual_bounds"]))
                                          for run in runs),
            "hvps_total": sum(run["hvps"] for run in runs),
            "buffers_unchanged": all(rec["buffers_unchanged"] for records in per_seed for rec in records.values()),
            "data": next(iter(per_seed[0].values()))["data"],
            "hessian": next(iter(per_seed[0].values()))["hessian"]}


_DESC = ("scikit-learn digits (1437 training images, fixed split; CIFAR-shaped upsampled digits at the gpu preset); "
         "every arm of a seed shares its initialization and data order; plain SGD, one learning rate for all "
         "normalizers; Hessian of the cross-entropy (+ RegNorm terms, lambda = 1e-3) on a fixed batch of training "
         "examples in train mode (batch statistics of that batch, differentiated through); top-11 eigenpairs by "
         "restarted Lanczos (float32 + float64 Rayleigh-Ritz at the gpu preset), each with its certified residual "
         "bound and HVP count")

SPECTRA = ScaleExperiment(
    name="top of the Hessian spectrum through training, by normalizer", function=FUNCTION, designs=_designs(),
    description=_DESC, plot=_ratio_plot, evidence=_ritz_certificates)

POPULATION = ScaleExperiment(
    name="top of the Hessian spectrum of a BN net with batch statistics and with population statistics",
    function=FUNCTION, designs=_designs(("BN", "none")),
    description=(_DESC + "; for BN also the Hessian with exact population statistics under the current weights, "
                 "held constant (each BN layer's mean and biased variance over the whole training set, layer by "
                 "layer in forward order, evaluated on the same batch); SLQ densities at the end for the plot"),
    plot=_slq_plot, evidence=_ritz_certificates)


# -- per-seed values --------------------------------------------------------------------------------------

def _spec(records: Records, arm: str, mode: str, cp: int) -> Mapping[str, Any]:
    return records[arm]["spectra"][mode][cp]


def _log_ratio(arm: str, cp: int, k: int = K10, mode: str = "train"):
    def value(records: Records) -> float:
        return float(_spec(records, arm, mode, cp)["log_ratio"][k])
    value.__name__ = f"log_ratio_{arm}_{mode}"
    return value


def _ln_margin(cp: int, k: int = K10):
    """log(l1/lK) of LN minus the largest log(l1/lK) of the other normalizers, within a seed."""
    def value(records: Records) -> float:
        ln = float(_spec(records, "LN", "train", cp)["log_ratio"][k])
        return ln - max(float(_spec(records, a, "train", cp)["log_ratio"][k]) for a in OTHERS)
    value.__name__ = "ln_margin"
    return value


def _mode_difference(key: str, cp: int, k: int = K10):
    """population-statistics minus batch-statistics value of ``key`` for BN, within a seed."""
    def value(records: Records) -> float:
        return (float(_spec(records, "BN", "population", cp)[key][k])
                - float(_spec(records, "BN", "train", cp)[key][k]))
    value.__name__ = f"{key}_population_minus_train"
    return value


def _all_lambda_k_positive(records: Records) -> float:
    """1 when the certified interval of every lambda_K (K = 9, 10, 11; every arm, mode and checkpoint)
    excludes 0, else 0."""
    ok = all(all(spec["lambda_k_certified_positive"]) for rec in records.values()
             for per_mode in rec["spectra"].values() for spec in per_mode)
    return 1.0 if ok else 0.0


def _cp_name(cp: int) -> str:
    return "step 50" if cp == STEP50 else "end"


POSITIVE = Measure("lambda_K certified > 0", "1 when every certified lambda_K interval (K = 9, 10, 11, every arm, "
                   "mode and checkpoint) excludes 0, else 0", Band(1.0, 1.0), _all_lambda_k_positive)


# -- Rao: outliers by normalizer --------------------------------------------------------------------------

def _rao_criterion(twin: bool) -> Criterion:
    if twin:
        tests = tuple(Measure(f"log ratio(LN, {_cp_name(cp)})", f"log(lambda_1/lambda_10) of LN at {_cp_name(cp)}",
                              Band(hi=math.log(FLAT_RATIO)), _log_ratio("LN", cp)) for cp in (STEP50, END))
        reading = f"LayerNorm leaves no outliers: lambda_1/lambda_10 <= {FLAT_RATIO} at step 50 and at the end"
        reported: tuple[Measure, ...] = ()
    else:
        tests = tuple(Measure(f"LN - max(others) ({_cp_name(cp)})",
                              f"log(lambda_1/lambda_10) of LN minus the largest of BN, PreLN, RegNorm, BMLV, LMBV, "
                              f"none, at {_cp_name(cp)}", Band(0.0), _ln_margin(cp)) for cp in (STEP50, END))
        reading = ("LayerNorm keeps outliers, every other normalizer and no normalization suppress them: LN's "
                   "lambda_1/lambda_10 is the largest, 50 steps into training and at the end (Rao Fig. 6a)")
        reported = tuple(Measure(f"LN - max(others), K={KS[k]} ({_cp_name(cp)})", f"the margin with K = {KS[k]}",
                                 Band(), _ln_margin(cp, k)) for k in (0, 2) for cp in (STEP50, END))
        reported += tuple(Measure(f"log ratio({a}, {_cp_name(cp)})", f"log(lambda_1/lambda_10), {a}", Band(),
                                  _log_ratio(a, cp)) for cp in (STEP50, END) for a in NORMS)
    return Criterion(
        quantity="log(lambda_1/lambda_K) of the training-mode Hessian, K = 10, paired within a seed",
        reading=reading, tests=tests, data_preconditions=(POSITIVE,), reported=reported,
        design_preconditions=(
            DesignCondition("checkpoints are [0, 50, ..., steps] and K in {9, 10, 11}",
                            lambda c: c["checkpoints"][:2] == [0, 50] and c["checkpoints"][-1] == c["steps"]
                            and c["ks"] == KS),))


def _witness(experiment: ScaleExperiment) -> Witness:
    design = experiment.design("default")

    def check() -> bool:
        lrs = {cfg["lr"] for cfg in design.arms.values()}
        return len(lrs) == 1 and design.seeds >= 2 and all(c["checkpoints"][1] == 50 for c in design.arms.values())

    first = design.arms["BN"]
    return Witness(data={k: v for k, v in first.items() if not isinstance(v, list)}, check=check)


_HYPS = ("plain (no skip) ReLU nets, normalizer after every linear/conv map; default initialization shared by all arms",
         "one SGD learning rate for every normalizer; data order shared",
         "Hessian of the cross-entropy on a fixed batch, batch statistics of that batch, differentiated through")

register(Claim(
    id="rao.hessian_outliers", catalog="C35",
    title="Hessian outliers through training: LayerNorm keeps them, the other normalizers suppress them",
    statement=("Through training, the top of the Hessian spectrum of a plain network keeps large isolated "
               "eigenvalues under LayerNorm, while BN, PreLayerNorm, RegNorm, BMLV, LMBV and no normalization "
               "suppress them: 50 steps into training and at the end, log(lambda_1/lambda_10) of the LN net exceeds "
               "that of every other arm (same initialization, data order and learning rate). lambda_1/lambda_9 and "
               "lambda_1/lambda_11 are reported beside; inconclusive when a certified lambda_K interval touches 0."),
    latex=r"\log\frac{\lambda_1}{\lambda_{10}}\Big|_{\mathrm{LN}}>\max_{X\ne\mathrm{LN}}\log\frac{\lambda_1}{\lambda_{10}}\Big|_{X}",
    source=Source("rao2020batchnorm", "Sec. 6, Fig. 4, Fig. 6a, Table 2"),
    hypotheses=_HYPS, witness=_witness(SPECTRA),
    checks={Level.SCALE: scale_check(SPECTRA, _rao_criterion(False), claim_id="rao.hessian_outliers")},
    expected=None,
    notes=("Empirical: the verdict comes from the pre-registered criterion, with no expected verdict written in "
           "advance. Rao uses a 26-layer WideResNet without skips on 512 CIFAR-10 images (the gpu preset's design); "
           "the default preset is a 4-layer MLP on digits. Every eigenvalue in the evidence carries its certified "
           "residual bound and the HVP count of its Lanczos run."),
    twin=Twin(change="LayerNorm leaves no outliers", statement=f"under LayerNorm lambda_1/lambda_10 <= {FLAT_RATIO} "
              "after 50 steps and at the end", latex=r"\lambda_1/\lambda_{10}\big|_{\mathrm{LN}}\le 1.5",
              checks={Level.SCALE: scale_check(SPECTRA, _rao_criterion(True), claim_id="rao.hessian_outliers.twin")}),
))


# -- Ghorbani: population statistics ----------------------------------------------------------------------

NONE_HAS_OUTLIERS = Measure("outliers without normalization", f"log(lambda_1/lambda_10) of the un-normalized net at "
                            f"the end; it has outliers: >= log {OUTLIER_RATIO:g}", Band(math.log(OUTLIER_RATIO)),
                            _log_ratio("none", END))


def _ghorbani_criterion(twin: bool) -> Criterion:
    if twin:
        tests = tuple(Measure(f"log ratio(population, {_cp_name(cp)})", f"log(lambda_1/lambda_10) with population "
                              f"statistics at {_cp_name(cp)}", Band(hi=math.log(FLAT_RATIO)),
                              _log_ratio("BN", cp, mode="population")) for cp in (STEP50, END))
        return Criterion(quantity="log(lambda_1/lambda_10) of the population-statistics Hessian of a BN net",
                         reading=f"population statistics leave no outliers: lambda_1/lambda_10 <= {FLAT_RATIO}",
                         tests=tests, data_preconditions=(POSITIVE,))
    tests = tuple(Measure(f"log ratio: population - batch ({_cp_name(cp)})", "log(lambda_1/lambda_10) with population "
                          f"statistics minus with batch statistics, BN net at {_cp_name(cp)}", Band(0.0),
                          _mode_difference("log_ratio", cp)) for cp in (STEP50, END))
    tests += tuple(Measure(f"gradient in top-10: population - batch ({_cp_name(cp)})", "fraction of ||g||^2 in the "
                           "top-10 eigenspace with population statistics minus with batch statistics (g the gradient "
                           f"of the same loss), BN net at {_cp_name(cp)}", Band(0.0),
                           _mode_difference("grad_fraction", cp)) for cp in (STEP50, END))
    reported = tuple(Measure(f"log ratio({arm}, {mode}, {_cp_name(cp)})", f"log(lambda_1/lambda_10), {arm} {mode}",
                             Band(), _log_ratio(arm, cp, mode=mode))
                     for cp in (STEP50, END) for arm, mode in (("BN", "train"), ("BN", "population"), ("none", "train")))
    reported += tuple(Measure(f"log ratio K={KS[k]}: population - batch (end)", f"the difference with K = {KS[k]}",
                              Band(), _mode_difference("log_ratio", END, k)) for k in (0, 2))
    return Criterion(
        quantity="log(lambda_1/lambda_10) and the fraction of ||g||^2 in the top-10 eigenspace, population-statistics "
                 "Hessian minus batch-statistics Hessian of the same BN net, paired within a seed",
        reading="population statistics bring back the outliers that batch statistics suppress (Ghorbani et al. §4)",
        tests=tests, data_preconditions=(NONE_HAS_OUTLIERS, POSITIVE), reported=reported,
        design_preconditions=(
            DesignCondition("the BN arm computes the batch-statistics and the population-statistics Hessians",
                            lambda c: c["norm"] != "batch" or {"train", "population"} <= set(c["modes"])),
            DesignCondition("checkpoints are [0, 50, ..., steps]",
                            lambda c: c["checkpoints"][:2] == [0, 50] and c["checkpoints"][-1] == c["steps"])))


register(Claim(
    id="ghorbani.population_stats_ill_conditioning", catalog="E6",
    title="Population statistics in a BN net bring back the Hessian outliers that batch statistics suppress",
    statement=("For a BN network trained with batch statistics, the Hessian with exact population statistics under "
               "the current weights held constant (each BN layer's mean and biased variance over the whole training "
               "set, computed layer by layer in forward order, then used as constants on the batch) has larger "
               "outliers than the training-mode Hessian (batch statistics differentiated through): "
               "log(lambda_1/lambda_10) and the fraction of ||g||^2 in the top-10 eigenspace are larger, 50 steps "
               "into training and at the end; provided the un-normalized net has outliers (lambda_1/lambda_10 >= 3). "
               "The population statistics are neither the momentum running averages nor the detached batch statistics."),
    latex=r"\log\frac{\lambda_1}{\lambda_{10}}\Big(\nabla^2 L_{\mu_{\mathrm{pop}}(\theta),\sigma^2_{\mathrm{pop}}(\theta)}\Big)>\log\frac{\lambda_1}{\lambda_{10}}\Big(\nabla^2 L_{\mathrm{batch}}\Big)",
    source=Source("ghorbani2019investigation", "Sec. 4 (batch normalization)", "as cited by Rao & Sohl-Dickstein, Sec. 2 and 9"),
    hypotheses=_HYPS + ("population statistics: full-training-set mean and biased variance per BN layer under the "
                        "current weights, layer by layer, held constant",),
    witness=_witness(POPULATION),
    checks={Level.SCALE: scale_check(POPULATION, _ghorbani_criterion(False),
                                     claim_id="ghorbani.population_stats_ill_conditioning")},
    expected=None,
    notes=("Empirical: the verdict comes from the pre-registered criterion, with no expected verdict written in "
           "advance. The primary text was not retrieved; the measurement follows its account in Rao & Sohl-Dickstein "
           "(§2, §9). The plot "
           "shows SLQ densities at the end for BN with batch statistics, with running averages, with population "
           "statistics, and for no normalization."),
    twin=Twin(change="population statistics leave no outliers",
              statement=f"with population statistics lambda_1/lambda_10 <= {FLAT_RATIO} after 50 steps and at the end",
              latex=r"\lambda_1/\lambda_{10}\big|_{\mathrm{pop}}\le 1.5",
              checks={Level.SCALE: scale_check(POPULATION, _ghorbani_criterion(True),
                                               claim_id="ghorbani.population_stats_ill_conditioning.twin")}),
))
