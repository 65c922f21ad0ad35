"""Batch Norm conventions across frameworks as data, and the torch mapping checked against torch.

Sources: ``pytorch_batchnorm_docs`` (torch.nn.BatchNorm2d), ``keras_batchnorm_docs``
(keras.layers.BatchNormalization: ``moving = moving * momentum + batch * (1 - momentum)``),
``flax_batchnorm_docs`` (flax.linen.BatchNorm: ``ra = momentum * ra + (1 - momentum) * batch``,
biased variance stored), ``cntk_batchnorm_docs`` (CNTK BatchNormalization: a first-order
low-pass filter with time constant ``T`` samples, so a minibatch of ``m`` samples gets the
weight ``1 - exp(-m/T)``; ``T = 0``: only the last batch; ``T = inf``: cumulative average).
None of Keras/Flax/CNTK is installed here: their update rules are *data* (:data:`RULES`),
transcribed from the documentation. The implementation under test is the real
``torch.nn.BatchNorm1d``: :func:`check_mapping` runs the documented rule of framework ``F``
with its own parameter (exactly, in mpmath), converts it with the stated mapping
(:data:`MAPPINGS`: torch ``p`` from ``F``'s parameter; ``F``'s stored batch variance times
``m/(m-1)``) and compares with what torch stores after ``k`` identical and ``k`` different
batches, within ``c (k+1) u`` (mean) and ``c (k+1) u kappa^2`` (variance), as
:mod:`bnclaims.conformance.running_stats`. A wrong mapping (:data:`WRONG_MAPPINGS`: ``p = q``, no
``m/(m-1)``, CNTK's keep-weight used as ``p``) goes through the same comparison and must be
refuted, with an interval certificate of ``|torch - mapped rule| - bound > 0``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import mpmath

from bnclaims.tolerances import tol
from bnclaims.numerics.intervals import certify_positive

__all__ = ["FRAMEWORKS", "render_table", "torch_momentum_from", "DocumentedRule", "RULES", "Mapping",
           "MAPPINGS", "WRONG_MAPPINGS", "documented_run", "check_mapping"]

INF = "inf"  # CNTK's T = infinity (cumulative average)

#: One row per framework; ``update`` is the running-average rule with its own momentum symbol.
FRAMEWORKS: tuple[dict[str, str], ...] = (
    {"framework": "PyTorch (nn.BatchNorm*d, F.batch_norm)", "bibkey": "pytorch_batchnorm_docs",
     "momentum_default": "0.1", "update": "r <- (1 - p) r + p b",
     "momentum=None": "cumulative average (p = 1/k at step k)",
     "normalize_with": "biased var (1/m)", "stored_var": "unbiased (1/(m-1))",
     "eps_default": "1e-5", "eps_placement": "inside sqrt", "to_torch_p": "p"},
    {"framework": "Keras 3 / tf.keras BatchNormalization", "bibkey": "keras_batchnorm_docs",
     "momentum_default": "0.99", "update": "r <- q r + (1 - q) b", "momentum=None": "n/a",
     "normalize_with": "biased var (1/m)", "stored_var": "biased (1/m) [standalone Keras 2.1.3+ used 1/(m-1), keras#9028]",
     "eps_default": "1e-3", "eps_placement": "inside sqrt (Keras CNTK backend: outside until keras#10427)",
     "to_torch_p": "1 - q"},
    {"framework": "Flax linen.BatchNorm", "bibkey": "flax_batchnorm_docs",
     "momentum_default": "0.99", "update": "r <- q r + (1 - q) b", "momentum=None": "n/a",
     "normalize_with": "biased var (1/m); use_fast_variance=True: E[x^2]-E[x]^2 clipped at 0",
     "stored_var": "biased (1/m)", "eps_default": "1e-5", "eps_placement": "inside sqrt",
     "to_torch_p": "1 - q"},
    {"framework": "CNTK BatchNormalization", "bibkey": "cntk_batchnorm_docs",
     "momentum_default": "normalizationTimeConstant T = 0 (docs: 'not typically what you want')",
     "update": "first-order low-pass filter, time constant T samples", "momentum=None": "T = inf: cumulative",
     "normalize_with": "var of the minibatch", "stored_var": "not stated in the docs",
     "eps_default": "1e-5", "eps_placement": "inside sqrt ('added to the variance')",
     "to_torch_p": "1 - exp(-m/T) for minibatches of m samples (T = 0: p = 1)"},
)

_COLS = ("framework", "momentum_default", "update", "to_torch_p", "stored_var", "eps_default", "eps_placement")


def render_table() -> str:
    """The conventions table as Markdown (``bnclaims show conformance``)."""
    lines = ["| " + " | ".join(_COLS) + " |", "|" + "---|" * len(_COLS)]
    lines += ["| " + " | ".join(row[c] for c in _COLS) + " |" for row in FRAMEWORKS]
    lines.append("")
    lines.append("Mapping: torch p = 1 - q (Keras/Flax momentum q) = 1 - exp(-m/T) (CNTK). Stored variance: "
                 "torch keeps the batch variance times m/(m-1); Keras 3/Flax keep it as is. "
                 "Checked by conformance.conventions.check_mapping: each documented rule, mapped, against what "
                 "torch.nn.BatchNorm1d stores after k identical and k different batches.")
    return "\n".join(lines)




@dataclass(frozen=True)
class DocumentedRule:
    """A framework's documented running-statistics rule: ``r <- keep r + (1 - keep) b``.

    ``keep(M, param, m, step)`` is the weight on the stored value when a batch of ``m`` samples
    arrives at step ``step`` (1-based), evaluated in the number system ``M`` (``mpmath`` or
    ``mpmath.iv``); ``stored_var`` is ``"biased"`` (1/m), ``"unbiased"`` (1/(m-1)) or ``None``
    (not stated by the documentation: the variance is then not compared). Initial state: mean 0,
    variance 1 (torch's buffers; Keras' and Flax's default initializers zeros/ones).
    """

    framework: str
    bibkey: str
    rule: str
    keep: Callable[[Any, Any, int, int], Any]
    stored_var: str | None
    params: tuple[Any, ...]


def _cntk_keep(M: Any, T: Any, m: int, step: int) -> Any:
    if T == INF:
        return M.mpf(step - 1) / step
    if T == 0:
        return M.mpf(0)
    return M.exp(-M.mpf(m) / (M.mpf(T.numerator) / T.denominator))


#: The documented rules (data, from the documentation; not executed framework code).
RULES: dict[str, DocumentedRule] = {
    "keras": DocumentedRule("Keras", "keras_batchnorm_docs", "moving = moving * q + batch * (1 - q)",
                            lambda M, q, m, k: M.mpf(q.numerator) / q.denominator, "biased",
                            (Fraction(99, 100), Fraction(9, 10), Fraction(1, 2))),
    "flax": DocumentedRule("Flax", "flax_batchnorm_docs", "ra = q * ra + (1 - q) * batch",
                           lambda M, q, m, k: M.mpf(q.numerator) / q.denominator, "biased",
                           (Fraction(99, 100), Fraction(3, 4))),
    "cntk": DocumentedRule("CNTK", "cntk_batchnorm_docs", "low-pass filter, time constant T samples: "
                           "new-batch weight 1 - exp(-m/T); T = 0 last batch; T = inf cumulative",
                           _cntk_keep, None, (Fraction(10), Fraction(200), Fraction(0), INF)),
}


@dataclass(frozen=True)
class Mapping:
    """A stated mapping to torch: the momentum ``p`` for ``nn.BatchNorm1d`` (``None`` = cumulative)
    from the framework's parameter and the batch size, and the factor turning the framework's
    stored batch variance into torch's (``m/(m-1)`` for a biased-storing framework)."""

    text: str
    momentum: Callable[[Any, int], Any]
    var_scale: Callable[[int], Fraction]


def _cntk_p(T: Any, m: int) -> Any:
    if T == INF:
        return None
    if T == 0:
        return Fraction(1)
    with mpmath.workdps(30):
        return 1 - mpmath.exp(-mpmath.mpf(m) / (mpmath.mpf(T.numerator) / T.denominator))


def _bessel(m: int) -> Fraction:
    return Fraction(m, m - 1)


#: The mapping stated in the table (``to_torch_p`` column and the stored-variance note).
MAPPINGS: dict[str, Mapping] = {
    "keras": Mapping("p = 1 - q; running_var = m/(m-1) x Keras' (biased) batch variance",
                     lambda q, m: 1 - q, _bessel),
    "flax": Mapping("p = 1 - q; running_var = m/(m-1) x Flax's (biased) batch variance",
                    lambda q, m: 1 - q, _bessel),
    "cntk": Mapping("p = 1 - exp(-m/T) (T = 0: p = 1; T = inf: momentum=None)", _cntk_p, _bessel),
}

#: Planted wrong mappings: each must be refuted by :func:`check_mapping`.
WRONG_MAPPINGS: dict[str, dict[str, Mapping]] = {
    "q_equals_p": {"keras": Mapping("p = q (the Keras momentum pasted into torch)", lambda q, m: q, _bessel)},
    "no_bessel": {"flax": Mapping("p = 1 - q, biased variance stored as is", lambda q, m: 1 - q,
                                  lambda m: Fraction(1))},
    "cntk_keep_as_p": {"cntk": Mapping("p = exp(-m/T) (keep-weight used as momentum)",
                                       lambda T, m: None if T == INF else (
                                           Fraction(0) if T == 0 else 1 - _cntk_p(T, m)), _bessel)},
}


def torch_momentum_from(framework: str, value: Any, m: int | None = None) -> Any:
    """The torch momentum ``p`` equivalent to a framework's momentum parameter (:data:`MAPPINGS`)."""
    if framework == "torch":
        return value
    if framework not in MAPPINGS:
        raise ValueError(f"unknown framework {framework!r}")
    return MAPPINGS[framework].momentum(value, m if m is not None else 1)


def _stats(M: Any, batch: list[Fraction], stored: str | None) -> tuple[Any, Any]:
    """Batch mean and stored variance (1/m or 1/(m-1)) in ``M`` from exact rationals."""
    m = len(batch)
    mu = sum(batch, Fraction(0)) / m
    ss = sum([(v - mu) ** 2 for v in batch], Fraction(0))
    var = ss / (m - 1) if stored == "unbiased" else ss / m
    return M.mpf(mu.numerator) / mu.denominator, M.mpf(var.numerator) / var.denominator


def documented_run(M: Any, rule: DocumentedRule, param: Any, mapping: Mapping,
                   batches: list[list[Fraction]]) -> list[tuple[Any, Any]]:
    """The documented rule with its own parameter, the stored variance converted by ``mapping``:
    the running (mean, variance) that torch should hold after each step if the mapping is right."""
    rm, rv, out = M.mpf(0), M.mpf(1), []
    for step, b in enumerate(batches, start=1):
        keep = rule.keep(M, param, len(b), step)
        mu, var = _stats(M, b, rule.stored_var or "biased")
        s = mapping.var_scale(len(b))
        rm = keep * rm + (1 - keep) * mu
        rv = keep * rv + (1 - keep) * (M.mpf(s.numerator) / s.denominator) * var
        out.append((rm, rv))
    return out


def _torch_run(p: Any, batches: list[list[Fraction]], dtype: str) -> list[tuple[float, float]]:
    import torch

    dt = getattr(torch, dtype)
    mod = torch.nn.BatchNorm1d(1, momentum=None if p is None else float(p), dtype=dt)
    mod.train()
    out = []
    with torch.no_grad():
        for b in batches:
            mod(torch.tensor([[float(v)] for v in b], dtype=dt))
            out.append((float(mod.running_mean[0]), float(mod.running_var[0])))
    return out


def _scenarios(k: int, seed: int) -> dict[str, list[list[Fraction]]]:
    """``k`` copies of one batch (m = 5), and ``k`` different batches of one size m in 2..7.

    One batch size per scenario: torch takes one momentum, while CNTK's weight depends on m.
    Values are ``3 + j/4`` for integers j in -8..8 (exact in float32 and float64).
    """
    import random

    rng = random.Random(seed)
    same = [Fraction(v, 4) + 3 for v in (0, 1, 1, 2, 6)]
    m, diff = rng.randint(2, 7), []
    for _ in range(k):
        col = [rng.randint(-8, 8) for _ in range(m)]
        if len(set(col)) == 1:
            col[0] += 1
        diff.append([Fraction(v, 4) + 3 for v in col])
    return {"identical": [same] * k, "different": diff}


def _bound_parts(batches: list[list[Fraction]], step: int, dtype: str) -> tuple[Fraction, Fraction, Fraction]:
    """Exact pieces of the bound after ``step`` steps: c (step+1) u, max(max|x|, 1), min biased variance."""
    u = Fraction(1, 2 ** 53) if dtype == "float64" else Fraction(1, 2 ** 24)
    seen = [_extent(tuple(b)) for b in batches[:step]]
    big = max(max(e[0] for e in seen), Fraction(1))
    return Fraction(tol("conformance.c")) * (step + 1) * u, big, min(e[1] for e in seen)


@functools.lru_cache(maxsize=256)
def _extent(batch: tuple[Fraction, ...]) -> tuple[Fraction, Fraction]:
    """max|x| and the biased variance of one batch, exactly."""
    mu = sum(batch, Fraction(0)) / len(batch)
    return max(abs(v) for v in batch), sum([(v - mu) ** 2 for v in batch], Fraction(0)) / len(batch)


def _bound(M: Any, ref: Any, cu: Any, big: Any, vmin: Any, is_var: bool) -> Any:
    """Mean: ``c (k+1) u max(max|x|, 1)``; variance: ``c (k+1) u kappa^2 |ref|``, kappa = 1 + max|x|/sigma_min."""
    if is_var:
        return cu * (1 + big / M.sqrt(vmin)) ** 2 * abs(ref)
    return cu * big


def _certify(case: dict[str, Any], dps: int) -> dict[str, Any]:
    """Interval enclosure of ``|torch value - mapped documented rule| - bound`` from the exact batches."""
    rule, param, mapping, batches = case["rule"], case["param"], case["mapping"], case["batches"]
    step, is_var = case["step"], case["stat"] == "running_var"
    cu, big, vmin = _bound_parts(batches, step, case["dtype"])

    def gap(M, value, cu_, big_, vmin_):
        ref = documented_run(M, rule, param, mapping, batches[:step])[-1][1 if is_var else 0]
        return abs(value - ref) - _bound(M, ref, cu_, big_, vmin_, is_var)

    cert = certify_positive(gap, [Fraction(case["value"]), cu, big, vmin], dps=dps)
    return {"kind": f"|torch {case['stat']} - mapped documented rule| - bound > 0", **cert.as_dict()}


def check_mapping(k_max: int = 6, mappings: dict[str, Mapping] | None = None, seed: int = 0,
                  dps: int = 60, dtypes: tuple[str, ...] = ("float64", "float32")) -> dict[str, Any]:
    """Each documented rule under its mapping vs ``torch.nn.BatchNorm1d``, k identical/different batches.

    Returns ``ok`` (every stored statistic within its bound), ``refuted`` (the worst violation
    certified by interval arithmetic), the largest error/bound with its case, and the certificate.
    torch is imported here (single-threaded), so ``render_table`` stays torch-free.
    """
    from bnclaims.conformance.threads import single_threaded

    return single_threaded(_check_mapping)(k_max, mappings, seed, dps, dtypes)


def _check_mapping(k_max: int = 6, mappings: dict[str, Mapping] | None = None, seed: int = 0,
                  dps: int = 60, dtypes: tuple[str, ...] = ("float64", "float32")) -> dict[str, Any]:
    maps = MAPPINGS if mappings is None else mappings
    worst: dict[str, Any] = {"ratio": -1.0}
    case: dict[str, Any] = {}
    rows = []
    for fw, mapping in sorted(maps.items()):
        rule = RULES[fw]
        for param in rule.params:
            for name, batches in _scenarios(k_max, seed).items():
                p = mapping.momentum(param, len(batches[0]))
                with mpmath.workdps(dps):
                    ref = documented_run(mpmath.mp, rule, param, mapping, batches)
                for dtype in dtypes:
                    got = _torch_run(p, batches, dtype)
                    row_ratio = 0.0
                    for step, ((tm, tv), (rm, rv)) in enumerate(zip(got, ref), start=1):
                        parts = _bound_parts(batches, step, dtype)
                        stats = [("running_mean", tm, rm)] + ([("running_var", tv, rv)] if rule.stored_var else [])
                        for stat, val, rr in stats:
                            with mpmath.workdps(dps):
                                cu, big, vmin = (mpmath.mpf(x.numerator) / x.denominator for x in parts)
                                err = abs(mpmath.mpf(val) - rr)
                                ratio = float(err / _bound(mpmath.mp, rr, cu, big, vmin, stat == "running_var"))
                            ratio = ratio if val == val else float("inf")
                            row_ratio = max(row_ratio, ratio)
                            if ratio > worst["ratio"]:
                                worst = {"ratio": ratio, "framework": fw, "param": str(param), "scenario": name,
                                         "dtype": dtype, "step": step, "stat": stat,
                                         "torch_momentum": None if p is None else float(p), "torch_value": val,
                                         "mapped_rule": mpmath.nstr(rr, 20),
                                         "batches": [[str(v) for v in b] for b in batches[:step]]}
                                case = {"rule": rule, "param": param, "mapping": mapping, "batches": batches,
                                        "step": step, "stat": stat, "dtype": dtype, "value": val}
                    rows.append({"framework": fw, "param": str(param), "scenario": name, "dtype": dtype,
                                 "k": len(batches), "m": len(batches[0]),
                                 "torch_momentum": None if p is None else float(p),
                                 "max_error_over_bound": row_ratio, "final_torch": list(got[-1]),
                                 "final_mapped_rule": [mpmath.nstr(v, 17) for v in ref[-1]]})
    ok = worst["ratio"] <= 1.0
    out: dict[str, Any] = {"ok": ok, "refuted": False, "k_max": k_max, "seed": seed, "dps": dps,
                           "mappings": {fw: mp_.text for fw, mp_ in sorted(maps.items())},
                           "rules": {fw: RULES[fw].rule for fw in sorted(maps)},
                           "variance_compared": {fw: RULES[fw].stored_var is not None for fw in sorted(maps)},
                           "max_error_over_bound": worst["ratio"], "worst_case": worst, "rows": rows}
    if not ok:
        out["certificate"] = _certify(case, dps)
        out["refuted"] = bool(out["certificate"]["certified"])
    return out
