"""Deterministic training shared by the training-time network experiments (Santurkar et al. 2018 §2-3,
Rao & Sohl-Dickstein §6-8, Ghorbani et al. 2019).

* **data** (:func:`load_split`): scikit-learn's digits (shipped with scikit-learn, no download), split
  once by a fixed permutation into 1,437 training and 360 test images, standardized with the training
  statistics. ``"digits"`` gives flat 64-vectors, ``"digits_image"`` 1x8x8 images and ``"cifar_shaped"``
  3x32x32 images made from the same digits (bilinear upsampling, the gray value copied to three
  channels): CIFAR-10's shape without a download, recorded as such by :func:`data_description`.
* **initialization** (:func:`make_model`): :func:`bnclaims.gpu_checks.nets.models.build_model` seeded with the
  seed, so every arm of a comparison (one normalizer each) gets the same weight matrices: the
  normalizers' gains (1) and shifts (0) draw nothing from the generator.
* **data order** (:func:`batch_order`): a permutation per epoch from a private generator seeded with the
  seed, shared by every arm; the last incomplete batch of an epoch is dropped.
* **the loop** (:func:`train`): plain SGD (optional momentum and weight decay) on cross-entropy (plus
  the RegNorm terms of seed 003 eq. (3) when ``reg_weight`` > 0), modules in train mode, so batch
  normalizers use batch statistics and update their running statistics with momentum 0.1. On the CPU
  with one thread the run is bitwise reproducible given the seed (tested); on a GPU it is reproducible
  within the tolerance ``experiments.training.gpu_loss_rel`` (cuDNN kernels are not bitwise stable).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bnclaims.gpu_checks.nets.models import build_model
from bnclaims.gpu_checks.nets.normalizers import collect_regularizers

__all__ = ["DATASETS", "Split", "load_split", "data_description", "make_model", "batch_order", "TrainLog",
           "train", "accuracy"]

DATASETS = ("digits", "digits_image", "cifar_shaped")
N_TRAIN = 1437  # of 1,797 digits; the remaining 360 are the test set
SPLIT_SEED = 20180529  # the fixed permutation of the split (never the experiment's seed)


@dataclass(frozen=True)
class Split:
    """Training and test tensors of one data set, on one device and dtype."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    name: str


@lru_cache(maxsize=4)
def _digits_numpy() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(d.target))
    x, y = d.data.astype(np.float64)[perm], d.target.astype(np.int64)[perm]
    mean, std = x[:N_TRAIN].mean(0), x[:N_TRAIN].std(0)
    # A pixel constant (0) over the training images is left unscaled: dividing by a tiny std turned the one
    # test image with ink there into a 1e8 outlier that wrecks every test batch it joins (Rao Fig. 5 protocol).
    std = np.where(std > 0, std + 1e-8, 1.0)
    x = (x - mean) / std
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


def _shape(x: np.ndarray, name: str, dtype: torch.dtype, device: str | torch.device) -> Tensor:
    t = torch.as_tensor(x, dtype=torch.float64)
    if name == "digits_image":
        t = t.view(-1, 1, 8, 8)
    elif name == "cifar_shaped":
        t = F.interpolate(t.view(-1, 1, 8, 8), size=(32, 32), mode="bilinear", align_corners=False)
        t = t.expand(-1, 3, -1, -1).contiguous()
    return t.to(device=device, dtype=dtype)


def load_split(name: str = "digits", *, dtype: torch.dtype = torch.float32,
               device: str | torch.device = "cpu") -> Split:
    """The fixed train/test split of ``name`` (one of :data:`DATASETS`)."""
    if name not in DATASETS:
        raise ValueError(f"data set must be one of {DATASETS}, got {name!r}")
    xtr, ytr, xte, yte = _digits_numpy()
    return Split(_shape(xtr, name, dtype, device), torch.as_tensor(ytr, device=device),
                 _shape(xte, name, dtype, device), torch.as_tensor(yte, device=device), name)


def data_description(name: str) -> str:
    """What the data is, for the evidence of every record."""
    base = (f"scikit-learn digits (shipped with scikit-learn, no download): {N_TRAIN} training / "
            f"{1797 - N_TRAIN} test images, fixed split, standardized with training statistics")
    if name == "cifar_shaped":
        return base + "; upsampled bilinearly to 32x32 and copied to 3 channels (CIFAR-10-shaped, not CIFAR-10)"
    return base + ("; as 1x8x8 images" if name == "digits_image" else "; as flat 64-vectors")


def make_model(*, arch: str, norm: str, depth: int, width: int, seed: int, data: str = "digits",
               skip: bool = True, dtype: torch.dtype = torch.float32,
               device: str | torch.device = "cpu") -> nn.Module:
    """The model of one arm; arms with the same ``seed`` share their weight matrices (see module doc)."""
    in_channels = 3 if data == "cifar_shaped" else 1
    model = build_model(arch, norm=norm, depth=depth, width=width, d_in=64, d_out=10, skip=skip, seed=seed,
                        in_channels=in_channels)
    return model.to(device=device, dtype=dtype)


def batch_order(n: int, batch: int, steps: int, seed: int, device: str | torch.device = "cpu") -> list[Tensor]:
    """Index tensors of the ``steps`` minibatches: a fresh permutation of range(n) each epoch."""
    if not 1 <= batch <= n:
        raise ValueError(f"batch must be in [1, {n}], got {batch}")
    g = torch.Generator().manual_seed(seed)
    per_epoch = n // batch
    out: list[Tensor] = []
    while len(out) < steps:
        perm = torch.randperm(n, generator=g)
        out += [perm[i * batch:(i + 1) * batch].to(device) for i in range(min(per_epoch, steps - len(out)))]
    return out


def loss_of(model: nn.Module, x: Tensor, y: Tensor, reg_weight: float = 0.0) -> Tensor:
    """Cross-entropy of ``model`` on (x, y), plus ``reg_weight`` times the RegNorm terms it produced."""
    with collect_regularizers() as regs:
        loss = F.cross_entropy(model(x), y)
        if reg_weight and regs:
            loss = loss + reg_weight * torch.stack(regs).sum()
    return loss


@torch.no_grad()
def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Fraction of correct predictions of ``model`` in its current mode (the caller sets train/eval)."""
    return float((model(x).argmax(dim=1) == y).double().mean())


@dataclass
class TrainLog:
    """Per-step training loss (float64 values), and what the hooks recorded."""

    losses: list[float] = field(default_factory=list)
    records: dict[int, Any] = field(default_factory=dict)


def train(model: nn.Module, split: Split, *, steps: int, lr: float, batch: int, seed: int,
          momentum: float = 0.0, weight_decay: float = 0.0, reg_weight: float = 0.0,
          on_step: Callable[[int, nn.Module, Tensor, Tensor], Any] | None = None,
          hook_steps: tuple[int, ...] = (), after_step: Callable[[int, nn.Module], None] | None = None) -> TrainLog:
    """Train ``model`` in place for ``steps`` SGD steps on ``split``'s training set.

    ``on_step(t, model, xb, yb)`` runs *before* update t (t in ``hook_steps``; t = steps means after the
    last update, on the next batch in the order) and its return value is stored in ``log.records[t]``;
    it must leave the model as it found it. ``after_step(t, model)`` runs after every update (the noisy
    BN of Santurkar §2.1 advances its noise schedule there). A non-finite loss raises ``ValueError``
    naming the step.
    """
    if steps < 0 or lr <= 0 or not math.isfinite(lr):
        raise ValueError(f"steps must be >= 0 and lr a positive finite number, got steps={steps}, lr={lr}")
    order = batch_order(split.x_train.shape[0], batch, steps + 1, seed, split.x_train.device)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    log = TrainLog()
    model.train()
    for t in range(steps + 1):
        xb, yb = split.x_train[order[t]], split.y_train[order[t]]
        if t in hook_steps and on_step is not None:
            log.records[t] = on_step(t, model, xb, yb)
        if t == steps:
            break
        opt.zero_grad(set_to_none=True)
        loss = loss_of(model, xb, yb, reg_weight)
        if not torch.isfinite(loss):
            raise ValueError(f"training loss is not finite at step {t} (lr={lr}): the run diverged")
        loss.backward()
        opt.step()
        log.losses.append(float(loss.detach().double()))
        if after_step is not None:
            after_step(t, model)
    return log
