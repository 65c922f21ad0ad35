"""The initialization-time protocol shared by the network experiments.

Every measurement in :mod:`bnclaims.gpu_checks.experiments` is a pure function ``fn(config, seed) -> dict``. This
module holds what they share, so that the conventions are stated once:

* **config**: :func:`parse_config` checks every key against a spec (unknown key or bad value ->
  ``ValueError`` naming it); every spec accepts ``device`` ("cpu" default, or "cuda") and ``dtype``
  ("float32" default, "float64").
* **randomness**: :func:`generator` seeds a private CPU ``torch.Generator``; every draw is made on the CPU
  in float32 and then cast and moved (:func:`randn`), so a float64 or CUDA run sees the same numbers
  as the float32 CPU run up to the cast. The global RNG is never touched.
* **initialization** (:func:`weight`): i.i.d. weights of variance ``sigma_w^2 / fan_in``, zero biases,
  normalizer gain 1 and shift 0. ``init`` is "variance_preserving" (Gaussian, ``sigma_w^2`` from
  :func:`default_sigma_w2` or the ``sigma_w2`` key), "lecun" (Gaussian, ``sigma_w^2 = 1``) or
  "torch_default" (``nn.Linear``/``nn.Conv2d``'s U(-1/sqrt(fan_in), 1/sqrt(fan_in)), ``sigma_w^2 = 1/3``).
* **the layer** (:class:`Dense`): ``h -> act(norm(norm.pre(h) W^T))``, optionally ``+ h`` (skip); the
  normalizer is :class:`bnclaims.gpu_checks.nets.normalizers.Normalizer` evaluated under ``bn_mode("train")``
  (batch statistics differentiated through, running statistics never written).
* **the renormalized backward profile** (:func:`renormalized_backward`) and **slope fitting**
  (:func:`ls_slope`).
* **output**: :func:`finite` turns tensors into JSON-safe floats and raises ``ValueError`` on NaN/inf.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from bnclaims.gpu_checks.nets.normalizers import Normalizer, bn_mode

__all__ = ["ACTIVATIONS", "INITS", "DTYPES", "REQUIRED", "one_of", "integer", "real", "boolean", "optional",
           "int_list", "parse_config", "generator", "randn", "default_sigma_w2", "init_variance", "weight",
           "make_normalizer", "Dense", "build_mlp", "forward", "renormalized_backward", "ls_slope", "finite"]


def _linear(z: Tensor) -> Tensor:
    return z


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": torch.relu, "linear": _linear, "tanh": torch.tanh, "gelu": F.gelu, "silu": F.silu}
INITS = ("variance_preserving", "lecun", "torch_default")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
# sigma_w^2 E[phi'(z)^2] = 1 at z ~ N(0, 1) (He for relu); tanh takes 1 (LeCun; at sigma_b = 0 its
# pre-activation variance tends to 0, where the backward gain is sigma_w^2 phi'(0)^2 = 1).
_SIGMA_W2 = {"relu": 2.0, "linear": 1.0, "tanh": 1.0}


# ----------------------------------------------------------------------------------------------- config
class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
Check = Callable[[str, Any], Any]


def one_of(*options: str) -> Check:
    def check(key: str, v: Any) -> str:
        if not isinstance(v, str) or v not in options:
            raise ValueError(f"config[{key!r}] must be one of {options}, got {v!r}")
        return v
    return check


def integer(lo: int, hi: int | None = None) -> Check:
    def check(key: str, v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            raise ValueError(f"config[{key!r}] must be an integer in [{lo}, {hi if hi is not None else 'inf'}], "
                             f"got {v!r}")
        return v
    return check


def real(lo: float, *, strict: bool = False) -> Check:
    def check(key: str, v: Any) -> float:
        ok = (not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
              and (v > lo if strict else v >= lo))
        if not ok:
            raise ValueError(f"config[{key!r}] must be a finite number {'>' if strict else '>='} {lo}, got {v!r}")
        return float(v)
    return check


def boolean(key: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"config[{key!r}] must be true or false, got {v!r}")
    return v


def optional(check: Check) -> Check:
    def opt(key: str, v: Any) -> Any:
        return None if v is None else check(key, v)
    return opt


def int_list(lo: int, hi: int, min_len: int = 1) -> Check:
    item = integer(lo, hi)

    def check(key: str, v: Any) -> list[int]:
        if not isinstance(v, (list, tuple)) or len(v) < min_len:
            raise ValueError(f"config[{key!r}] must be a list of at least {min_len} integers, got {v!r}")
        return [item(f"{key}[{i}]", x) for i, x in enumerate(v)]
    return check


def _device(key: str, v: Any) -> torch.device:
    if not isinstance(v, str) or v.split(":")[0] not in ("cpu", "cuda"):
        raise ValueError(f"config[{key!r}] must be 'cpu' or 'cuda[:k]', got {v!r}")
    if v.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"config[{key!r}] = {v!r} but no CUDA device is available")
    try:
        return torch.device(v)
    except RuntimeError as e:
        raise ValueError(f"config[{key!r}]: {e}") from None


def _dtype(key: str, v: Any) -> torch.dtype:
    if v not in DTYPES:
        raise ValueError(f"config[{key!r}] must be one of {tuple(DTYPES)}, got {v!r}")
    return DTYPES[v]


def parse_config(config: Any, spec: dict[str, tuple[Any, Check]], where: str) -> dict[str, Any]:
    """Validate ``config`` against ``spec`` (key -> (default or REQUIRED, check)) and fill defaults.

    ``device`` and ``dtype`` are added to every spec and come back as ``torch.device``/``torch.dtype``.
    """
    if not isinstance(config, dict):
        raise ValueError(f"{where}: config must be a dict, got {type(config).__name__}")
    full = {**spec, "device": ("cpu", _device), "dtype": ("float32", _dtype)}
    unknown = sorted(set(config) - set(full), key=str)
    if unknown:
        raise ValueError(f"{where}: unknown config key(s) {unknown}; known: {sorted(full)}")
    out: dict[str, Any] = {}
    for key, (default, check) in full.items():
        if key not in config and default is REQUIRED:
            raise ValueError(f"{where}: config[{key!r}] is required")
        out[key] = check(key, config.get(key, default))
    return out


# ------------------------------------------------------------------------------------------- randomness
def generator(seed: Any) -> torch.Generator:
    """A private CPU generator seeded with ``seed`` (a non-negative int below 2**63)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 63:
        raise ValueError(f"seed must be an integer in [0, 2**63), got {seed!r}")
    return torch.Generator().manual_seed(seed)


def randn(gen: torch.Generator, shape: Sequence[int], cfg: dict[str, Any]) -> Tensor:
    """Standard Gaussian draws, made on the CPU in float32, cast to ``cfg['dtype']`` on ``cfg['device']``."""
    return torch.randn(tuple(shape), generator=gen).to(device=cfg["device"], dtype=cfg["dtype"])


# --------------------------------------------------------------------------------------- initialization
def default_sigma_w2(act: str) -> float:
    """The "variance_preserving" sigma_w^2: 2 (relu), 1 (linear, tanh), else 1 / E[phi'(z)^2], z ~ N(0, 1).

    The expectation is a 101-node Gauss-Hermite rule in float64 (gelu: 2.1937, silu: 2.6352).
    Under every normalizer except "none" the forward pass after each weight is scale-free, so the choice
    only matters without normalization.
    """
    if act in _SIGMA_W2:
        return _SIGMA_W2[act]
    nodes, weights = np.polynomial.hermite_e.hermegauss(101)
    z = torch.tensor(nodes, dtype=torch.float64, requires_grad=True)
    (d,) = torch.autograd.grad(ACTIVATIONS[act](z).sum(), z)
    return float(1.0 / (np.dot(weights, d.detach().numpy() ** 2) / math.sqrt(2 * math.pi)))


def init_variance(init: str, act: str, sigma_w2: float | None) -> float:
    """sigma_w^2 of ``init`` (see the module docstring); ``sigma_w2`` only with "variance_preserving"."""
    if sigma_w2 is not None and init != "variance_preserving":
        raise ValueError(f"config['sigma_w2'] = {sigma_w2} conflicts with init={init!r} "
                         "(sigma_w2 sets the variance of the 'variance_preserving' init only)")
    if init == "variance_preserving":
        return default_sigma_w2(act) if sigma_w2 is None else sigma_w2
    return 1.0 if init == "lecun" else 1.0 / 3.0


def weight(gen: torch.Generator, shape: Sequence[int], init: str, sigma_w2: float, cfg: dict[str, Any]) -> Tensor:
    """A weight of ``shape`` (fan_in = prod(shape[1:])), variance sigma_w2 / fan_in (uniform for torch_default)."""
    fan_in = math.prod(shape[1:])
    if init == "torch_default":
        u = torch.rand(tuple(shape), generator=gen).to(device=cfg["device"], dtype=cfg["dtype"])
        return (2.0 * u - 1.0) / math.sqrt(fan_in)
    return randn(gen, shape, cfg) * math.sqrt(sigma_w2 / fan_in)


def make_normalizer(kind: str, channels: int, cfg: dict[str, Any], eps: float = 1e-5) -> Normalizer:
    """A :class:`Normalizer` with gain 1, shift 0 (frozen: no parameter gradients), in cfg's dtype/device."""
    norm = Normalizer(kind, channels, eps=eps).to(device=cfg["device"], dtype=cfg["dtype"])
    norm.requires_grad_(False)
    return norm


# --------------------------------------------------------------------------------------------- networks
@dataclass
class Dense:
    """One fully connected layer ``h -> act(norm(norm.pre(h) W^T)) [+ h]`` (zero bias)."""

    weight: Tensor  # (out, in)
    norm: Normalizer
    act: Callable[[Tensor], Tensor]
    skip: bool = False

    def __call__(self, h: Tensor) -> Tensor:
        out = self.act(self.norm(F.linear(self.norm.pre(h), self.weight)))
        return h + out if self.skip else out


def build_mlp(gen: torch.Generator, cfg: dict[str, Any], *, width: int, depth: int, norm: str, act: str,
              sigma_w2: float, init: str = "variance_preserving", skip: bool = False,
              eps: float = 1e-5) -> list[Dense]:
    """``depth`` layers N -> N, weights W_1..W_depth drawn in that order from ``gen``."""
    return [Dense(weight(gen, (width, width), init, sigma_w2, cfg), make_normalizer(norm, width, cfg, eps),
                  ACTIVATIONS[act], skip) for _ in range(depth)]


def forward(layers: Sequence[Dense], x: Tensor) -> list[Tensor]:
    """[h_1, ..., h_L] (post-activation, after the skip sum), batch statistics, no graph, no buffer writes."""
    hs = []
    with torch.no_grad(), bn_mode("train"):
        h = x
        for layer in layers:
            h = layer(h)
            hs.append(h)
    return hs


def renormalized_backward(layers: Sequence[Dense], x: Tensor, upstream: Tensor) -> tuple[list[float], list[float]]:
    """(log ||dL/dh_l||^2 for l = 0..L, mean square of h_l for l = 0..L), L = len(layers).

    ``upstream`` is dL/dh_L. The forward pass keeps each layer's graph local (its input detached with
    ``requires_grad``); going down, ``torch.autograd.grad`` on layer l's graph maps the gradient at h_l
    to h_{l-1}, which is then rescaled to unit norm while log of the squared norm is accumulated (in
    float64): depth cannot overflow or underflow. The result equals one plain backward pass up to rounding.
    """
    ins, outs = [], []
    with bn_mode("train"):
        h = x
        for layer in layers:
            h_in = h.detach().requires_grad_(True)
            h = layer(h_in)
            ins.append(h_in)
            outs.append(h)
    fwd = torch.stack([x.pow(2).mean()] + [o.detach().pow(2).mean() for o in outs])
    s = upstream.pow(2).sum()
    logs = [torch.log(s.double())]
    g = upstream / s.sqrt()
    for h_in, h_out in zip(reversed(ins), reversed(outs)):
        (g,) = torch.autograd.grad(h_out, h_in, g)
        s = g.pow(2).sum()
        logs.append(logs[-1] + torch.log(s.double()))
        g = g / s.sqrt()
    profile = torch.stack(logs[::-1]).tolist()
    bad = [l for l, v in enumerate(profile) if not math.isfinite(v)]
    if bad:
        raise ValueError(f"gradient norm not finite/positive at layer {max(bad)} (l = 0 input, {len(layers)} top): "
                         "it vanished exactly or overflowed; try dtype float64")
    return profile, finite("forward_sq_norm", fwd)


# ------------------------------------------------------------------------------------------------ output
def ls_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of y against x (float64; at least two distinct x)."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xa.size < 2 or xa.shape != ya.shape:
        raise ValueError(f"a slope needs at least two (x, y) pairs of equal length, got {xa.size}, {ya.size}")
    xc = xa - xa.mean()
    return finite("slope", float(np.dot(xc, ya - ya.mean()) / np.dot(xc, xc)))


def finite(name: str, value: Tensor | float | Sequence[float]) -> Any:
    """``value`` as a float or list of floats; ``ValueError`` naming ``name`` if any entry is NaN or inf."""
    if isinstance(value, Tensor):
        value = value.detach().double().cpu().tolist()
    many = isinstance(value, (list, tuple))
    vals = [float(v) for v in (value if many else [value])]
    bad = [i for i, v in enumerate(vals) if not math.isfinite(v)]
    if bad:
        raise ValueError(f"{name} is not finite at index {bad[0]} ({vals[bad[0]]}): overflow or a degenerate "
                         "batch; try dtype float64 or a smaller depth")
    return vals if many else vals[0]
