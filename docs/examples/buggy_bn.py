"""Three Batch Norms with realistic bugs, for ``bnclaims conform docs/examples/buggy_bn.py:NAME``.

Each is what a framework maintainer might write; none is one of the planted bugs of
``conformance/planted.py``. The correct behaviour is torch's (``torch.nn.functional.batch_norm``):

* ``unbiased_variance_bn`` normalizes with the *unbiased* batch variance ``1/(m-1)`` in
  training mode (Ioffe & Szegedy 2015, Alg. 1 uses ``1/m``; the ``m/(m-1)`` belongs to the
  stored running variance only). Exposed by the forward check, and by the derivative checks,
  which differentiate the same wrong function.
* ``mean_grad_dropped_bn`` computes the forward pass with ``F.batch_norm`` but its custom
  backward drops the mean-gradient term ``-mean(g)`` of ``dL/dy = gamma/s (g - mean(g) - yhat
  mean(g yhat))``. Forward and running statistics are right: only the gradient check (and the
  Hessian check, which differentiates that backward) can see it.
* ``FlippedMomentumBN1d`` is an ``nn.Module`` class built like ``torch.nn.BatchNorm1d`` whose
  running statistics use the Keras convention ``r <- p r + (1 - p) b`` in torch's slot.

    bnclaims conform docs/examples/buggy_bn.py:unbiased_variance_bn --preset quick
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _shape(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape([1, -1] + [1] * (x.dim() - 2))


def _dims(x: torch.Tensor) -> list[int]:
    return [0] + list(range(2, x.dim()))


def unbiased_variance_bn(input, running_mean, running_var, weight=None, bias=None, training=False,
                         momentum=0.1, eps=1e-5):
    """BN whose training-mode normalization divides by the unbiased standard deviation (the bug)."""
    x, dims = input, _dims(input)
    if training:
        n = x.numel() // x.shape[1]
        mu = x.mean(dim=dims)
        var = ((x - _shape(mu, x)) ** 2).sum(dim=dims) / (n - 1)   # bug: 1/(n-1) instead of 1/n
        if running_mean is not None and running_var is not None:
            with torch.no_grad():
                running_mean.mul_(1 - momentum).add_(momentum * mu.to(running_mean.dtype))
                running_var.mul_(1 - momentum).add_(momentum * var.to(running_var.dtype))
    else:
        mu, var = running_mean, running_var
    z = (x - _shape(mu, x)) / torch.sqrt(_shape(var, x) + eps)
    if weight is not None:
        z = z * _shape(weight, x)
    if bias is not None:
        z = z + _shape(bias, x)
    return z


class _MeanGradDropped(torch.autograd.Function):
    """F.batch_norm forward; a backward without the ``-mean(g)`` term (written in torch ops, so
    that double backward differentiates it)."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        ctx.training, ctx.eps = training, eps
        ctx.save_for_backward(x, weight, running_mean if not training else None,
                              running_var if not training else None)
        return F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)

    @staticmethod
    def backward(ctx, g):
        x, weight, rm, rv = ctx.saved_tensors
        dims = _dims(x)
        if ctx.training:
            mu = x.mean(dim=dims, keepdim=True)
            s = torch.sqrt(((x - mu) ** 2).mean(dim=dims, keepdim=True) + ctx.eps)
        else:
            mu, s = _shape(rm, x), torch.sqrt(_shape(rv, x) + ctx.eps)
        yh = (x - mu) / s
        gy = (g * yh).sum(dim=dims)
        dbeta = g.sum(dim=dims)
        if ctx.training:
            dx = _shape(weight, x) / s * (g - yh * _shape(gy, x) / (x.numel() // x.shape[1]))  # bug: no -mean(g)
        else:
            dx = _shape(weight, x) / s * g
        return dx, gy, dbeta, None, None, None, None, None


def mean_grad_dropped_bn(input, running_mean, running_var, weight=None, bias=None, training=False,
                         momentum=0.1, eps=1e-5):
    """Right forward and running statistics (F.batch_norm), wrong backward."""
    c = input.shape[1]
    weight = weight if weight is not None else torch.ones(c, dtype=input.dtype)
    bias = bias if bias is not None else torch.zeros(c, dtype=input.dtype)
    return _MeanGradDropped.apply(input, weight, bias, running_mean, running_var, training, momentum, eps)


class FlippedMomentumBN1d(torch.nn.Module):
    """``torch.nn.BatchNorm1d`` look-alike whose running statistics keep ``p`` of the old value."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1) -> None:
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = torch.nn.Parameter(torch.ones(num_features))
        self.bias = torch.nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        self.num_batches_tracked.add_(1)
        p = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        with torch.no_grad():
            dims, n = _dims(x), x.numel() // x.shape[1]
            mu = x.mean(dim=dims)
            var = ((x - _shape(mu, x)) ** 2).sum(dim=dims) / (n - 1)
            self.running_mean.mul_(p).add_((1 - p) * mu)    # bug: Keras' "keep p of the old value"
            self.running_var.mul_(p).add_((1 - p) * var)
        return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
