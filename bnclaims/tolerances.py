"""The one table of tolerances. Every comparison in the suite reads its threshold here.

Keys are ``<where>.<what>``. Values are floats (relative unless the name says ``abs``) or,
for multiprecision checks, a power of ten applied at the working precision. Failure
messages print the key, the value, the observed error, the precision and the seed.
Add a row here rather than writing a number at the point of use.
"""
from __future__ import annotations

from typing import Any

TOLERANCES: dict[str, float] = {
    # numerics/: identities evaluated in mpmath at ctx.dps digits. Relative error allowed is
    # 10**(-(dps - MP_GUARD_DIGITS)), i.e. the working precision minus guard digits.
    "mp.guard_digits": 10,
    # An identity "holds" on a sample only when the relative error is below this at 60 digits.
    "mp.identity_rel": 1e-40,
    # mpmath numerical differentiation (mp.diff) used as an independent derivative reference.
    "mp.diff_rel": 1e-30,
    # Inequalities: the slack below which "lhs <= rhs" counts as equality within rounding.
    "mp.inequality_abs_slack": 1e-40,
    # Working precision of a BN check on one batch: dps + 2 log10(1 + max|y|/s) + these guard digits
    # (numerics/bn_jacobian.py work_dps; replaces the fixed "+40 digits").
    "mp.conditioning_guard_digits": 20,
    # Singular values below 10**(-dps * this) times the largest count as structural zeros (eps = 0).
    "mp.structural_zero_dps_fraction": 0.5,
    # Extra digits for mpmath.diff second derivatives (numerics/santurkar2018_smoothness.py, Thm 4.2).
    "mp.diff_guard_digits": 20,
    # theory/formula_explicit.py: a float evaluation flags a candidate counterexample when |lhs - rhs| exceeds
    # this times (1 + |lhs| + |rhs|); it only orders the work, the decision is exact (sympy).
    "formula.float_screen_rel": 1e-9,
    # Monte Carlo checks (running averages etc.): tolerance in standard errors.
    "mc.z_score": 5.0,
    # numerics/cai2019_bngd.py: an eigenvalue of H* counts as zero below 10**-(dps - this) * lambda_max.
    "cai.zero_eig_guard_digits": 10,
    # BNGD on OLS: a run has converged when the excess loss J - J* is below this (mpmath re-evaluation),
    "cai.converged_excess": 1e-10,
    # the float64 loop stops early once every run is below converged_excess * this factor,
    "cai.early_stop_factor": 1e-2,
    # and a run counts as diverged (loop stops) once its float64 excess exceeds this.
    "cai.diverged_excess": 1e8,
    # GD divergence certificate: interval excess exceeds this multiple of its initial upper bound.
    "cai.gd_divergence_growth": 1e6,
    # gpu_checks/: Hessian-vector products and eigenvalues against a dense exact Hessian, float64.
    "torch64.hvp_rel": 1e-12,
    "torch64.eig_rel": 1e-10,
    "torch64.symmetry_rel": 1e-12,
    # float32 HVPs: symmetry sanity check v^T(Hw) vs w^T(Hv).
    "torch32.symmetry_rel": 1e-4,
    # Curvature benchmark targets: top-10 from many start vectors (top10_seeds) and the
    # trace (trace_seeds: within this; trace_to_1pct: stops once 2 standard errors <= this).
    "bench.top10_rel_fp32": 1e-6,
    "bench.top10_rel_fp64": 1e-12,
    "bench.trace_rel": 1e-2,
    # ... and cost: one HVP in gradients (fresh graph), and per vector when batched (same run, 1 thread).
    "bench.hvp_cost_ratio": 2.5,
    "bench.hvp_cost_ratio_batched": 2.0,
    # Conformance: forward error allowed = CONF_C * kappa * unit roundoff (kappa = 1 + max|x|/sigma).
    "conformance.c": 64.0,
    # Relative Frobenius difference above which two Hessian paths "disagree".
    "conformance.hessian_disagree_rel": 1e-8,
    # Interval certificates against a float-rounded bound: the bound is enlarged by this factor first.
    "conformance.certificate_bound_margin_rel": 1e-3,
    # numerics/yang2019.py (Yang et al. 2019, Thm 8 table): half a unit in the 4th printed decimal,
    "yang.printed_table_abs": 5e-5,
    # the Richardson-extrapolated limit of lambda_relu(10^k) (k = 29, 30) against the claimed limit,
    "yang.limit_agreement_abs": 1e-30,
    # a large-B rate E phi'^2 / Var phi at the panel precision: affine activations within this of 1,
    "yang.poincare_equality_abs": 1e-25,
    # and quoted closed forms (relu: pi/(pi-1), abs: 1/(1-2/pi)) within this of the quadrature.
    "yang.closed_form_abs": 1e-30,
    # gpu_checks/experiments tests: float64 references (exact paths) and loose smoke bands on small nets
    # (the claims' own bands are on their pre-registered criteria, bnclaims/claims/*).
    "experiments.desmith2020.reference_rel_fp64": 1e-10,
    "experiments.desmith2020.bn_slope_rel": 0.1,
    "experiments.desmith2020.none_log2_growth_rel": 0.1,
    "experiments.meanshift.cosine_abs_fp64": 1e-12,
    "experiments.meanshift.bn_cosine_abs": 0.04,
    "experiments.rao2020.relmean_x_rel": 0.03,
    "experiments.rao2020.loglog_slope_abs": 0.1,
    "experiments.rao2020.pearson_abs_fp64": 1e-12,
    "experiments.yang2019.profile_abs_fp64": 1e-10,
    "experiments.yang2019.linear_rate_rel": 0.05,
    "experiments.yang2019.none_rate_rel": 0.1,
    "experiments.yang2019.constant_upstream_fp32": 1e-05,
    "experiments.yang2019.constant_upstream_fp64": 1e-12,
    "experiments.yang2019.fp32_vs_fp64_rate_rel": 0.001,
    # gpu_checks/experiments/training.py: a GPU rerun of a training run matches within this (relative loss).
    "experiments.training.gpu_loss_rel": 1e-3,
    # -- Hessian spectra by normalizer (gpu_checks/experiments/hessian_spectra.py) --
    # population-statistics loss and Hessian against a hand-written float64 reference (population_stats.py),
    "experiments.hessian_spectra.population_loss_rel_fp64": 1e-12,
    "experiments.hessian_spectra.population_hessian_rel_fp64": 1e-10,
    # a reported Ritz value is within its certified residual plus this (relative to lambda_1) of an exact eigenvalue,
    "experiments.hessian_spectra.ritz_excess_rel": 1e-10,
    # float32 Lanczos + float64 Rayleigh-Ritz against float64 Lanczos (relative to lambda_1), tiny nets,
    "experiments.hessian_spectra.refined_vs_fp64_rel": 1e-6,
    # and the fraction of ||g||^2 in the top-K Ritz space against the exact eigenspace (absolute).
    "experiments.hessian_spectra.grad_fraction_abs": 1e-6,
    # -- Santurkar et al. training experiments (gpu_checks/experiments/santurkar2018.py) --
    # santurkar2018_ics: ||G - G'||, cos against the closed-form deep-linear gradients (float64, numpy).
    "experiments.santurkar2018.ics_closed_form_fp64": 1e-9,
    # santurkar2018_landscape: ||g - grad(w - eta g)|| / eta -> ||H g|| (float64 HVP); the error is O(eta):
    # relative 1e-3 at eta = 1e-5 on the test's small BN net.
    "experiments.santurkar2018.hvp_limit_rel": 1e-3,
    # santurkar2018_noisy: sample mean / std of the injected noise over 40,000 draws per unit (5 sigma: 0.025).
    "experiments.santurkar2018.noise_moment_abs": 0.025,
    # -- test batch size; Thm 4.1/4.2 inside networks (gpu_checks/experiments/rao_batch_size.py, bn_layer_theorems.py) --
    # Rao Fig. 5 protocol, test batch 2: |yhat| = d/sqrt(d^2 + eps) and yhat_1 = -yhat_2 within c kappa u,
    # kappa = 1 + max|y|/sqrt(d^2 + eps) (the same rule as conformance.c).
    "experiments.rao_batch_size.pair_c": 64.0,
    # Thm 4.1/4.2 inside networks: a residual relative to its magnitude (see bn_layer_theorems.py) is
    # rounding when below c * u * kappa * log2(m): u the unit roundoff of the working precision, kappa =
    # 1 + max|y|/s the condition of y - mu, log2(m) for the reductions over the m entries of a unit.
    "experiments.bn_layer_theorems.thm41_c": 8.0,
    "experiments.bn_layer_theorems.thm42_c": 8.0,
}


def tol(key: str) -> float:
    """Look up a tolerance; a missing key is a programming error with a helpful message."""
    try:
        return TOLERANCES[key]
    except KeyError:
        raise KeyError(f"no tolerance {key!r} in bnclaims.tolerances.TOLERANCES "
                       f"(known: {', '.join(sorted(TOLERANCES))})") from None


def mp_rel_tol(dps: int) -> Any:
    """Relative tolerance for an identity evaluated in mpmath at ``dps`` digits."""
    import mpmath

    return mpmath.mpf(10) ** (-(dps - int(TOLERANCES["mp.guard_digits"])))


def describe_failure(key: str, *, value: Any, reference: Any, error: Any, dps: int | None = None,
                     seed: int | None = None, **extra: Any) -> str:
    """A failure message with the numbers: value, reference, error, tolerance, precision, seed."""
    parts = [f"tolerance {key}={TOLERANCES.get(key)!r}", f"value={value}", f"reference={reference}",
             f"error={error}"]
    if dps is not None:
        parts.append(f"dps={dps}")
    if seed is not None:
        parts.append(f"seed={seed}")
    parts += [f"{k}={v}" for k, v in extra.items()]
    return "; ".join(parts)
