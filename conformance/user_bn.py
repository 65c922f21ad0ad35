"""``bnclaims conform MODULE:ATTR``: check a user's own Batch Norm against the exact reference.

A framework maintainer points this at their kernel, either an ``nn.Module`` class built like
``torch.nn.BatchNorm1d`` or a function with ``torch.nn.functional.batch_norm``'s signature
(:func:`load_bn`, see :mod:`bnclaims.conformance.user_load`). :func:`conform` runs, per dtype:

* ``forward_train``, ``forward_eval``: the output against the mpmath reference of Ioffe & Szegedy
  2015 (``ioffe2015batch``) Alg. 1/2 within ``c kappa u`` (:mod:`bnclaims.conformance.user_forward`);
* ``running_stats``: torch's documented update (``pytorch_batchnorm_docs``: unbiased variance
  stored, ``r <- (1 - p) r + p b``, ``momentum=None`` cumulative where the class accepts it);
* ``gradient``, ``hessian``: backward and double backward of ``<g, BN(y)>`` for random ``g``
  and ``v`` against jets through the BN definition (:mod:`bnclaims.conformance.user_derivatives`).

Each violation is shrunk to the smallest failing input *for that dtype* and certified by
interval arithmetic; the :class:`ConformReport` says holds / refuted / inconclusive (with the
reason, e.g. a dtype the implementation does not support) for every (check, dtype).

>>> report = conform("torch.nn.functional:batch_norm", dtypes=("float64",), preset="quick")
>>> report.exit_code
0
"""
from __future__ import annotations

import functools
import math
import random
import time
from typing import Any, Callable, Sequence

import torch

from bnclaims.errors import BadInput
from bnclaims.tolerances import tol
from bnclaims.verdicts import Verdict
from bnclaims.conformance.threads import single_threaded
from bnclaims.conformance.user_cases import EPS, OFFSETS, SCALES, UserCase, dtype_of, run_check, user_cases
from bnclaims.conformance.user_derivatives import certify_derivative, evaluate_gradient, evaluate_hessian, run_derivatives
from bnclaims.conformance.user_forward import certify_forward, certify_running, evaluate_forward, evaluate_running, running_cases
from bnclaims.conformance.user_load import ImplementationError, UserBN, from_object, load_bn
from bnclaims.conformance.user_report import CHECKS, CheckResult, ConformReport

__all__ = ["conform", "load_bn", "UserBN", "ConformReport", "CheckResult", "DTYPES", "PRESETS", "CHECKS"]

#: Every CPU dtype tried by default; one the implementation rejects is reported inconclusive.
DTYPES = ("float64", "float32", "float16", "bfloat16")
PRESETS = ("quick", "default")
LAYOUTS = ((), (2,), (2, 2))
#: The Hessian check's channel scales: a spread of 1e-6 makes s^-3 overflow float16 (skipped).
HESSIAN_SCALES = (1.0, 0.1, 1e-3)
#: (cases, shrink examples) per check and preset.
BUDGETS = {"quick": {"forward_train": 15, "forward_eval": 10, "running_stats": 10, "gradient": 10, "hessian": 6,
                     "shrink": 150},
           "default": {"forward_train": 100, "forward_eval": 60, "running_stats": 60, "gradient": 60,
                       "hessian": 40, "shrink": 500}}


def _probe(bn: UserBN, dtype: str) -> tuple[list[tuple[int, ...]], str]:
    """The input layouts ``(m, C, *spatial)`` the implementation runs on in ``dtype`` (train mode)."""
    ok, first_error = [], ""
    for spatial in LAYOUTS:
        x = torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64).repeat_interleave(math.prod(spatial))
        x = x.reshape((3, 1) + spatial)
        try:
            with torch.no_grad():
                bn.session(1, dtype_of(dtype), momentum=0.1, eps=1e-5)(x.to(dtype_of(dtype)), True)
            ok.append(spatial)
        except ImplementationError as exc:
            first_error = first_error or str(exc)
    return ok, first_error


def _derivative_probe(bn: UserBN, dtype: str, layout: tuple[int, ...], order: int) -> str:
    n = 3 * 2 ** len(layout)
    case = UserCase(dtype, True, 3, layout, ((0.0, 1.0, tuple(range(n))),), (1.0,), (0.0,), 1e-5, (),
                    (tuple([1, -1] * (n // 2) + [0] * (n % 2)),), (tuple([1] * n),))
    try:
        run_derivatives(bn, case, order)
        return ""
    except ImplementationError as exc:
        return str(exc)


def _scope(check: str, n: int, dtype: str, layouts: Sequence[tuple[int, ...]], extra: str) -> str:
    shapes = ", ".join("(m,C" + "".join(f",{s}" for s in lay) + ")" for lay in layouts)
    return f"{n} cases, {dtype}, shapes {shapes}, {extra}, error <= c*kappa*u, c={tol('conformance.c'):g}"


def _one_check(bn: UserBN, check: str, dtype: str, layouts: list[tuple[int, ...]], *, seed: int, preset: str,
               dps: int) -> CheckResult:
    budget = BUDGETS[preset]
    n, shrink_n = budget[check], budget["shrink"]
    s = random.Random(f"{seed}:{check}:{dtype}").randrange(2 ** 32)
    grid = f"offsets {OFFSETS}, scales {SCALES}, eps {EPS}"
    if check in ("forward_eval", "running_stats") and not bn.running:
        return CheckResult(check, dtype, Verdict.INCONCLUSIVE, "not applicable", {},
                           reason="does not apply: no running_mean/running_var buffers", applies=False)
    if check in ("gradient", "hessian"):
        why = _derivative_probe(bn, dtype, layouts[0], 1 if check == "gradient" else 2)
        if why:
            what = "backward" if check == "gradient" else "double backward"
            return CheckResult(check, dtype, Verdict.INCONCLUSIVE, f"{what} probe on a (3, 1) input", {"probe": why},
                               reason=f"{what} unsupported in {dtype}: {why.removeprefix(what + ' raised ')}",
                               applies=False)

    def run(make: Callable[..., Any], evaluate: Callable, certify: Callable, scope: str) -> CheckResult:
        return run_check(check, dtype, make(layouts=layouts), evaluate, certify, n=n, seed=s,
                         shrink_examples=shrink_n, scope=scope, simple=make(layouts=layouts[:1], max_channels=1))

    if check in ("forward_train", "forward_eval"):
        training, max_m = check == "forward_train", 8 if check == "forward_train" else 6
        make = functools.partial(user_cases, dtype, training=training, affine=bn.affine, max_m=max_m)
        return run(make, lambda c: evaluate_forward(bn, c, dps), lambda c, w: certify_forward(c, w, dps),
                   _scope(check, n, dtype, layouts, f"{'train' if training else 'eval'} mode, m 2..{max_m}, "
                          f"1..3 channels, {grid}"))
    if check == "running_stats":
        momenta = (0.1, 0.3) + ((None,) if bn.kind == "module" and bn.cumulative else ())
        make = functools.partial(running_cases, dtype, momenta=momenta)
        what = "momentum 0.1/0.3" + ("/None (cumulative)" if None in momenta else
                                     " (momentum=None: not applicable to a function)" if bn.kind == "function"
                                     else " (class rejects momentum=None)")
        return run(make, lambda c: evaluate_running(bn, c, dps), lambda c, w: certify_running(c, w, dps),
                   _scope(check, n, dtype, layouts, f"1..3 training steps, m 2..6, 1..2 channels, {what}, "
                          "unbiased running_var, offsets (0, 3, 100), scales (1, 0.01)"))
    order = 1 if check == "gradient" else 2
    scales = SCALES if order == 1 else HESSIAN_SCALES
    make = functools.partial(user_cases, dtype, training=True, affine=bn.affine, max_m=6 if order == 1 else 5,
                             max_channels=2, upstream=True, direction=order == 2, scales=scales)
    evaluate = evaluate_gradient if order == 1 else evaluate_hessian
    extra = (f"m 2..6, dL/dy, dL/dgamma, dL/dbeta of <g, BN(y)>, random g" if order == 1 else
             f"m 2..5, double-backward H v of <g, BN(y)> wrt y, random g and v")
    grid = f"offsets {OFFSETS}, scales {scales}, eps {EPS}"
    return run(make, lambda c: evaluate(bn, c, dps), lambda c, w: certify_derivative(c, w, dps),
               _scope(check, n, dtype, layouts, f"train mode, 1..2 channels, {extra}, {grid}"))


def _as_user_bn(bn: Any) -> UserBN:
    if isinstance(bn, UserBN):
        return bn
    if isinstance(bn, str):
        return load_bn(bn)
    return from_object(bn)


@single_threaded
def conform(bn: str | UserBN | Any, *, dtypes: Sequence[str] = DTYPES, seed: int = 20251122,
            preset: str = "default", dps: int = 60, checks: Sequence[str] = CHECKS) -> ConformReport:
    """Run every check at every dtype; a spec string is resolved with :func:`load_bn`.

    Raises :class:`bnclaims.BadInput` for a bad spec, an unknown dtype, preset or check.
    """
    user = _as_user_bn(bn)
    for d in dtypes:
        if d not in DTYPES:
            raise BadInput(f"unknown dtype {d!r}; choose from {', '.join(DTYPES)}")
    if preset not in PRESETS:
        raise BadInput(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    for c in checks:
        if c not in CHECKS:
            raise BadInput(f"unknown check {c!r}; choose from {', '.join(CHECKS)}")
    if dps < 50:
        raise BadInput(f"dps must be at least 50, got {dps}")
    dtypes = tuple(dict.fromkeys(dtypes))
    t0 = time.perf_counter()
    results: list[CheckResult] = []
    probes = {dtype: _probe(user, dtype) for dtype in dtypes}
    if not any(layouts for layouts, _ in probes.values()):
        first, why = next(iter(probes.items()))[0], next(iter(probes.values()))[1]
        raise BadInput(f"{user.spec} runs in none of the requested dtypes; on a (3, 1) {first} input it "
                       f"{why}")
    for dtype in dtypes:
        layouts, why = probes[dtype]
        for check in checks:
            if not layouts:
                results.append(CheckResult(check, dtype, Verdict.INCONCLUSIVE, "probe on a (3, 1) input",
                                           {"probe": why}, reason=f"dtype unsupported: {why.removeprefix('raised ')}",
                                           applies=False))
                continue
            results.append(_one_check(user, check, dtype, layouts, seed=seed, preset=preset, dps=dps))
    order = {c: i for i, c in enumerate(CHECKS)}
    results.sort(key=lambda r: (order[r.check], dtypes.index(r.dtype)))
    return ConformReport(user.spec, user.description, seed, preset, dtypes, dps, torch.__version__, results,
                         seconds=time.perf_counter() - t0)
