"""The scale level of Santurkar et al.'s Theorems 4.1 and 4.2 (catalog C04, C05): the unit-level identities
checked at every BN layer of trained networks, in their working precision.

No claim is registered here: :mod:`bnclaims.claims.bn_gradients` adds these checks to
``santurkar.thm41_grad_norm`` and ``santurkar.thm42_hessian_quadratic_form`` (and their false twins, on the
same cells). The layer-level forms and the tolerance rule are in :mod:`bnclaims.gpu_checks.experiments.bn_layer_theorems`,
derived in :mod:`bnclaims.theory.santurkar2018_layer`.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from bnclaims.scale import plots
from bnclaims.scale.criteria import Band, Criterion, Measure
from bnclaims.scale.experiment import ScaleExperiment, by_preset, scale_check
from bnclaims.verdicts import Outcome

__all__ = ["EXPERIMENT", "thm41_check", "thm42_check"]

Records = Mapping[str, Mapping[str, Any]]


def _designs() -> dict:
    def arms(*specs: tuple) -> dict:
        out = {}
        for name, arch, data, depth, width, steps, batch, lr, dtype in specs:
            out[name] = {"arch": arch, "data": data, "depth": depth, "width": width, "steps": steps, "batch": batch,
                         "lr": lr, "units": 2, "skip": False, "dtype": dtype}
        return out
    mlp = ("MLP", "mlp", "digits", 3, 64)
    conv = ("WRN-8-1", "wrn", "digits_image", 8, 1)
    wrn = ("WRN-26-2", "wrn", "cifar_shaped", 26, 2)
    wrn64 = ("WRN-26-2 float64", "wrn", "cifar_shaped", 26, 2)
    return by_preset(arms,
                     quick=((mlp + (30, 128, 0.1, "float32"), conv + (20, 32, 0.1, "float32")), 3, 60),
                     default=((mlp + (60, 128, 0.1, "float32"), conv + (40, 32, 0.1, "float32")), 5, 120),
                     gpu=((wrn + (200, 128, 0.05, "float32"), wrn64 + (200, 128, 0.05, "float64")), 4, 240))


def _plot(series: tuple[tuple[str, str], ...], title: str):
    def plot(data: dict, path) -> None:
        plots.ratio_by_layer_plot(data, path, entries="per_layer", series=series, title=title,
                                  ylabel="residual / rounding tolerance (floored at 1e-6)")
    return plot


EXPERIMENT = ScaleExperiment(
    name="Thm 4.1 and 4.2 at every BN layer of an MLP and a conv net, at initialization and after training",
    function="bnclaims.gpu_checks.experiments.bn_layer_theorems:layer_theorems", designs=_designs(),
    description=("float32 (and at the gpu preset float64) training on digits / CIFAR-shaped digits; at step 0 "
                 "and after training, on the next training batch, per BN layer: Thm 4.1 per unit (exact eps form "
                 "against the network's own gradient), Thm 4.2 along the layer's gradient and along two units' "
                 "parts of it (HVPs from the layer up), residuals in units of c u kappa log2(m)"))


def _log10_max(key: str) -> Callable[[Records], float]:
    def value(records: Records) -> float:
        return math.log10(max(float(r[key]) for r in records.values()))
    value.__name__ = f"log10_{key}"
    return value


def _min(key: str) -> Callable[[Records], float]:
    def value(records: Records) -> float:
        return min(float(r[key]) for r in records.values())
    value.__name__ = f"min_{key}"
    return value


def _untouched(records: Records) -> float:
    return float(all(r["buffers_unchanged"] for r in records.values()))


_PRE = (Measure("units with a gradient", "fewest units with a nonzero upstream gradient over the arms", Band(1.0),
                _min("units_checked")),
        Measure("running statistics untouched", "1 when every analysis left the running statistics bit-identical",
                Band(1.0, 1.0), _untouched))
_RULE = ("log10 of the largest residual over arms, steps, BN layers and units/directions, in units of its rounding "
         "tolerance c u kappa log2(m) (bnclaims.tolerances: experiments.bn_layer_theorems.*)")


def _criterion(tests: tuple[Measure, ...], reported: tuple[Measure, ...], reading: str) -> Criterion:
    return Criterion(quantity=_RULE, reading=reading, tests=tests, data_preconditions=_PRE, reported=reported)


THM41 = _criterion(
    (Measure("Thm 4.1 exact form", "||v_j||^2 against gamma^2/s^2 (||g||^2 - <1,g>^2/m - (2-r)/m <g,yhat>^2), per unit",
             Band(hi=0.0), _log10_max("thm41_identity")),
     Measure("Thm 4.1 bound with s^2", "excess of ||v_j||^2 over the 1/m form with sigma^2 -> s^2, per unit",
             Band(hi=0.0), _log10_max("thm41_bound"))),
    (Measure("printed eps = 0 form", "log10 relative deviation of the eps = 0 identity (sigma^2) at torch's eps",
             Band(), _log10_max("thm41_eps0_rel")),),
    "every residual within its rounding tolerance (log10 ratio <= 0)")
THM41_TWIN = _criterion(
    (Measure("2/m form", "excess of ||v_j||^2 over gamma^2/s^2 (||g||^2 - <1,g>^2/m - 2/m <g,yhat>^2), per unit",
             Band(hi=0.0), _log10_max("thm41_twin")),), (),
    "the 2/m bound within rounding at every unit (log10 ratio <= 0)")
THM42 = _criterion(
    (Measure("Thm 4.2 exact form", "w^T Hhat w against (Jw)^T H (Jw) + BN term, w = layer gradient or one unit's part",
             Band(hi=0.0), _log10_max("thm42_identity")),),
    (Measure("printed eps = 0 form", "log10 relative deviation of the eps = 0 form (gamma/sigma, no eps terms)",
             Band(), _log10_max("thm42_eps0_rel")),),
    "every residual within its rounding tolerance (log10 ratio <= 0)")
THM42_TWIN = _criterion(
    (Measure("sign-flipped BN term", "w^T Hhat w against (Jw)^T H (Jw) - BN term", Band(hi=0.0),
             _log10_max("thm42_twin")),), (),
    "the sign-flipped form within rounding everywhere (log10 ratio <= 0)")

EXPERIMENT_PLOT = {
    "santurkar.thm41_grad_norm": _plot((("thm41_identity", "Thm 4.1 (2-r)/m form"), ("thm41_twin", "twin: 2/m")),
                                       "Santurkar Thm 4.1 inside networks: residual per BN layer"),
    "santurkar.thm42_hessian_quadratic_form": _plot((("thm42_identity", "Thm 4.2 eps form"),
                                                     ("thm42_twin", "twin: BN term sign flipped")),
                                                    "Santurkar Thm 4.2 inside networks: residual per BN layer"),
}

_DOC41 = ("Santurkar et al. 2018, Thm 4.1, at every BN layer of trained networks: each unit's ||dLhat/dy_j||^2 from the "
          "network's own backward pass against the exact eps > 0 form (its eps = 0 case is the printed 1/m identity; "
          "torch's eps = 1e-5 shifts the printed form by ~1e-4 relative, far above float32 rounding).")
_DOC42 = ("Santurkar et al. 2018, Thm 4.2, at every BN layer of trained networks: the quadratic form of the loss "
          "Hessian with respect to the layer's pre-BN activations along the gradient (HVP, double backward) against "
          "the layer-level eps > 0 form derived in theory/santurkar2018_layer.py.")


def _check(claim_id: str, criterion: Criterion, doc: str) -> Callable[[Any], Outcome]:
    exp = ScaleExperiment(EXPERIMENT.name, EXPERIMENT.function, EXPERIMENT.designs,
                          plot=EXPERIMENT_PLOT.get(claim_id.removesuffix(".twin")), description=EXPERIMENT.description)
    return scale_check(exp, criterion, claim_id=claim_id, doc=doc)


def thm41_check(twin: bool = False) -> Callable[[Any], Outcome]:
    """The scale check of ``santurkar.thm41_grad_norm`` (or of its 2/m twin)."""
    cid = "santurkar.thm41_grad_norm" + (".twin" if twin else "")
    return _check(cid, THM41_TWIN if twin else THM41, _DOC41)


def thm42_check(twin: bool = False) -> Callable[[Any], Outcome]:
    """The scale check of ``santurkar.thm42_hessian_quadratic_form`` (or of its sign-flipped twin)."""
    cid = "santurkar.thm42_hessian_quadratic_form" + (".twin" if twin else "")
    return _check(cid, THM42_TWIN if twin else THM42, _DOC42)
