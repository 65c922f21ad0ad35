"""Batch Norm conventions across frameworks, stated as data, with the mapping between them checked.

Sources: ``pytorch_batchnorm_docs`` (torch.nn.BatchNorm2d), ``keras_batchnorm_docs``
(keras.layers.BatchNormalization), ``flax_batchnorm_docs`` (flax.linen.BatchNorm),
``cntk_batchnorm_docs`` (CNTK BatchNormalization), all read from the documentation; none of
Keras/Flax/CNTK is installed here, so their rows are documentation, not executed code.
:func:`check_mapping` verifies the stated mapping by simulating ``k`` identical batches under
each convention (exact rationals; CNTK's ``exp`` in mpmath) against the closed form
``r_k = (1 - p)^k r_0 + (1 - (1 - p)^k) b``, and confirms that the *unmapped* parameters disagree.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath

__all__ = ["FRAMEWORKS", "render_table", "check_mapping", "torch_momentum_from"]

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
                 "Checked by conformance.conventions.check_mapping (k identical batches, exact).")
    return "\n".join(lines)


def torch_momentum_from(framework: str, value: Any, m: int | None = None) -> Any:
    """The torch momentum ``p`` equivalent to a framework's momentum parameter."""
    if framework == "torch":
        return value
    if framework in ("keras", "flax"):
        return 1 - value
    if framework == "cntk":
        if value == 0:
            return 1
        return 1 - mpmath.exp(-mpmath.mpf(m) / value)
    raise ValueError(f"unknown framework {framework!r}")


def _simulate(keep: Any, batch: Any, r0: Any, k: int) -> Any:
    r = r0
    for _ in range(k):
        r = keep * r + (1 - keep) * batch
    return r


def check_mapping(k_max: int = 6) -> dict[str, Any]:
    """Simulate k = 1..k_max identical batches per convention; mapped parameters must agree exactly.

    Batch: mean 3/2, biased variance 5/4 with m = 5, so unbiased 25/16. torch(p) with unbiased
    storage, Keras/Flax(q = 1 - p) with biased storage times m/(m-1), the closed form, and CNTK
    with T = -m / log(1 - p) all give the same running statistics; Keras with q = p does not.
    """
    m, mu, vb = 5, Fraction(3, 2), Fraction(5, 4)
    vu = vb * m / (m - 1)
    rows, ok = [], True
    for p in (Fraction(1, 10), Fraction(3, 10), Fraction(1, 100)):
        q = 1 - p
        for k in range(1, k_max + 1):
            t_mean = _simulate(1 - p, mu, Fraction(0), k)
            t_var = _simulate(1 - p, vu, Fraction(1), k)
            k_mean = _simulate(q, mu, Fraction(0), k)
            k_var_b = _simulate(q, vb, Fraction(1), k)
            closed_mean = (1 - (1 - p) ** k) * mu
            closed_var = (1 - p) ** k + (1 - (1 - p) ** k) * vu
            # biased -> unbiased: only the batch part of the blend is rescaled by m/(m-1)
            k_var_mapped = k_var_b + (1 - q ** k) * (vu - vb)
            flipped = _simulate(p, mu, Fraction(0), k)
            with mpmath.workdps(50):
                T = -mpmath.mpf(m) / mpmath.log(1 - mpmath.mpf(p.numerator) / p.denominator)
                pc = torch_momentum_from("cntk", T, m)
                c_mean = _simulate(1 - pc, mpmath.mpf(mu.numerator) / mu.denominator, 0, k)
                cntk_ok = abs(c_mean - mpmath.mpf(closed_mean.numerator) / closed_mean.denominator) < mpmath.mpf(10) ** -40
            good = (t_mean == k_mean == closed_mean and t_var == closed_var == k_var_mapped and cntk_ok
                    and (flipped != t_mean))
            ok = ok and good
            if k in (1, k_max):
                rows.append({"p": str(p), "k": k, "torch_mean": str(t_mean), "keras_mean(q=1-p)": str(k_mean),
                             "torch_var": str(t_var), "keras_var_mapped": str(k_var_mapped),
                             "keras_mean(q=p, unmapped)": str(flipped), "cntk_T": mpmath.nstr(T, 12),
                             "agree": good})
    return {"ok": ok, "batch": {"m": m, "mean": str(mu), "biased_var": str(vb)}, "rows": rows}
