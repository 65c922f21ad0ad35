"""Gradient and second-derivative checks of a user's Batch Norm (training mode), per dtype.

For ``L = <g, BN(y)>`` with a random upstream ``g`` (an all-ones ``g`` has gradient 0 and
hides bugs, see :mod:`bnclaims.conformance.gradchecks`), the implementation's backward gives ``dL/dy``,
``dL/dgamma``, ``dL/dbeta``, and its double backward the Hessian-vector product
``H v = d/dt (dL/dy)(y + t v)`` for a random direction ``v`` (Ioffe & Szegedy 2015,
``ioffe2015batch``, Sec. 3). References, independent of the code under test:

* search (mpmath, ``dps`` digits): the gradient by :func:`bnclaims.conformance.reference.ref_backward`;
  ``H v`` by a dual number (:class:`bnclaims.numerics.bn_jacobian.Jet`) carried through that gradient;
* certificate (``mpmath.iv`` at the exact inputs): the BN *definition*
  (:func:`bnclaims.numerics.bn_jacobian.jet_bn`) differentiated by jets: ``dL/dy_i`` along ``e_i``,
  and ``(H v)_i = (q(e_i + v) - q(e_i - v)) / 4`` with ``q(d) = d^T H d`` from order-2 jets.

Allowed errors (``c = tol("conformance.c")``, ``u`` the dtype's unit roundoff, ``n`` values per
channel, ``s = sqrt(var + eps)``, ``kappa = 1 + max|y| / s``, ``Y = max(1, max|yhat|)``):
``dL/dy``: ``c kappa u |gamma|/s max|g| (2 + max|yhat|^2)``, the three terms of the closed form
in absolute value (tighter than the ``3 max|g| n`` of :func:`bnclaims.conformance.gradchecks.first_grad_gap`,
so that a missing ``mean(g)`` shows within float16's tolerance);
``dL/dgamma``: ``c kappa u max|g| n Y``; ``dL/dbeta``: ``c kappa u max|g| n``;
``H v``: ``c kappa u |gamma|/s^2 max|g| max|v| 3 n Y^2``. An entry whose exact value or natural
scale exceeds a quarter of the dtype's largest finite number is outside the dtype's range and
skipped (counted), not judged; so is ``H v`` where ``max(1, |gamma|) / s^3`` does, ``s^-3`` being
intrinsic to the second derivative of ``1/s`` (torch 2.13's float16 double backward returns NaN
there: at ``y = (0, 0)``, ``eps = 1e-5``, where the exact ``H v`` is 0).
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

import mpmath
import torch

from bnclaims.tolerances import tol
from bnclaims.conformance.reference import mpf_of, ref_backward
from bnclaims.conformance.torch_forward import unit_roundoff
from bnclaims.conformance.user_cases import UserCase, channel_values, finite_max, input_of, tensor_of
from bnclaims.conformance.user_load import ImplementationError, UserBN
from bnclaims.numerics import bn_mp
from bnclaims.numerics.bn_jacobian import JetContext, jet_bn
from bnclaims.numerics.intervals import certify_positive, endpoints

__all__ = ["run_derivatives", "ref_hvp", "def_hvp", "evaluate_gradient", "evaluate_hessian", "certify_derivative"]


def run_derivatives(bn: UserBN, case: UserCase, order: int) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
    """``[dL/dx, dL/dweight, dL/dbias]`` (order 1) or ``[H v]`` (order 2) from the implementation."""
    x = input_of(case).requires_grad_(True)
    dt, n_ch = x.dtype, len(case.channels)
    w = torch.tensor(case.gamma, dtype=dt, requires_grad=bn.kind == "function")
    b = torch.tensor(case.beta, dtype=dt, requires_grad=bn.kind == "function")
    sess = bn.session(n_ch, dt, momentum=0.1, eps=case.eps, weight=w, bias=b)
    out = sess(x, True)
    g = tensor_of(case, case.upstream, out.dtype)
    params = [x] + ([sess.weight, sess.bias] if bn.affine else [])
    try:
        grads = torch.autograd.grad(out, params, grad_outputs=g, create_graph=order == 2, allow_unused=True)
    except Exception as exc:
        raise ImplementationError(f"backward raised {type(exc).__name__}: {' '.join(str(exc).split())[:150]}") from exc
    if order == 1:
        return x, list(grads) + ([None, None] if not bn.affine else [])
    if grads[0] is None:
        return x, [torch.zeros_like(x)]
    v = tensor_of(case, case.direction, grads[0].dtype)
    try:
        (hv,) = torch.autograd.grad(grads[0], x, grad_outputs=v, allow_unused=True)
    except Exception as exc:
        raise ImplementationError(f"double backward raised {type(exc).__name__}: "
                                  f"{' '.join(str(exc).split())[:140]}") from exc
    return x, [hv if hv is not None else torch.zeros_like(x)]


def _closed_grad(M, y: Sequence, g: Sequence, gamma, eps) -> list:
    """``gamma/s (g - mean(g) - yhat mean(g yhat))`` in any context ``M`` (mp, or jets over mp)."""
    n = len(y)
    mu = M.fsum(y) / n
    s = M.sqrt(M.fsum([(v - mu) ** 2 for v in y]) / n + eps)
    yh = [(v - mu) / s for v in y]
    gbar = M.fsum(g) / n
    gy = M.fsum([a * h for a, h in zip(g, yh)]) / n
    return [gamma / s * (a - gbar - h * gy) for a, h in zip(g, yh)]


def ref_hvp(y: Sequence, g: Sequence, v: Sequence, gamma, eps, dps: int = 60) -> list:
    """``H v`` of ``<g, BN(y)>``: a dual number along ``v`` through the exact gradient (mpmath)."""
    with mpmath.workdps(dps):
        J = JetContext(mpmath.mp, 1)
        out = _closed_grad(J, J.path([mpf_of(a) for a in y], [mpf_of(b) for b in v]),
                           [J.const(mpf_of(a)) for a in g], J.const(mpf_of(gamma)), J.const(mpf_of(eps)))
        return [+o.c[1] for o in out]


def def_hvp(M, y: Sequence, g: Sequence, v: Sequence, gamma, eps, i: int):
    """``(H v)_i`` from the BN definition by polarization: ``(c2(e_i + v) - c2(e_i - v)) / 2``."""
    def c2(d):
        return sum([gk * z.c[2] for gk, z in zip(g, jet_bn(M, y, d, gamma, eps, order=2))], M.mpf(0))

    e = [1 if k == i else 0 for k in range(len(y))]
    return (c2([a + b for a, b in zip(e, v)]) - c2([a - b for a, b in zip(e, v)])) / 2


def def_grad_entry(M, y: Sequence, g: Sequence, gamma, eps, what: str, i: int):
    """``dL/dy_i`` (a dual number along ``e_i`` through the definition), ``dL/dgamma``, ``dL/dbeta``."""
    if what == "input":
        d = [1 if k == i else 0 for k in range(len(y))]
        return sum([gk * z.c[1] for gk, z in zip(g, jet_bn(M, y, d, gamma, eps, order=1))], M.mpf(0))
    if what == "weight":
        return sum([gk * h for gk, h in zip(g, bn_mp.normalize(M, y, eps))], M.mpf(0))
    return sum(g, M.mpf(0))


def _scales(M, y: Sequence, eps, gamma, g: Sequence, v: Sequence, what: str, ymax=None):
    """``kappa`` and the natural scale of entry ``what`` (module docstring), in context ``M``."""
    n = len(y)
    mu = sum(y, M.mpf(0)) / n
    s = M.sqrt(sum([(a - mu) ** 2 for a in y], M.mpf(0)) / n + eps)
    kappa = 1 + max(abs(a) for a in y) / s
    big_g = max([abs(a) for a in g] + [M.mpf(0)])
    yh = ymax if ymax is not None else max(abs((a - mu) / s) for a in y)
    yy = max(yh, M.mpf(1))
    scale = {"input": abs(gamma) / s * big_g * (2 + yh ** 2), "weight": big_g * n * yy, "bias": big_g * n,
             "hvp": abs(gamma) / s ** 2 * big_g * max([abs(a) for a in v] + [M.mpf(0)]) * 3 * n * yy ** 2}[what]
    return kappa, scale


def _judge(case: UserCase, entries: list[tuple[str, int, int, float, Any, list, list, list]], dps: int,
           error: str) -> dict[str, Any]:
    """Worst ``|got - ref| / bound`` over ``(what, channel, index, got, ref, y, g, v)`` entries."""
    c_tol, top = tol("conformance.c"), finite_max(case.dtype) / 4
    worst: dict[str, Any] = {"ratio": -1.0, "skipped": False}
    skipped = False
    with mpmath.workdps(dps):
        for what, c, i, got, ref, ys, gs, vs in entries:
            y = [mpf_of(a) for a in ys]
            kappa, scale = _scales(mpmath.mp, y, mpf_of(case.eps), mpf_of(case.gamma_of(c)), gs, vs, what)
            s3 = (mpmath.mpf(case.eps) + bn_mp.batch_stats(mpmath.mp, y)[1]) ** mpmath.mpf(1.5)
            if abs(ref) > top or scale > top or (what == "hvp" and max(1, abs(case.gamma_of(c))) / s3 > top):
                skipped = True
                continue
            bound = c_tol * kappa * unit_roundoff(case.dtype) * scale
            if not math.isfinite(got):
                err, ratio = math.inf, math.inf
            else:
                d = abs(mpmath.mpf(got) - ref)
                err = float(d)
                ratio = float(d / bound) if bound > 0 else (0.0 if d == 0 else math.inf)
            if ratio > worst["ratio"]:
                worst = {"ratio": ratio, "what": what, "channel": c, "index": i, "value": got,
                         "reference": mpmath.nstr(ref, 17), "abs_error": err, "bound": float(bound),
                         "kappa": float(kappa), "inputs": ys, "upstream_channel": gs, "direction_channel": vs,
                         "gamma_used": case.gamma_of(c), "error": error}
    if worst["ratio"] < 0:
        return {"ratio": 0.0, "skipped": True}
    worst["skipped"] = skipped and worst["ratio"] <= 1.0
    return worst


def evaluate_gradient(bn: UserBN, case: UserCase, dps: int = 60) -> dict[str, Any]:
    """Worst entry of ``dL/dy``, ``dL/dgamma``, ``dL/dbeta`` against :func:`ref_backward`."""
    try:
        x, grads = run_derivatives(bn, case, 1)
        error = ""
    except ImplementationError as exc:
        x, grads, error = input_of(case), [None, None, None], str(exc)
    entries = []
    for c in range(len(case.channels)):
        ys, gs = channel_values(x, c), [float(a) for a in case.upstream[c]]
        dy, dgam, dbet = ref_backward(ys, gs, case.gamma_of(c), case.eps, dps)
        gx = channel_values(grads[0], c) if grads[0] is not None else [math.nan if error else 0.0] * len(ys)
        entries += [("input", c, i, gx[i], dy[i], ys, gs, []) for i in range(len(ys))]
        if bn.affine:
            for what, t, ref in (("weight", grads[1], dgam), ("bias", grads[2], dbet)):
                got = float(t.detach().reshape(-1)[c]) if t is not None else (math.nan if error else 0.0)
                entries.append((what, c, c, got, ref, ys, gs, []))
    return _judge(case, entries, dps, error)


def evaluate_hessian(bn: UserBN, case: UserCase, dps: int = 60) -> dict[str, Any]:
    """Worst entry of the double-backward ``H v`` against :func:`ref_hvp`."""
    try:
        x, (hv,) = run_derivatives(bn, case, 2)
        error = ""
    except ImplementationError as exc:
        x, hv, error = input_of(case), None, str(exc)
    entries = []
    for c in range(len(case.channels)):
        ys = channel_values(x, c)
        gs, vs = [float(a) for a in case.upstream[c]], [float(a) for a in case.direction[c]]
        ref = ref_hvp(ys, gs, vs, case.gamma_of(c), case.eps, dps)
        got = channel_values(hv, c) if hv is not None else [math.nan] * len(ys)
        entries += [("hvp", c, i, got[i], ref[i], ys, gs, vs) for i in range(len(ys))]
    return _judge(case, entries, dps, error)


def _upper(M, xs: Sequence):
    """An exact upper bound of ``max |x|`` over intervals (so a bound built on it only grows)."""
    return M.mpf(max(endpoints(abs(a))[1] for a in xs))


def certify_derivative(case: UserCase, worst: dict[str, Any], dps: int = 60) -> dict[str, Any]:
    """``|got - exact| - bound > 0`` in interval arithmetic, the exact value from the BN definition.

    A non-finite (or missing) value is certified by a finite enclosure of the exact value.
    """
    what, i = worst["what"], worst["index"]
    ys = [Fraction(a) for a in worst["inputs"]]
    gs = [Fraction(a) for a in worst["upstream_channel"]]
    vs = [Fraction(a) for a in worst["direction_channel"]]
    gam, eps = Fraction(worst["gamma_used"]), Fraction(case.eps)
    u, c_tol = Fraction(unit_roundoff(case.dtype)), Fraction(tol("conformance.c"))
    idx = i if what in ("input", "hvp") else 0

    def exact(M, y, g, v, gm, e):
        return def_hvp(M, y, g, v, gm, e, idx) if what == "hvp" else def_grad_entry(M, y, g, gm, e, what, idx)

    if not math.isfinite(worst["value"]):
        def finite(M, y, g, v, gm, e):
            return 1 / (1 + abs(exact(M, y, g, v, gm, e)))  # > 0 exactly when the enclosure is finite
        cert = certify_positive(finite, [ys, gs, vs, gam, eps], dps=dps)
        return {"kind": f"no finite {what} from the implementation; the exact value is finite", **cert.as_dict()}

    def gap(M, y, g, v, gm, e, got, uu, cc):
        n = len(y)
        mu = sum(y, M.mpf(0)) / n
        s = M.sqrt(sum([(a - mu) ** 2 for a in y], M.mpf(0)) / n + e)
        ymax = _upper(M, [(a - mu) / s for a in y])
        kappa, scale = _scales(M, y, e, gm, g, v, what if what != "hvp" else "hvp", ymax=ymax)
        return abs(got - exact(M, y, g, v, gm, e)) - cc * kappa * uu * scale

    cert = certify_positive(gap, [ys, gs, vs, gam, eps, Fraction(worst["value"]), u, c_tol], dps=dps)
    return {"kind": f"|{what} - exact| - c*kappa*u*scale > 0 (exact: BN definition by jets)", **cert.as_dict()}
