"""Rao & Sohl-Dickstein (seed 003), Fig. 5, Table 3 and §8 ("Batch-Train"; catalog C36, E8): test accuracy of a
trained net with running (population) statistics against batch statistics of the test batch, across test
batch sizes.

@misc{rao2020batchnorm, title={Is Batch Norm unique? An empirical investigation and prescription to
  emulate the best properties of common normalizers without batch dependence}, author={Rao, Vinay and
  Sohl-Dickstein, Jascha}, year={2020}}

Protocol (:func:`test_batch_accuracy`): the model is trained by :func:`bnclaims.gpu_checks.experiments.training.train`
(same initialization and data order for every normalizer of a seed), then evaluated on the 360 test images

* with running statistics: ``bn_mode("eval")`` (per-sample, independent of any batching), and
* with batch statistics: ``bn_mode("train")`` under ``torch.no_grad`` (statistics of the test batch at hand,
  running statistics never written), on ``shuffles`` random partitions of the test set into batches of B
  (a permutation from a generator seeded with the seed; the last incomplete batch is dropped). Shuffling
  matters: class-sorted batches would bias the batch statistics.

Two batch sizes are degenerate and recorded as such: at B = 1 every BN unit sees one value, y - mu = 0, and
BN outputs its shift beta whatever the input, so every test image gets the same logits; at B = 2 the
normalized values of a unit are +-d/sqrt(d^2 + eps) with d half the difference of its two inputs, i.e.
exactly +-1 at eps = 0 and within eps/(2 d^2) of +-1 for eps > 0.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from bnclaims.gpu_checks.curvature.functional_loss import buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments.training import DATASETS, data_description, load_split, make_model, train
from bnclaims.gpu_checks.nets.normalizers import BATCH_KINDS, KINDS, Normalizer, bn_mode

__all__ = ["SPEC", "test_batch_accuracy", "batch_statistics_accuracy"]

SHUFFLE_OFFSET = 7919  # the test-batch permutations use seed + this (never the training order's generator)

SPEC: dict[str, tuple[Any, P.Check]] = {
    "arch": ("mlp", P.one_of("mlp", "resmlp", "wrn")),
    "norm": ("batch", P.one_of(*KINDS)),
    "data": ("digits", P.one_of(*DATASETS)),
    "depth": (2, P.integer(1, 1000)),
    "width": (64, P.integer(1, 1 << 14)),
    "skip": (True, P.boolean),
    "steps": (300, P.integer(0, 10 ** 7)),
    "lr": (0.1, P.real(0.0, strict=True)),
    "momentum": (0.9, P.real(0.0)),
    "batch": (64, P.integer(2, 1437)),
    "test_batches": ([1, 2, 4, 8, 24, 72, 360], P.int_list(1, 360, min_len=2)),
    "shuffles": (2, P.integer(1, 1000)),
}


def _partition(n: int, b: int, gen: torch.Generator) -> list[Tensor]:
    perm = torch.randperm(n, generator=gen)
    return [perm[i * b:(i + 1) * b] for i in range(n // b)]


@torch.no_grad()
def batch_statistics_accuracy(model: torch.nn.Module, x: Tensor, y: Tensor, b: int, shuffles: int,
                              gen: torch.Generator) -> tuple[float, Tensor]:
    """Mean accuracy over ``shuffles`` random partitions into test batches of ``b`` (batch statistics);
    also the logits of the first partition, in its order."""
    correct, total, first = 0, 0, None
    with bn_mode("train"):
        for k in range(shuffles):
            parts = _partition(x.shape[0], b, gen)
            logits = torch.cat([model(x[idx]) for idx in parts])
            labels = y[torch.cat(parts)]
            correct += int((logits.argmax(dim=1) == labels).sum())
            total += labels.numel()
            if k == 0:
                first = logits
    return correct / total, first


@torch.no_grad()
def _pair_deviation(model: torch.nn.Module, x: Tensor, gen: torch.Generator) -> dict[str, float]:
    """At test batch 2, for every BN unit: the normalized values yhat = (z - beta)/gamma of a pair.

    With d half the difference of the two inputs, yhat = +-d/sqrt(d^2 + eps) exactly. Returns the largest
    deviation from that prediction of | |yhat_1| - pred | and of |yhat_1 + yhat_2| (opposite values), each
    divided by kappa = 1 + max|y|/sqrt(d^2 + eps) (the condition of y - mu at the network's precision:
    the deviations are rounding when these are a small multiple of its unit roundoff), and the largest
    | |yhat| - 1 | (0 at eps = 0; up to 1 for a unit whose two inputs nearly coincide).
    """
    out = {"pair_exact_dev": 0.0, "pair_sum_dev": 0.0, "pair_unit_dev": 0.0}

    def hook(mod: Normalizer, inp, z: Tensor) -> None:
        if mod.kind != "batch":
            return
        y0 = inp[0].double()
        shape = mod._shape(y0)
        yh = (z.double() - mod.bias.double().view(shape)) / mod.weight.double().view(shape)
        d = (y0[0] - y0[1]).abs() / 2
        root = torch.sqrt(d * d + mod.eps)
        kappa = 1 + torch.maximum(y0[0].abs(), y0[1].abs()) / root
        dev = (yh[0].abs() - d / root).abs() / kappa
        out["pair_exact_dev"] = max(out["pair_exact_dev"], float(dev.max()))
        out["pair_sum_dev"] = max(out["pair_sum_dev"], float(((yh[0] + yh[1]).abs() / kappa).max()))
        out["pair_unit_dev"] = max(out["pair_unit_dev"], float((yh.abs() - 1).abs().max()))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, Normalizer)]
    try:
        with bn_mode("train"):
            for idx in _partition(x.shape[0], 2, gen)[:32]:
                model(x[idx])
    finally:
        for h in handles:
            h.remove()
    return out


def test_batch_accuracy(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Test accuracy with running statistics and with test-batch statistics per test batch size (Rao Fig. 5).

    config: arch ("mlp"), norm ("batch"), data ("digits"), depth (2), width (64), skip (true), steps (300),
    lr (0.1), momentum (0.9), batch (64: training batch), test_batches ([1, 2, 4, 8, 24, 72, 360]),
    shuffles (2), device, dtype.

    Returns ``norm``, ``test_batches``, ``acc_running`` (eval mode; for normalizers without batch
    statistics the plain forward pass), ``acc_batch`` (one entry per test batch size, batch statistics),
    ``gap`` (acc_running - acc_batch), ``batch1_logit_spread`` (largest |logit - logit of the first image|
    at B = 1: exactly 0 for BN), ``batch1_majority`` (the accuracy of always predicting the class predicted
    at B = 1), the B = 2 deviations of :func:`_pair_deviation` on 32 test pairs (BN only; else 0), ``final_loss``,
    ``buffers_unchanged`` (running statistics bit-identical before and after the evaluation) and ``data``.
    """
    cfg = P.parse_config(config, SPEC, "rao_batch_size.test_batch_accuracy")
    if cfg["arch"] == "wrn" and cfg["data"] == "digits":
        raise ValueError("config['arch'] = 'wrn' needs image data: data 'digits_image' or 'cifar_shaped'")
    split = load_split(cfg["data"], dtype=cfg["dtype"], device=cfg["device"])
    n_test = split.x_test.shape[0]
    too_big = [b for b in cfg["test_batches"] if b > n_test]
    if too_big:
        raise ValueError(f"config['test_batches'] {too_big} exceed the {n_test} test images")
    model = make_model(arch=cfg["arch"], norm=cfg["norm"], depth=cfg["depth"], width=cfg["width"], seed=seed,
                       data=cfg["data"], skip=cfg["skip"], dtype=cfg["dtype"], device=cfg["device"])
    log = train(model, split, steps=cfg["steps"], lr=cfg["lr"], batch=cfg["batch"], seed=seed,
                momentum=cfg["momentum"])
    snap = buffer_snapshot(model)
    model.eval()
    x, y = split.x_test, split.y_test
    with torch.no_grad(), bn_mode("eval"):
        acc_running = float((model(x).argmax(dim=1) == y).double().mean())
    gen = torch.Generator().manual_seed(seed + SHUFFLE_OFFSET)
    acc_batch, spread, majority = [], 0.0, math.nan
    for b in cfg["test_batches"]:
        # at B = 1 every partition gives the same (constant) predictions: one pass suffices
        acc, logits = batch_statistics_accuracy(model, x, y, b, 1 if b == 1 else cfg["shuffles"], gen)
        acc_batch.append(acc)
        if b == 1:
            spread = float((logits - logits[0]).abs().max())
            majority = float((y == logits[0].argmax()).double().mean())
    pair = (_pair_deviation(model, x, gen) if cfg["norm"] in BATCH_KINDS
            else {"pair_exact_dev": 0.0, "pair_sum_dev": 0.0, "pair_unit_dev": 0.0})
    return {"norm": cfg["norm"], "test_batches": cfg["test_batches"],
            "acc_running": acc_running, "acc_batch": acc_batch,
            "gap": [acc_running - a for a in acc_batch],
            "batch1_logit_spread": P.finite("batch1_logit_spread", spread),
            "batch1_majority": majority if 1 in cfg["test_batches"] else None,
            **{k: P.finite(k, v) for k, v in pair.items()},
            "final_loss": P.finite("final_loss", log.losses[-1]) if log.losses else None,
            "buffers_unchanged": buffers_identical(model, snap), "data": data_description(cfg["data"])}
