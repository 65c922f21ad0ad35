"""Load a user's Batch Norm from ``MODULE:ATTR`` or ``path/to/file.py:ATTR`` and adapt it.

Two kinds are accepted (``pytorch_batchnorm_docs``):

* a ``torch.nn.Module`` *class* constructed like ``torch.nn.BatchNorm1d``:
  ``Attr(num_features, eps=..., momentum=...)``, with ``weight``/``bias`` parameters and
  ``running_mean``/``running_var`` buffers where it has them;
* a *function* with the signature of ``torch.nn.functional.batch_norm``:
  ``(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
  eps=1e-05)``, called positionally.

Both become a :class:`UserBN`, whose :meth:`UserBN.session` gives one BN instance (a module,
or a function with its own running-statistics tensors) that the checks call as
``session(x, training)``. Anything else is :class:`bnclaims.BadInput` with one line.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from bnclaims.errors import BadInput

__all__ = ["UserBN", "Session", "ImplementationError", "load_bn", "from_object"]

_SIGNATURE = "(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05)"


class ImplementationError(RuntimeError):
    """The implementation under test raised, or returned something that is not the output tensor."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Session:
    """One BN instance with ``num_features`` channels in ``dtype``: ``session(x, training) -> z``.

    ``weight``, ``bias``, ``running_mean`` and ``running_var`` are the tensors the
    implementation reads and updates (a module's own parameters and buffers; for a function,
    the tensors passed to it on every call).
    """

    def __init__(self, bn: "UserBN", num_features: int, dtype: torch.dtype, *, momentum: float | None,
                 eps: float, weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
                 running_mean: torch.Tensor | None = None, running_var: torch.Tensor | None = None) -> None:
        self.bn, self.momentum, self.eps = bn, momentum, eps
        c = num_features
        if bn.kind == "function":
            self.module = None
            self.weight = weight if weight is not None else torch.ones(c, dtype=dtype)
            self.bias = bias if bias is not None else torch.zeros(c, dtype=dtype)
            self.running_mean = running_mean if running_mean is not None else torch.zeros(c, dtype=dtype)
            self.running_var = running_var if running_var is not None else torch.ones(c, dtype=dtype)
            return
        try:
            mod = bn.obj(c, eps=eps, momentum=momentum).to(dtype)
        except Exception as exc:
            raise ImplementationError(f"{bn.name}({c}, eps={eps}, momentum={momentum}) raised "
                                      f"{_one_line(exc)}") from exc
        self.module = mod
        with torch.no_grad():
            for name, value in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                                ("running_var", running_var)):
                slot = getattr(mod, name, None)
                if value is not None and isinstance(slot, torch.Tensor):
                    slot.copy_(value.reshape(slot.shape))
        self.weight = getattr(mod, "weight", None) if bn.affine else None
        self.bias = getattr(mod, "bias", None) if bn.affine else None
        self.running_mean = getattr(mod, "running_mean", None) if bn.running else None
        self.running_var = getattr(mod, "running_var", None) if bn.running else None

    def __call__(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        try:
            if self.module is None:
                out = self.bn.obj(x, self.running_mean, self.running_var, self.weight, self.bias, training,
                                  self.momentum, self.eps)
            else:
                self.module.train(training)
                out = self.module(x)
        except Exception as exc:
            raise ImplementationError(f"raised {_one_line(exc)}") from exc
        if not isinstance(out, torch.Tensor):
            raise ImplementationError(f"returned {type(out).__name__}, not a tensor")
        if out.shape != x.shape:
            raise ImplementationError(f"returned shape {tuple(out.shape)} for input shape {tuple(x.shape)}")
        return out


@dataclass(frozen=True)
class UserBN:
    """A loaded implementation: ``kind`` is ``"module"`` (an nn.Module class) or ``"function"``.

    ``affine``: has ``weight``/``bias`` (always true for a function, which receives them);
    ``running``: keeps ``running_mean``/``running_var``; ``cumulative``: accepts
    ``momentum=None`` (torch's cumulative average; modules only: the functional form takes a float).
    """

    spec: str
    kind: str
    obj: Any
    name: str
    affine: bool = True
    running: bool = True
    cumulative: bool = False

    @property
    def description(self) -> str:
        what = "nn.Module class, constructed as Attr(C, eps=, momentum=)" if self.kind == "module" else \
            "function with F.batch_norm's signature"
        return f"{self.name} ({what})"

    def session(self, num_features: int, dtype: torch.dtype, *, momentum: float | None = 0.1,
                eps: float = 1e-5, **tensors: torch.Tensor | None) -> Session:
        """A fresh instance; ``tensors`` may set weight, bias, running_mean, running_var."""
        return Session(self, num_features, dtype, momentum=momentum, eps=eps, **tensors)


def _import_file(path: Path, spec: str) -> Any:
    if not path.is_file():
        raise BadInput(f"{spec}: no such file {str(path)!r}")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"_bnclaims_user_{path.stem}_{digest}"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise BadInput(f"{spec}: cannot import {str(path)!r} as a Python file")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise BadInput(f"{spec}: importing {str(path)!r} raised {_one_line(exc)}") from None
    return module


def _import_module(name: str, spec: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise BadInput(f"{spec}: no module named {name!r}") from None
        raise BadInput(f"{spec}: importing {name!r} raised {_one_line(exc)}") from None
    except Exception as exc:
        raise BadInput(f"{spec}: importing {name!r} raised {_one_line(exc)}") from None


def _split(spec: str) -> tuple[str, str]:
    if ":" not in spec:
        raise BadInput(f"{spec!r} is not MODULE:ATTR or path/to/file.py:ATTR (no ':')")
    where, attr = spec.rsplit(":", 1)
    if not where or not attr or not all(part.isidentifier() for part in attr.split(".")):
        raise BadInput(f"{spec!r} is not MODULE:ATTR or path/to/file.py:ATTR")
    return where, attr


def load_bn(spec: str) -> UserBN:
    """Resolve ``"package.module:Attr"`` or ``"path/to/file.py:Attr"`` (``Attr`` may be dotted).

    >>> load_bn("torch.nn.functional:batch_norm").kind
    'function'
    """
    where, attr = _split(spec)
    is_file = where.endswith(".py") or "/" in where or "\\" in where
    module = _import_file(Path(where), spec) if is_file else _import_module(where, spec)
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise BadInput(f"{spec}: {where!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return from_object(obj, spec, name=spec if is_file else None)


def from_object(obj: Any, spec: str | None = None, name: str | None = None) -> UserBN:
    """Adapt an nn.Module class or an F.batch_norm-like function (already imported)."""
    name = name or f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"
    spec = spec or name
    if isinstance(obj, torch.nn.Module):
        raise BadInput(f"{spec} is an nn.Module instance; pass its class (constructed as Attr(C, eps=, momentum=))")
    if isinstance(obj, type):
        if not issubclass(obj, torch.nn.Module):
            raise BadInput(f"{spec} is a class but not a torch.nn.Module subclass")
        return _module_class(obj, spec, name)
    if callable(obj):
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            sig = None  # a builtin without a signature: its first call tells
        if sig is not None:
            try:
                sig.bind(*([None] * 8))
            except TypeError:
                raise BadInput(f"{spec}: {name}{sig} does not take F.batch_norm's arguments {_SIGNATURE}") from None
        return UserBN(spec, "function", obj, name)
    raise BadInput(f"{spec} is a {type(obj).__name__}, not a torch.nn.Module class or a function")


def _module_class(cls: type, spec: str, name: str) -> UserBN:
    try:
        mod = cls(2, eps=1e-5, momentum=0.1)
    except Exception as exc:
        raise BadInput(f"{spec}: cannot construct {name}(num_features, eps=1e-05, momentum=0.1) like "
                       f"torch.nn.BatchNorm1d: {_one_line(exc)}") from None

    def is_vec(attr: str) -> bool:
        t = getattr(mod, attr, None)
        return isinstance(t, torch.Tensor) and t.numel() == 2

    try:
        cls(2, eps=1e-5, momentum=None)
        cumulative = True
    except Exception:
        cumulative = False
    return UserBN(spec, "module", cls, name, affine=is_vec("weight") and is_vec("bias"),
                  running=is_vec("running_mean") and is_vec("running_var"), cumulative=cumulative)
