"""Santurkar et al. 2018, §2.1 and Fig. 2: "noisy" BatchNorm, i.e. BN followed by injected distributional
instability, against BN and the standard (unnormalized) network (catalog E1).

@inproceedings{santurkar2018how, title={How Does Batch Normalization Help Optimization?}, author={Santurkar,
  Shibani and Tsipras, Dimitris and Ilyas, Andrew and Madry, Aleksander}, booktitle={NeurIPS}, year={2018}}

**The noise** (our operationalization of §2.1: "time-varying, non-zero mean and non-unit variance noise",
i.i.d. per activation and per sample, after each BN layer; the paper's App. A details are not reproduced
here). After the normalizer of hidden layer l (before the ReLU), during the training forward passes only,
activation j of sample n becomes

    y_{n,j} = sigma_{t,j} x_{n,j} + mu_{t,j} + nu z_{n,j},   z_{n,j} ~ N(0, 1) i.i.d. (fresh every step):

a drifting per-unit shift mu_{t,j} (non-zero mean) and scale sigma_{t,j} (non-unit variance) plus i.i.d.
per-sample noise of standard deviation nu = ``noise_std``. The distribution drifts: mu_{0,j} ~ U(-m, m),
log sigma_{0,j} ~ U(-log s, log s), and after every update a clipped random walk

    mu_{t+1,j} = clip(mu_{t,j} + d xi, -m, m),   log sigma_{t+1,j} = clip(log sigma_{t,j} + d xi', -log s, log s)

with xi, xi' ~ N(0, 1), m = ``noise_mean``, s = ``noise_scale``, d = ``noise_drift`` (per step). Over
T steps a unit's shift wanders by about d sqrt(T) (0.1 sqrt(300) = 1.7 > m: it spans its whole range). All noise draws
come from a private generator seeded with ``seed + NOISE_SEED_OFFSET`` (never the data-order or
initialization stream), so the three arms of one seed share initialization and data order. Evaluation
(test accuracy, eval mode with running statistics) adds no noise.

**Distributional drift** (their Fig. 2, right): every ``record_every`` steps, during the training forward
pass itself, the 15th/50th/85th percentiles over the batch of the activations the next layer sees (after
the normalizer and the noise, before the ReLU) of the first ``tracked_units`` units of every hidden
layer. drift(layer) = mean over (unit, percentile) of the standard deviation of that percentile over the
recorded steps.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments import training as T
from bnclaims.gpu_checks.nets.normalizers import Normalizer

__all__ = ["SPEC", "ARMS", "NOISE_SEED_OFFSET", "DriftingNoise", "noisy_training"]

ARMS = ("standard", "batch", "noisy_batch")
NOISE_SEED_OFFSET = 7_919_000
PERCENTILES = (0.15, 0.5, 0.85)
SPEC: dict[str, tuple[Any, P.Check]] = {
    "arm": (P.REQUIRED, P.one_of(*ARMS)),
    "arch": ("mlp", P.one_of("mlp", "wrn")),
    "data": ("digits", P.one_of(*T.DATASETS)),
    "depth": (8, P.integer(1, 1000)),
    "width": (64, P.integer(1, 1 << 14)),
    "skip": (False, P.boolean),
    "steps": (300, P.integer(1, 1_000_000)),
    "lr": (0.1, P.real(0.0, strict=True)),
    "batch": (64, P.integer(2, 1437)),
    "noise_mean": (1.0, P.real(0.0)),
    "noise_scale": (2.0, P.real(1.0)),
    "noise_std": (0.5, P.real(0.0)),
    "noise_drift": (0.1, P.real(0.0)),
    "record_every": (25, P.integer(1, 1_000_000)),
    "tracked_units": (8, P.integer(1, 1 << 14)),
    "tail": (0.2, P.real(0.0, strict=True)),
}


class DriftingNoise:
    """The noise after each normalizer (module docstring): forward hooks on ``norms`` plus the schedule.

    ``enabled=False`` records the percentiles without adding anything (the standard and BN arms).
    Hooks act only while their module is in training mode.
    """

    def __init__(self, norms: list[Normalizer], *, mean: float, scale: float, std: float, drift: float,
                 seed: int, enabled: bool, record_steps: set[int], tracked: int) -> None:
        self.gen = torch.Generator().manual_seed(seed + NOISE_SEED_OFFSET)
        self.mean, self.log_scale, self.std, self.drift, self.enabled = mean, math.log(scale), std, drift, enabled
        self.record_steps, self.tracked, self.t = record_steps, tracked, 0
        self.mu = [(2 * torch.rand(n.channels, generator=self.gen) - 1) * mean for n in norms]
        self.log_sigma = [(2 * torch.rand(n.channels, generator=self.gen) - 1) * self.log_scale for n in norms]
        self.percentiles: list[list[list[float]]] = [[] for _ in norms]  # [layer][record] -> flat (q, unit)
        self.handles = [n.register_forward_hook(self._hook(i)) for i, n in enumerate(norms)]

    def _hook(self, i: int):
        def hook(module: nn.Module, inputs: Any, out: Tensor) -> Tensor | None:
            if not module.training:
                return None
            y = out
            if self.enabled:
                shape = (1, -1) + (1,) * (out.dim() - 2)
                z = torch.randn(out.shape, generator=self.gen).to(device=out.device, dtype=out.dtype)
                mu = self.mu[i].to(device=out.device, dtype=out.dtype).view(shape)
                sigma = self.log_sigma[i].exp().to(device=out.device, dtype=out.dtype).view(shape)
                y = sigma * out + mu + self.std * z
            if self.t in self.record_steps:
                units = y.detach().transpose(0, 1).reshape(y.shape[1], -1)[: self.tracked]  # (unit, samples)
                q = torch.quantile(units.double(), torch.tensor(PERCENTILES, dtype=torch.float64,
                                                                device=units.device), dim=1)
                self.percentiles[i].append(q.flatten().cpu().tolist())
            return y if self.enabled else None
        return hook

    def advance(self, t: int, model: nn.Module) -> None:
        """After update t: the clipped random walk of every unit's noise mean and scale."""
        self.t = t + 1
        if not self.enabled or self.drift == 0:
            return
        for i in range(len(self.mu)):
            n = self.mu[i].numel()
            self.mu[i] = (self.mu[i] + self.drift * torch.randn(n, generator=self.gen)).clamp(-self.mean, self.mean)
            self.log_sigma[i] = (self.log_sigma[i] + self.drift * torch.randn(n, generator=self.gen)).clamp(
                -self.log_scale, self.log_scale)

    def drift_per_layer(self) -> list[float]:
        """mean over (percentile, unit) of the std over recorded steps, per layer."""
        out = []
        for rows in self.percentiles:
            if len(rows) < 2:
                raise ValueError("the drift needs at least two recorded steps: lower record_every")
            out.append(float(torch.tensor(rows, dtype=torch.float64).std(dim=0).mean()))
        return out

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def _normalizers(model: nn.Module) -> list[Normalizer]:
    return [m for m in model.modules() if isinstance(m, Normalizer)]


def _minibatch_accuracy_hook(model: nn.Module, store: list[float]):
    """Accuracy of the training forward pass's own predictions (noise included), one entry per step."""
    last = list(model.children())[-1]

    def hook(module: nn.Module, inputs: Any, out: Tensor) -> None:
        if module.training:
            store.append(out.detach())
    handle = last.register_forward_hook(hook)
    return handle


def noisy_training(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train one arm of Santurkar et al.'s Fig. 2 and record accuracy curves and activation drift.

    Arms: ``standard`` (normalizer "none"), ``batch`` (BN) and ``noisy_batch`` (BN followed by the drifting
    noise of the module docstring). The model is :func:`bnclaims.gpu_checks.experiments.training.make_model` with
    ``arch``/``depth``/``width`` (torch-default init; every arm of a seed shares weights and data order),
    trained by plain SGD at ``lr`` for ``steps`` steps of ``batch`` examples.

    config: arm (required), arch ("mlp"), data ("digits"), depth (8), width (64), skip (False, wrn only),
    steps (300), lr (0.1), batch (64), noise_mean (1.0), noise_scale (2.0), noise_std (0.5), noise_drift (0.1),
    record_every (25), tracked_units (8), tail (0.2), device, dtype.

    Returns ``train_acc`` (mean accuracy of the training minibatch predictions, as trained, over the last
    ``tail`` fraction of steps), ``test_acc`` (eval mode, running statistics, no noise), ``final_loss``
    (mean training loss over the same tail), the curves ``steps_recorded``, ``test_acc_curve``,
    ``train_acc_curve`` (minibatch accuracy averaged over each record interval), ``loss_curve``, the drift
    ``drift_per_layer`` and its mean ``drift``, ``percentiles`` of layer ``depth // 2`` (for the plot) and
    ``data`` (what the data is).
    """
    cfg = P.parse_config(config, SPEC, "santurkar2018.noisy_training")
    norm = "none" if cfg["arm"] == "standard" else "batch"
    split = T.load_split(cfg["data"], dtype=cfg["dtype"], device=cfg["device"])
    model = T.make_model(arch=cfg["arch"], norm=norm, depth=cfg["depth"], width=cfg["width"], seed=seed,
                         data=cfg["data"], skip=cfg["skip"], dtype=cfg["dtype"], device=cfg["device"])
    steps, every = cfg["steps"], cfg["record_every"]
    record = set(range(0, steps, every))
    noise = DriftingNoise(_normalizers(model), mean=cfg["noise_mean"], scale=cfg["noise_scale"],
                          std=cfg["noise_std"], drift=cfg["noise_drift"], seed=seed, enabled=cfg["arm"] == "noisy_batch",
                          record_steps=record, tracked=cfg["tracked_units"])
    logits: list[Tensor] = []
    handle = _minibatch_accuracy_hook(model, logits)
    order = T.batch_order(split.x_train.shape[0], cfg["batch"], steps + 1, seed, split.x_train.device)
    test_curve: list[float] = []

    def on_step(t: int, m: nn.Module, xb: Tensor, yb: Tensor) -> float:
        m.eval()
        acc = T.accuracy(m, split.x_test, split.y_test)
        m.train()
        test_curve.append(acc)
        return acc

    log = T.train(model, split, steps=steps, lr=cfg["lr"], batch=cfg["batch"], seed=seed, on_step=on_step,
                  hook_steps=tuple(sorted(record | {steps})), after_step=noise.advance)
    handle.remove()
    noise.remove()
    labels = [split.y_train[order[t]] for t in range(steps)]
    correct = [float((lg.argmax(dim=1) == y).double().mean()) for lg, y in zip(logits, labels)]
    n_tail = max(1, math.ceil(cfg["tail"] * steps))
    model.eval()
    test_acc = T.accuracy(model, split.x_test, split.y_test)
    starts = sorted(record)
    train_curve = [sum(correct[a:a + every]) / len(correct[a:a + every]) for a in starts]
    loss_curve = [sum(log.losses[a:a + every]) / len(log.losses[a:a + every]) for a in starts]
    drifts = noise.drift_per_layer()
    return {
        "arm": cfg["arm"], "train_acc": sum(correct[-n_tail:]) / n_tail, "test_acc": test_acc,
        "final_loss": P.finite("final_loss", sum(log.losses[-n_tail:]) / n_tail),
        "steps_recorded": starts, "test_acc_curve": test_curve[:-1], "train_acc_curve": train_curve,
        "loss_curve": P.finite("loss_curve", loss_curve),
        "drift_per_layer": P.finite("drift_per_layer", drifts), "drift": P.finite("drift", sum(drifts) / len(drifts)),
        "percentiles": noise.percentiles[len(drifts) // 2], "percentile_levels": list(PERCENTILES),
        "data": T.data_description(cfg["data"]),
    }
