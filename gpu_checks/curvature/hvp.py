"""Hessian-vector products: double backward and forward-over-reverse ``jvp(grad)``, batched with vmap.

Pearlmutter (1994): Hv = d/dr grad L(theta + r v) at r = 0. Two implementations:

* ``"double_backward"`` (reverse-over-reverse): g = grad(L, create_graph) once per operator, then
  Hv = grad(g . v); batches use ``is_grads_batched`` (vmap over the backward).
* ``"jvp_grad"`` (forward-over-reverse): ``torch.func.jvp(grad(L), (theta,), (v,))``; batches use
  ``torch.func.vmap``.

Second derivatives through ``jacrev`` are refused when a normalization layer is present: the torch.func
Hessian of ``F.batch_norm(training=True)`` is wrong and asymmetric (claim conformance.torch_func_hessian_bn_train); see :func:`hessian_jacrev`.
"""
from __future__ import annotations

import warnings

import torch
from torch import Tensor

from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss, has_normalization

__all__ = ["METHODS", "HessianOperator", "hvp", "hessian_jacrev", "NormalizationInGraphError",
           "symmetry_check"]

METHODS = ("double_backward", "jvp_grad")


def _quiet(fn):
    """Call ``fn`` hiding torch's own DeprecationWarning from forward-AD's lazy jit decompositions."""

    def wrapped(*a):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=DeprecationWarning)
            return fn(*a)

    return wrapped


class NormalizationInGraphError(RuntimeError):
    """Raised when a jacrev-based second derivative is requested through a normalization layer."""


def hvp(loss: FunctionalLoss, theta: Tensor, v: Tensor, method: str = "double_backward") -> Tensor:
    """One Hessian-vector product from scratch (forward, backward, second pass)."""
    if method == "double_backward":
        t = theta.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(loss(t), t, create_graph=True)
        (hv,) = torch.autograd.grad(g, t, v)
        return hv
    if method == "jvp_grad":
        return _quiet(torch.func.jvp)(torch.func.grad(loss), (theta.detach(),), (v,))[1]
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def hessian_jacrev(loss: FunctionalLoss, theta: Tensor) -> Tensor:
    """Dense Hessian by ``torch.func.hessian`` (jacfwd(jacrev)); refused with a normalization layer."""
    if has_normalization(loss.model):
        raise NormalizationInGraphError(
            "refusing a jacrev-based second derivative: the model contains a normalization layer, and "
            "torch.func.hessian / jvp(jacrev) are wrong and asymmetric through F.batch_norm(training=True) "
            "(claim conformance.torch_func_hessian_bn_train). Use HessianOperator(method='double_backward' or 'jvp_grad') or "
            "bnclaims.gpu_checks.curvature.dense_hessian.dense_hessian instead.")
    return torch.func.hessian(loss)(theta.detach())


class HessianOperator:
    """The Hessian of ``loss`` at ``theta`` as a linear operator in ``loss.dtype``, counting HVPs.

    ``matvec``/``matmat`` accept any float dtype and return the input's dtype (computing in the
    operator's dtype). ``hvps`` counts vectors multiplied.
    """

    def __init__(self, loss: FunctionalLoss, theta: Tensor | None = None, method: str = "double_backward") -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.loss, self.method = loss, method
        self.theta = (loss.theta0() if theta is None else theta).detach().to(loss.device, loss.dtype)
        self.n, self.dtype, self.device = loss.n, loss.dtype, loss.device
        self.hvps = 0
        self._t: Tensor | None = None
        self._g: Tensor | None = None
        if method == "jvp_grad":
            gradf = torch.func.grad(loss)
            jvp = _quiet(torch.func.jvp)
            self._single = lambda v: jvp(gradf, (self.theta,), (v,))[1]
            self._batched = _quiet(torch.func.vmap(self._single))

    def _graph(self) -> tuple[Tensor, Tensor]:
        if self._g is None:
            t = self.theta.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(self.loss(t), t, create_graph=True)
            self._t, self._g = t, g
        assert self._t is not None
        return self._t, self._g

    def matvec(self, v: Tensor) -> Tensor:
        """H v for one vector ``v`` of shape (n,)."""
        out_dtype = v.dtype
        v = v.to(self.device, self.dtype)
        self.hvps += 1
        if self.method == "jvp_grad":
            hv = self._single(v)
        else:
            t, g = self._graph()
            (hv,) = torch.autograd.grad(g, t, v, retain_graph=True)
        return hv.detach().to(out_dtype)

    def matmat(self, vs: Tensor) -> Tensor:
        """H v_i for the rows ``v_i`` of ``vs`` (shape (k, n)); returns (k, n)."""
        out_dtype = vs.dtype
        vs = vs.to(self.device, self.dtype)
        self.hvps += vs.shape[0]
        if self.method == "jvp_grad":
            hv = self._batched(vs)
        else:
            t, g = self._graph()
            (hv,) = torch.autograd.grad(g, t, vs, retain_graph=True, is_grads_batched=True)
        return hv.detach().to(out_dtype)

    def gradient(self) -> Tensor:
        """The gradient at theta (no HVP counted)."""
        return self.loss.gradient(self.theta)


def symmetry_check(op: HessianOperator, pairs: int = 3, seed: int = 0) -> float:
    """max over random pairs of |v^T H w - w^T H v| / (||v|| ||H w|| + ||w|| ||H v||): 0 for a symmetric H."""
    g = torch.Generator().manual_seed(seed)
    worst = 0.0
    for _ in range(pairs):
        v, w = torch.randn(2, op.n, generator=g, dtype=torch.float64)
        hv, hw = op.matvec(v), op.matvec(w)
        a, b = float(v @ hw), float(w @ hv)
        scale = float(v.norm() * hw.norm() + w.norm() * hv.norm())
        worst = max(worst, abs(a - b) / scale if scale else 0.0)
    return worst
