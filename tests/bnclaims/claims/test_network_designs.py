"""Tests for bnclaims.claims.yang_rates and bnclaims.claims.signal_propagation: every preset's design is valid.

The gpu preset cannot run here; its designs are still checked: every arm's configuration is accepted by
its measurement function's parser and satisfies the claim's design preconditions, so a run on a GPU fails
for no reason that a CPU could have caught.
"""
import pytest

from bnclaims import Level, all_claims
from bnclaims.gpu_checks.experiments import desmith2020, meanshift, protocol, rao2020, yang2019
from bnclaims.gpu_checks.experiments import santurkar2018_ics, santurkar2018_landscape, santurkar2018_noisy
from bnclaims.gpu_checks.experiments import hessian_spectra
from bnclaims.gpu_checks.experiments import bn_layer_theorems, rao_batch_size

SPECS = {
    "bnclaims.gpu_checks.experiments.rao_batch_size:test_batch_accuracy": rao_batch_size.SPEC,
    "bnclaims.gpu_checks.experiments.bn_layer_theorems:layer_theorems": bn_layer_theorems.SPEC,
    "bnclaims.gpu_checks.experiments.yang2019:gradient_profile": yang2019.SPEC,
    "bnclaims.gpu_checks.experiments.desmith2020:residual_second_moment": desmith2020.SPEC,
    "bnclaims.gpu_checks.experiments.meanshift:pairwise_cosine": meanshift.SPEC,
    "bnclaims.gpu_checks.experiments.rao2020:relative_mean": rao2020.RELMEAN_SPEC,
    "bnclaims.gpu_checks.experiments.rao2020:noisy_copy_correlation": rao2020.NOISY_SPEC,
    "bnclaims.gpu_checks.experiments.rao2020:conv_gradient_ranking": rao2020.CONV_SPEC,
    "bnclaims.gpu_checks.experiments.hessian_spectra:spectra_through_training": hessian_spectra.SPEC,
    "bnclaims.gpu_checks.experiments.santurkar2018_noisy:noisy_training": santurkar2018_noisy.SPEC,
    "bnclaims.gpu_checks.experiments.santurkar2018_ics:ics_training": santurkar2018_ics.SPEC,
    "bnclaims.gpu_checks.experiments.santurkar2018_landscape:landscape_training": santurkar2018_landscape.SPEC,
}
CHECKS = [(c.id, chk) for c in all_claims() for chk in
          ([c.checks.get(Level.SCALE)] + ([c.twin.checks.get(Level.SCALE)] if c.twin else [])) if chk is not None]


@pytest.mark.parametrize("preset", ["quick", "default", "thorough", "gpu"])
@pytest.mark.parametrize("claim_id,check", CHECKS, ids=[cid for cid, _ in CHECKS])
def test_every_arm_of_every_preset_parses_and_meets_the_design_preconditions(claim_id, check, preset):
    design = check.experiment.design(preset)
    for arm, cfg in design.arms.items():
        protocol.parse_config({**cfg, "device": "cpu"}, SPECS[check.experiment.function], claim_id)
        for cond in check.criterion.design_preconditions:
            assert cond.check(cfg), f"{claim_id} [{preset}] arm {arm}: {cond.text}"
    assert design.seeds >= 3 and design.budget_s > 0


def test_the_specs_above_cover_every_measurement_function_in_use():
    assert set(SPECS) == {chk.experiment.function for _, chk in CHECKS}
