"""Tests for bnclaims.claims.hessian_spectra: the pre-registered criteria of rao.hessian_outliers and
ghorbani.population_stats_ill_conditioning decide as written on synthetic records, and the designs share cells."""
import math

import pytest

from bnclaims.claims import hessian_spectra as H
from bnclaims.scale.verdict import decide
from bnclaims.verdicts import Verdict


def _spec(ratio10, positive=True):
    lr = math.log(ratio10)
    return {"log_ratio": [lr - 0.1, lr, lr + 0.1], "grad_fraction": [0.5, 0.5, 0.5],
            "lambda_k_certified_positive": [positive] * 3}


def _records(ln, others, pop=None, none=None, positive=True):
    recs = {a: {"spectra": {"train": [_spec(2.0), _spec(others), _spec(others)]}} for a in H.NORMS}
    recs["LN"]["spectra"]["train"] = [_spec(2.0), _spec(ln), _spec(ln, positive)]
    if none is not None:
        recs["none"]["spectra"]["train"] = [_spec(2.0), _spec(none), _spec(none)]
    if pop is not None:
        recs["BN"]["spectra"]["population"] = [_spec(2.0), _spec(pop), _spec(pop)]
    return recs


def _decide(criterion, seeds):
    return decide(criterion, seeds).verdict


def test_ln_above_every_other_normalizer_holds_and_below_is_refuted():
    crit = H._rao_criterion(False)
    assert _decide(crit, [_records(6.0 + 0.1 * s, 3.0) for s in range(4)]) is Verdict.HOLDS
    assert _decide(crit, [_records(3.0 + 0.1 * s, 6.0) for s in range(4)]) is Verdict.REFUTED


def test_a_lambda_k_interval_touching_zero_makes_the_verdict_inconclusive():
    seeds = [_records(6.0 + 0.1 * s, 3.0) for s in range(4)]
    seeds[2] = _records(6.2, 3.0, positive=False)
    assert _decide(H._rao_criterion(False), seeds) is Verdict.INCONCLUSIVE


def test_the_margin_is_ln_minus_the_largest_other_arm():
    recs = _records(4.0, 2.0)
    recs["BMLV"]["spectra"]["train"][-1] = _spec(5.0)
    assert H._ln_margin(H.END)(recs) == math.log(4.0) - math.log(5.0)


def test_population_statistics_criterion_needs_outliers_without_normalization():
    crit = H._ghorbani_criterion(False)
    bring_back = [_records(3, 3, pop=6.0 + 0.1 * s, none=8.0) for s in range(4)]
    for r in bring_back:
        for spec in r["BN"]["spectra"]["population"]:
            spec["grad_fraction"] = [0.9] * 3
    assert _decide(crit, bring_back) is Verdict.HOLDS
    no_outliers = [_records(3, 3, pop=6.0 + 0.1 * s, none=1.5) for s in range(4)]
    assert _decide(crit, no_outliers) is Verdict.INCONCLUSIVE
    suppress = [_records(3, 3, pop=1.5 + 0.01 * s, none=8.0) for s in range(4)]
    assert _decide(crit, suppress) is Verdict.REFUTED


def test_every_arm_shares_one_learning_rate_and_the_population_claim_reuses_the_same_cells():
    for preset in ("quick", "default", "gpu"):
        arms = H.SPECTRA.design(preset).arms
        assert len({cfg["lr"] for cfg in arms.values()}) == 1
        assert H.POPULATION.design(preset).arms == {k: arms[k] for k in ("BN", "none")}
        assert H.POPULATION.design(preset).seeds == H.SPECTRA.design(preset).seeds


def test_the_ritz_certificates_list_every_eigenvalue_with_its_bound_and_hvps():
    recs = _records(4.0, 2.0)
    for rec in recs.values():
        rec.update(checkpoints=[0, 50, 100], buffers_unchanged=True, data="digits", hessian="h")
        for spec in rec["spectra"]["train"]:
            spec.update(eigenvalues=[4.0, 2.0], residuals=[1e-9, 2e-6], hvps=40, refine_hvps=0, converged=True)
    cert = H._ritz_certificates([recs, recs])
    assert len(cert["ritz_values"]) == 2 * 7 * 3 and cert["hvps_total"] == 40 * 42
    assert cert["largest_relative_bound"] == pytest.approx(1e-6) and cert["buffers_unchanged"] is True
    assert cert["ritz_values"][0]["residual_bounds"] == [1e-9, 2e-6] and cert["ritz_values"][2]["step"] == 100
