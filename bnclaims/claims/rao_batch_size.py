"""Test accuracy with batch statistics against running statistics across test batch sizes (Rao &
Sohl-Dickstein, Fig. 5, Table 3 "Batch-Train", §8; blog 002 shortcomings; catalog C36, E8).

The measurement lives in :mod:`bnclaims.gpu_checks.experiments.rao_batch_size`; the criterion is written here, before
any run. Empirical claim: no expected verdict; its false twin (LayerNorm and PreLayerNorm degrade at small
test batches too) is judged on the same cells.
"""
from __future__ import annotations

from typing import Any, Mapping

from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.scale import plots
from bnclaims.scale.criteria import Band, Criterion, DesignCondition, Measure, record_value
from bnclaims.scale.experiment import ScaleExperiment, by_preset, scale_check
from bnclaims.verdicts import Level

Records = Mapping[str, Mapping[str, Any]]
ARMS = {"BN": "batch", "LN": "layer", "PreLN": "prelayer"}
SMALL, MARGIN, CLOSE = 4, 0.05, 0.02


def _designs() -> dict:
    def arms(arch: str, data: str, depth: int, width: int, steps: int, batch: int, tests: list, lr: float) -> dict:
        return {name: {"arch": arch, "norm": norm, "data": data, "depth": depth, "width": width, "steps": steps,
                       "batch": batch, "test_batches": tests, "shuffles": 2, "lr": lr}
                for name, norm in ARMS.items()}
    tests = [1, 2, 4, 8, 24, 72, 360]
    return by_preset(arms, quick=(("mlp", "digits", 2, 64, 60, 64, tests, 0.1), 4, 60),
                     default=(("mlp", "digits", 2, 64, 120, 64, tests, 0.1), 5, 120),
                     gpu=(("wrn", "cifar_shaped", 26, 2, 300, 128, tests, 0.05), 4, 240))


def _gap(arm: str, b: int):
    def value(records: Records) -> float:
        r = records[arm]
        return float(r["gap"][r["test_batches"].index(b)])
    value.__name__ = f"gap_{arm}_{b}"
    return value


def _largest(arm: str):
    def value(records: Records) -> float:
        r = records[arm]
        return float(r["gap"][r["test_batches"].index(max(r["test_batches"]))])
    value.__name__ = f"gap_{arm}_largest"
    return value


_field = record_value  # the per-seed number records[arm][key] (bnclaims.scale.criteria)


def _untouched(records: Records) -> float:
    return float(all(r["buffers_unchanged"] for r in records.values()))


def _plot(data: dict, path) -> None:
    first = data["per_seed"][0]["BN"]
    xs = first["test_batches"]
    curves = [(f"{a}, batch statistics of the test batch", (lambda rec, a=a: rec[a]["acc_batch"])) for a in ARMS]
    plots.curves_with_intervals_plot(
        data, path, xs=xs, curves=curves, hlines=[("BN, running statistics", lambda rec: rec["BN"]["acc_running"])],
        title="Rao & Sohl-Dickstein Fig. 5: test accuracy against test batch size (digits)",
        xlabel="test batch size B (shuffled test batches)", ylabel="test accuracy")


_TESTS_OK = DesignCondition("the test batch sizes include B = 4 and a largest batch of at least 64",
                            lambda cfg: SMALL in cfg["test_batches"] and max(cfg["test_batches"]) >= 64)

EXPERIMENT = ScaleExperiment(
    name="trained nets evaluated with running statistics and with test-batch statistics, by test batch size",
    function="bnclaims.gpu_checks.experiments.rao_batch_size:test_batch_accuracy", designs=_designs(), plot=_plot,
    description=("one training run per normalizer and seed (shared initialization and data order; SGD momentum "
                 "0.9); 360 test images, accuracy with running statistics (eval) and with the statistics of "
                 "shuffled test batches of B (two random partitions, incomplete batch dropped); B = 1 makes BN "
                 "output beta, B = 2 makes every BN unit +-d/sqrt(d^2+eps) (+-1 at eps = 0)"))


def _criterion(twin: bool) -> Criterion:
    pre = (Measure("accuracy(BN, running statistics)", "the BN net has learned the task", Band(0.9),
                   _field("BN", "acc_running")),
           Measure("running statistics untouched", "1 when every net's running statistics are bit-identical "
                   "before and after the test evaluations", Band(1.0, 1.0), _untouched))
    reported = (tuple(Measure(f"gap(BN, B={b})", f"accuracy(running) - accuracy(batch statistics, B={b}), BN",
                              Band(), _gap("BN", b)) for b in (1, 2, 8, 24))
                + (Measure("BN logit spread at B=1", "largest |logit - logit of the first image| at B = 1 (BN "
                           "outputs beta: 0)", Band(), _field("BN", "batch1_logit_spread")),
                   Measure("gap(PreLN, B=360)", "PreLN at the largest test batch", Band(), _largest("PreLN"))))
    if twin:
        tests = tuple(Measure(f"gap({a}, B={SMALL})", f"accuracy(eval) - accuracy(batch of {SMALL}), {a}, paired "
                              "within a seed", Band(MARGIN), _gap(a, SMALL)) for a in ("LN", "PreLN"))
        reading = f"LayerNorm and PreLayerNorm also lose at least {MARGIN:g} accuracy at test batch {SMALL}"
    else:
        tests = (Measure(f"gap(BN, B={SMALL})", f"accuracy(running) - accuracy(batch statistics, B={SMALL}), BN, "
                         "paired within a seed", Band(MARGIN), _gap("BN", SMALL)),
                 Measure("gap(BN, largest B)", "accuracy(running) - accuracy(batch statistics, B = all 360 test "
                         "images), BN: the gap closes", Band(-CLOSE, CLOSE), _largest("BN")))
        reading = (f"BN with test-batch statistics loses at least {MARGIN:g} accuracy at B = {SMALL} and is within "
                   f"{CLOSE:g} of running statistics at the largest test batch")
    return Criterion(quantity="test accuracy with running statistics minus test accuracy with the statistics of "
                     "shuffled test batches of B", reading=reading, tests=tests, design_preconditions=(_TESTS_OK,),
                     data_preconditions=pre, reported=reported)


def _witness() -> Witness:
    design = EXPERIMENT.design("default")
    cfg = design.arms["BN"]
    return Witness(data={k: v for k, v in cfg.items() if not isinstance(v, list)},
                   check=lambda: all(_TESTS_OK.check(c) for c in design.arms.values()) and design.seeds >= 2)


register(Claim(
    id="rao.batch_size_dependence", catalog="C36",
    title="BN with batch statistics at test time degrades at small test batches",
    statement=(f"A BN net evaluated with the statistics of its test batch instead of running statistics "
               f"('Batch-Train') loses accuracy at small test batches: at least {MARGIN:g} at B = {SMALL} (shuffled "
               f"test batches), while at the largest test batch it is within {CLOSE:g} of running statistics. "
               "B = 1 is degenerate (every BN unit outputs beta, every input gets the same logits) and at B = 2 "
               "every unit is +-1 up to eps. LayerNorm and PreLayerNorm do not depend on the test batch."),
    latex=(r"\mathrm{acc}_{\mathrm{run}}-\mathrm{acc}_{\mathrm{batch}}(B=4)\ge0.05,\quad"
           r"|\mathrm{acc}_{\mathrm{run}}-\mathrm{acc}_{\mathrm{batch}}(B=360)|\le0.02"),
    source=Source("rao2020batchnorm", "Fig. 5, Table 3 (Batch-Train), Sec. 8",
                  "also blog 002, shortcomings (ii) and (v)"),
    hypotheses=("BN net trained with batch statistics and running averages (momentum 0.1)",
                "test batches are random (shuffled) subsets of the test set",
                "batch statistics at test time are used without writing the running statistics"),
    witness=_witness(),
    checks={Level.SCALE: scale_check(EXPERIMENT, _criterion(False), claim_id="rao.batch_size_dependence")},
    expected=None,
    notes=("Empirical: the verdict comes from the pre-registered criterion, with no expected verdict written in "
           "advance. Rao Table 3 (CIFAR-10 WRN-26-10): BN 95.95, Batch-Train 95.51, LN 95.65, PreLayerNorm 95.73; "
           "LN and PreLN compute per-sample statistics and are reported beside BN in the plot."),
    twin=Twin(change="LayerNorm and PreLayerNorm degrade at small test batches too",
              statement=(f"LayerNorm and PreLayerNorm nets also lose at least {MARGIN:g} test accuracy when "
                         f"evaluated in test batches of {SMALL}"),
              latex=r"\mathrm{acc}^{\mathrm{LN}}_{\mathrm{eval}}-\mathrm{acc}^{\mathrm{LN}}_{\mathrm{batch}}(B=4)\ge0.05",
              checks={Level.SCALE: scale_check(EXPERIMENT, _criterion(True), claim_id="rao.batch_size_dependence.twin")}),
))
