"""The loss with exact population statistics under the current weights, held constant (Ghorbani et al.
2019, §4; cited by Rao & Sohl-Dickstein §2 and §9 as "population mean and variance while training").

@inproceedings{ghorbani2019investigation, title={An Investigation into Neural Net Optimization via
  Hessian Eigenvalue Density}, author={Ghorbani, Behrooz and Krishnan, Shankar and Xiao, Ying}, year={2019}}

Definition. For weights theta, every batch-statistics layer l (kinds ``batch``, ``bmlv``, ``lmbv``) gets
the mean mu_l(theta) and the *biased* variance var_l(theta) of its input over the whole training set (per
channel; over N * H * W for images), computed layer by layer in forward order, so that layer l's input
is the output of layers 1..l-1 already normalized with their own population statistics. This is one
forward pass of the full training set as a single batch in train mode (the batch statistics of that
batch are the population statistics). The population-statistics loss at theta' is then

    L_pop(theta') = CE(f(X_B; theta', {mu_l(theta), var_l(theta)}), y_B),

with the statistics frozen at the current theta: its Hessian has no term through mu_l, var_l. It is
neither the momentum running average (stale, initialized at 0 and 1) nor ``bn_mode("frozen")`` (the
statistics of the batch X_B itself, detached). Implemented on a copy of the model whose running
buffers hold (mu_l, var_l), evaluated with ``bn_mode("eval")`` through :class:`FunctionalLoss`: the
original model and its running statistics are never touched.
"""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss
from bnclaims.gpu_checks.nets.normalizers import BATCH_KINDS, Normalizer, bn_mode

__all__ = ["population_statistics", "with_population_statistics", "population_loss"]


def _batch_layers(model: nn.Module) -> dict[str, Normalizer]:
    return {name: m for name, m in model.named_modules() if isinstance(m, Normalizer) and m.kind in BATCH_KINDS}


@torch.no_grad()
def population_statistics(model: nn.Module, x_train: Tensor) -> dict[str, tuple[Tensor, Tensor]]:
    """``{layer name: (mean, biased variance)}`` of every batch-statistics layer's input over ``x_train``.

    One forward pass of the whole of ``x_train`` as a batch under ``bn_mode("train")`` (no buffer writes):
    each layer normalizes with the full-data statistics of its input, which are captured by a hook.
    Computed in the model's dtype.
    """
    layers = _batch_layers(model)
    stats: dict[str, tuple[Tensor, Tensor]] = {}

    def capture(name: str):
        def hook(module: Normalizer, args: tuple[Tensor, ...]) -> None:
            z = args[0]
            axes = (0,) + tuple(range(2, z.dim()))
            mu = z.mean(dim=axes)
            d = z - mu.view((1, -1) + (1,) * (z.dim() - 2))
            stats[name] = (mu.clone(), (d * d).mean(dim=axes))
        return hook

    handles = [m.register_forward_pre_hook(capture(name)) for name, m in layers.items()]
    try:
        with bn_mode("train"):
            model(x_train)
    finally:
        for h in handles:
            h.remove()
    return stats


def with_population_statistics(model: nn.Module, x_train: Tensor, dtype: torch.dtype = torch.float64) -> nn.Module:
    """A copy of ``model`` in ``dtype`` whose running buffers hold the population statistics of ``x_train``.

    Evaluated under ``bn_mode("eval")`` it computes the population-statistics network of the module
    docstring. ``model`` itself is not modified.
    """
    twin = copy.deepcopy(model).to(dtype)
    stats = population_statistics(twin, x_train.to(dtype))
    for name, m in _batch_layers(twin).items():
        mu, var = stats[name]
        m.running_mean.copy_(mu)
        m.running_var.copy_(var)
    return twin


def population_loss(model: nn.Module, x_train: Tensor, x: Tensor, y: Tensor, *, dtype: torch.dtype = torch.float64,
                    reg_weight: float = 0.0) -> FunctionalLoss:
    """L_pop on the batch (x, y): the population statistics of ``x_train`` under the current weights, held
    constant (computed in ``dtype``)."""
    return FunctionalLoss(with_population_statistics(model, x_train, dtype), x, y, bn_mode="eval", dtype=dtype,
                          reg_weight=reg_weight)
