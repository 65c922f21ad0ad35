"""Batch size one in training mode: a batch of one value per channel has zero variance.

``yhat = (x - mu) / sqrt(0 + eps) = 0`` for every input (Ioffe & Szegedy 2015, Alg. 1), so
training silently outputs ``beta``; torch refuses with ``ValueError("Expected more than 1 value
per channel when training ...")`` (``pytorch_batchnorm_docs``). The check feeds one value per
channel through each entry point and requires a raised error naming the cause, while inputs
with two values per channel (``(1, C, 2, 1)``) and eval mode with one sample must still run.
"""
from __future__ import annotations

from typing import Any

import torch

from bnclaims import Context, Outcome, Verdict
from bnclaims.conformance.planted import Implementation, planted_bn
from bnclaims.conformance.threads import single_threaded

__all__ = ["check_batch_size_one", "unguarded_impl"]


def unguarded_impl() -> Implementation:
    """Planted: plain BN without the guard (it returns ``beta`` for a batch of one)."""
    from bnclaims.conformance.planted import FunctionalBN

    def fn(x, rm, rv, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
        if training and x.numel() // x.shape[1] <= 1:
            x2 = torch.cat([x, x])
            return planted_bn(x2, rm, rv, weight, bias, training, momentum, eps)[: x.shape[0]]
        return planted_bn(x, rm, rv, weight, bias, training, momentum, eps)

    return Implementation("unguarded", fn, lambda n, sd, mom, eps, dt: FunctionalBN(fn, n, mom, eps, dt),
                          "plain BN with no batch-size guard")


def _call(impl: Implementation, entry: str, x: torch.Tensor, b: torch.Tensor, sd: int) -> torch.Tensor:
    if entry == "functional":
        return impl.functional(x, None, None, None, b, True, 0.1, 1e-5)
    mod = impl.module(3, sd, 0.1, 1e-5, x.dtype)
    with torch.no_grad():
        mod.bias.copy_(b)
    return mod(x)


def _reverify(impl: Implementation, entry: str, x: torch.Tensor, b: torch.Tensor, sd: int) -> dict[str, Any]:
    """Exact re-verification of a violation: run the same call again and compare exactly.

    No error: the output must equal ``beta`` bit for bit (``yhat = 0``: the silent degenerate
    output). An error without the cause in its message: the same message again.
    """
    try:
        out = _call(impl, entry, x, b, sd)
    except (ValueError, RuntimeError) as exc:
        clear = "1 value per channel" in str(exc)
        return {"kind": "re-run raises again without naming the cause", "message": str(exc), "exact": not clear}
    equal = bool(torch.equal(out.detach().reshape(-1), b.reshape(-1)))
    return {"kind": "re-run: no error, and the output equals beta exactly (yhat = 0)", "exact": equal}


@single_threaded
def check_batch_size_one(ctx: Context, impl: Implementation) -> Outcome:
    """Every one-value-per-channel training input must raise a clear error; valid ones must run."""
    gen = torch.Generator().manual_seed(ctx.rng("bs1").randrange(2 ** 31))
    rows: list[dict[str, Any]] = []
    bad = None
    bad_call: tuple[str, torch.Tensor, torch.Tensor, int] | None = None
    for dtype in (torch.float64, torch.float32):
        for shape, sd in (((1, 3), 1), ((1, 3, 1, 1), 2)):
            x = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
            b = torch.randn(3, generator=gen, dtype=torch.float64).to(dtype)
            for entry in ("functional", "module"):
                try:
                    out = _call(impl, entry, x, b, sd)
                    row = {"shape": list(shape), "dtype": str(dtype), "entry": entry, "raised": None,
                           "output": out.detach().to(torch.float64).flatten().tolist()}
                except (ValueError, RuntimeError) as exc:
                    clear = "1 value per channel" in str(exc)
                    row = {"shape": list(shape), "dtype": str(dtype), "entry": entry,
                           "raised": f"{type(exc).__name__}: {exc}", "clear": clear}
                rows.append(row)
                if (row["raised"] is None or not row.get("clear")) and bad is None:
                    bad = row
                    bad_call = (entry, x, b, sd)
    # controls: two values per channel, and eval mode with one sample, must run
    controls = {}
    for name, shape, training in (("(1,3,2,1) train", (1, 3, 2, 1), True), ("(1,3) eval", (1, 3), False)):
        x = torch.randn(shape, generator=gen, dtype=torch.float64)
        try:
            impl.functional(x, torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64),
                            None, None, training, 0.1, 1e-5)
            controls[name] = "ran"
        except (ValueError, RuntimeError) as exc:
            controls[name] = f"raised {exc}"
    ev = {"implementation": impl.description, "cases": rows, "controls": controls}
    scope = "training mode, shapes (1,3) and (1,3,1,1), float64/float32, functional and module; controls"
    if bad is None and all(v == "ran" for v in controls.values()):
        return Outcome(Verdict.HOLDS, scope, ev)
    if bad is not None and bad_call is not None:
        ev["counterexample"] = bad
        ev["certificate"] = _reverify(impl, *bad_call)
        return Outcome(Verdict.REFUTED if ev["certificate"]["exact"] else Verdict.INCONCLUSIVE, scope, ev)
    return Outcome(Verdict.INCONCLUSIVE, scope, ev)
