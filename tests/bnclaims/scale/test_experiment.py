"""Tests for bnclaims.scale.experiment: a scale check from an experiment and a pre-registered criterion.

Built on the numpy demo cell (sample moments of standard normal draws), whose true values are known
exactly: the mean is 0 and the variance 1, so a criterion can be made to hold, to be refuted, or to
straddle, and the verdict rule is exercised end to end (grid, intervals, evidence, certificate, plot).
"""
import json
import math

import pytest

from bnclaims import Context, Level, Verdict
from bnclaims.scale.criteria import Band, Criterion, DesignCondition, Measure
from bnclaims.scale.experiment import Design, ScaleExperiment, describe_scale_check, scale_check
from bnclaims.verdicts import has_certificate

DEMO = "bnclaims.scale.demo_cells:gaussian_moments"


def _var(records):
    return records["big"]["var"]


def _experiment(n=20000, seeds=6, budget=60.0, plot=None, function=DEMO):
    design = Design({"big": {"n": n}}, seeds=seeds, budget_s=budget)
    return ScaleExperiment(name="demo", function=function, designs={"quick": design, "default": design},
                           plot=plot)


def _criterion(band, **kw):
    return Criterion(quantity="sample variance of N(0, 1) draws",
                     tests=(Measure("var", "sample variance", band, _var),), **kw)


def test_a_true_band_holds_and_the_evidence_carries_criterion_numbers_interval_and_certificate():
    outcome = scale_check(_experiment(), _criterion(Band(0.95, 1.05)), claim_id="demo.true")(Context(preset="quick"))
    assert outcome.verdict is Verdict.HOLDS, outcome.scope
    ev = outcome.evidence
    assert ev["criterion"]["tests"][0]["band"] == "[0.95, 1.05]"
    assert len(ev["tests"]["var"]["per_seed"]) == 6 and ev["tests"]["var"]["position"] == "inside"
    cert = ev["certificate"]
    assert cert["seeds"] == [20251122 + i for i in range(6)] and cert["preset"] == "quick"
    assert "bnclaims verify demo.true --level scale" in cert["rerun"]
    json.dumps(ev)


def test_a_wrong_band_is_refuted_with_a_statistical_certificate():
    outcome = scale_check(_experiment(), _criterion(Band(1.2, 1.3)), claim_id="demo.twin")(Context(preset="quick"))
    assert outcome.verdict is Verdict.REFUTED
    assert has_certificate(outcome.evidence, Level.SCALE)
    assert outcome.evidence["tests"]["var"]["gap_outside"] > 0.1


def test_an_interval_across_the_band_edge_is_inconclusive():
    # n = 50 draws: the sample variance spreads about +-0.2, so the band edge at 1.0 is straddled.
    outcome = scale_check(_experiment(n=50), _criterion(Band(1.0, 2.0)), claim_id="demo.edge")(Context(preset="quick"))
    assert outcome.verdict is Verdict.INCONCLUSIVE and "straddles" in outcome.scope


def test_a_design_that_breaks_a_precondition_is_inconclusive_before_anything_runs():
    crit = _criterion(Band(0.9, 1.1), design_preconditions=(
        DesignCondition("n >= 10^6", lambda cfg: cfg["n"] >= 10 ** 6),))
    outcome = scale_check(_experiment(), crit, claim_id="demo.pre")(Context(preset="quick"))
    assert outcome.verdict is Verdict.INCONCLUSIVE and "n >= 10^6" in outcome.evidence["reason"]
    assert "tests" not in outcome.evidence


def test_a_budget_that_runs_out_is_inconclusive_and_says_so():
    exp = ScaleExperiment(name="slow", function="bnclaims.scale.demo_cells:sleep",
                          designs={"quick": Design({"big": {"seconds": 0.4}}, seeds=4, budget_s=0.5)})
    crit = Criterion(quantity="seed", tests=(Measure("seed", "the seed", Band(), lambda r: r["big"]["seed"]),))
    outcome = scale_check(exp, crit, claim_id="demo.slow")(Context(preset="quick"))
    assert outcome.verdict is Verdict.INCONCLUSIVE
    assert "time budget of 0.5 s ran out" in outcome.evidence["reason"]


def test_a_claim_and_its_twin_share_cells_through_one_context():
    ctx = Context(preset="quick")
    exp = _experiment()
    scale_check(exp, _criterion(Band(0.95, 1.05)), claim_id="demo.a")(ctx)
    twin = scale_check(exp, _criterion(Band(1.2, 1.3)), claim_id="demo.a.twin")(ctx)
    assert twin.evidence["timing"]["cells"] == 6
    assert ctx.grid().run([]).computed == 0


def test_the_same_seed_gives_the_same_evidence_apart_from_timings():
    a = scale_check(_experiment(), _criterion(Band(0.95, 1.05)), claim_id="demo.d")(Context(preset="quick", seed=5))
    b = scale_check(_experiment(), _criterion(Band(0.95, 1.05)), claim_id="demo.d")(Context(preset="quick", seed=5))
    for ev in (a.evidence, b.evidence):
        ev.pop("timing")
    assert a.evidence == b.evidence
    c = scale_check(_experiment(), _criterion(Band(0.95, 1.05)), claim_id="demo.d")(Context(preset="quick", seed=6))
    assert c.evidence["tests"] != a.evidence["tests"]


def test_a_plot_is_written_for_the_claim_but_not_for_its_twin(tmp_path):
    from bnclaims.scale import plots

    def plot(data, path):
        plots.interval_plot(data, path, title="demo")

    ctx = Context(preset="quick", plots=str(tmp_path))
    out = scale_check(_experiment(plot=plot), _criterion(Band(0.95, 1.05)), claim_id="demo.p")(ctx)
    scale_check(_experiment(plot=plot), _criterion(Band(1.2, 1.3)), claim_id="demo.p.twin")(ctx)
    assert out.evidence["plot"] == "demo.p.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.p.png"]
    assert (tmp_path / "demo.p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plots_are_byte_identical_for_the_same_data(tmp_path):
    from bnclaims.scale import plots

    def plot(data, path):
        plots.interval_plot(data, path, title="demo")

    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        scale_check(_experiment(plot=plot), _criterion(Band(0.95, 1.05)), claim_id="demo.p")(
            Context(preset="quick", plots=str(tmp_path / sub)))
    assert (tmp_path / "a" / "demo.p.png").read_bytes() == (tmp_path / "b" / "demo.p.png").read_bytes()


def test_thorough_falls_back_to_default_and_gpu_to_thorough():
    exp = _experiment()
    assert exp.design("thorough") is exp.designs["default"] and exp.design("gpu") is exp.designs["default"]


def test_describe_states_criterion_and_design_for_show():
    lines = describe_scale_check(scale_check(_experiment(), _criterion(Band(0.95, 1.05)), claim_id="demo.s"))
    text = "\n".join(lines)
    assert "interval must lie in [0.95, 1.05]" in text and "Bonferroni" in text and "6 seeds" in text


def test_designs_need_two_seeds():
    with pytest.raises(ValueError, match="at least 2 seeds"):
        Design({"a": {}}, seeds=1, budget_s=1.0)


def test_the_per_seed_values_are_the_cell_records():
    from bnclaims.scale.demo_cells import gaussian_moments

    outcome = scale_check(_experiment(n=100, seeds=3), _criterion(Band(0.0, 10.0)), claim_id="demo.v")(
        Context(preset="quick", seed=11))
    assert outcome.evidence["tests"]["var"]["per_seed"] == [gaussian_moments({"n": 100}, s)["var"] for s in (11, 12, 13)]
    assert math.isfinite(outcome.evidence["tests"]["var"]["interval"]["lo"])
