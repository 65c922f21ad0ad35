"""The exact reference Batch Norm, with every convention a framework can get wrong as a parameter.

Ioffe & Szegedy 2015 (``ioffe2015batch``), Algorithm 1 (train-mode transform) and Algorithm 2
(inference with population statistics, the unbiased ``m/(m-1)`` variance), evaluated in
mpmath at ``dps`` digits on exact binary inputs. The conventions are explicit:

* ``eps_placement``: ``"inside"`` gives ``(x - mu) / sqrt(var + eps)`` (Alg. 1, every framework
  today); ``"outside"`` gives ``(x - mu) / (sqrt(var) + eps)`` (the old Keras CNTK backend).
* ``running_correction``: the variance stored in the running statistics uses ``1/(m - c)``;
  ``c = 1`` is PyTorch (``pytorch_batchnorm_docs``: "unbiased estimator"), ``c = 0`` Flax/Keras.
* ``momentum_convention``: ``"torch"`` means ``new = (1 - p) old + p batch``; ``"keras"``
  (also Flax) means ``new = p old + (1 - p) batch``.

A channel is a list of exact values; tensors are handled by the callers channel by channel.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import mpmath

__all__ = ["Conventions", "TORCH", "ref_batch_stats", "ref_forward_train", "ref_forward_eval",
           "ref_running_update", "ref_backward", "mpf_of"]


@dataclass(frozen=True)
class Conventions:
    """The three places where BN implementations disagree (see :mod:`bnclaims.conformance.conventions`)."""

    eps_placement: str = "inside"
    running_correction: int = 1
    momentum_convention: str = "torch"

    def __post_init__(self) -> None:
        if self.eps_placement not in ("inside", "outside"):
            raise ValueError(f"eps_placement must be 'inside' or 'outside', got {self.eps_placement!r}")
        if self.running_correction not in (0, 1):
            raise ValueError("running_correction must be 0 (biased) or 1 (unbiased)")
        if self.momentum_convention not in ("torch", "keras"):
            raise ValueError("momentum_convention must be 'torch' or 'keras'")


#: PyTorch's documented conventions.
TORCH = Conventions()


def mpf_of(v: float | int | Fraction | mpmath.mpf) -> mpmath.mpf:
    """An exact conversion of a binary float (or rational) to the current mpmath precision."""
    if isinstance(v, mpmath.mpf):
        return +v
    f = Fraction(v)
    return mpmath.mpf(f.numerator) / f.denominator


def ref_batch_stats(y: Sequence, correction: int = 0) -> tuple:
    """Mean and ``1/(m - correction)`` variance of one channel (two-pass, exact inputs)."""
    m = len(y)
    if m - correction <= 0:
        raise ValueError(f"variance with correction {correction} needs more than {correction} values")
    ys = [mpf_of(v) for v in y]
    mu = mpmath.fsum(ys) / m
    var = mpmath.fsum([(v - mu) ** 2 for v in ys]) / (m - correction)
    return mu, var


def _denominator(var, eps, conv: Conventions):
    return mpmath.sqrt(var + eps) if conv.eps_placement == "inside" else mpmath.sqrt(var) + eps


def ref_forward_train(y: Sequence, gamma, beta, eps, conv: Conventions = TORCH,
                      dps: int = 60) -> list[mpmath.mpf]:
    """Alg. 1 of Ioffe & Szegedy: ``gamma * (y - mu) / d + beta`` with batch statistics (1/m)."""
    with mpmath.workdps(dps):
        mu, var = ref_batch_stats(y, 0)
        d = _denominator(var, mpf_of(eps), conv)
        g, b = mpf_of(gamma), mpf_of(beta)
        return [+(g * (mpf_of(v) - mu) / d + b) for v in y]


def ref_forward_eval(y: Sequence, running_mean, running_var, gamma, beta, eps,
                     conv: Conventions = TORCH, dps: int = 60) -> list[mpmath.mpf]:
    """Alg. 2 inference: ``gamma * (y - E[x]) / d(Var[x]) + beta`` with stored statistics."""
    with mpmath.workdps(dps):
        rm, rv = mpf_of(running_mean), mpf_of(running_var)
        d = _denominator(rv, mpf_of(eps), conv)
        g, b = mpf_of(gamma), mpf_of(beta)
        return [+(g * (mpf_of(v) - rm) / d + b) for v in y]


def ref_running_update(running_mean, running_var, y: Sequence, momentum,
                       conv: Conventions = TORCH, dps: int = 60) -> tuple:
    """One running-statistics step: blend the batch mean and the corrected batch variance.

    ``momentum`` is read in ``conv.momentum_convention``; torch's ``momentum=None`` (the
    cumulative average) is the torch convention with ``p = 1/k`` at step ``k``, which the
    caller passes explicitly.
    """
    with mpmath.workdps(dps):
        mu, var = ref_batch_stats(y, conv.running_correction)
        p = mpf_of(momentum)
        keep = 1 - p if conv.momentum_convention == "torch" else p
        rm = keep * mpf_of(running_mean) + (1 - keep) * mu
        rv = keep * mpf_of(running_var) + (1 - keep) * var
        return +rm, +rv


def ref_backward(y: Sequence, g: Sequence, gamma, eps, dps: int = 60) -> tuple[list, object, object]:
    """Gradients of ``sum_i g_i z_i`` w.r.t. the batch, gamma and beta (Ioffe & Szegedy Sec. 3).

    ``dL/dy = gamma/s * (g - mean(g) - yhat * mean(g * yhat))`` with ``s = sqrt(var + eps)``;
    the test module checks this closed form against ``bnclaims.numerics.bn_mp.mp_gradient``.
    """
    with mpmath.workdps(dps):
        mu, var = ref_batch_stats(y, 0)
        s = mpmath.sqrt(var + mpf_of(eps))
        yh = [(mpf_of(v) - mu) / s for v in y]
        gs = [mpf_of(v) for v in g]
        m = len(y)
        gbar = mpmath.fsum(gs) / m
        gy = mpmath.fsum([a * b for a, b in zip(gs, yh)]) / m
        gam = mpf_of(gamma)
        dy = [+(gam / s * (a - gbar - h * gy)) for a, h in zip(gs, yh)]
        return dy, +(gy * m), +(gbar * m)
