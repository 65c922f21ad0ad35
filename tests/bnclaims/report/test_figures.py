"""Tests for bnclaims.report.figures: each figure is drawn from recorded evidence, byte-identical on redraw."""
import json
from pathlib import Path

import numpy as np

from bnclaims.report.figures import bench_figures, claim_figures
from bnclaims.numerics.cai2019_bngd import descent_curves, ols_instance

BENCH = Path(__file__).resolve().parents[3] / "results" / "curvature_default_cpu.json"
PNG = b"\x89PNG\r\n\x1a\n"
LEMMA45 = {"W_star": ["17/3", "11/3"], "u_star": ["5", "3"], "cases": [
    {"W0": ["17/3", "11/3"], "rhs": "0", "lhs_trainable": "8/153"},
    {"W0": ["6", "4"], "rhs": "2/205", "lhs_trainable": "2/17"}]}
RATES = {"failure_rate_random_w0": {"problems_per_d": 10, "by_d": {
    str(d): {"drawn": 10, "trainable": {"fraction": f, "wilson95": [max(0, f - 0.2), min(1, f + 0.2)]}}
    for d, f in ((1, 0.0), (2, 0.5), (3, 0.4))}}}


def _record(evidence, level="numerics"):
    return {"id": "x.y", "level": level, "verdict": "refuted", "evidence": evidence}


def test_the_lemma45_geometry_and_failure_rate_are_drawn_from_their_evidence_identically_twice():
    first, notes = claim_figures("santurkar.lemma45_initialization", [_record(LEMMA45, "theory"), _record(RATES)])
    again, _ = claim_figures("santurkar.lemma45_initialization", [_record(LEMMA45, "theory"), _record(RATES)])
    assert notes == []
    assert [f.name for f in first] == ["santurkar.lemma45_initialization.geometry.png",
                                       "santurkar.lemma45_initialization.failure_rate.png"]
    assert all(f.png.startswith(PNG) for f in first)
    assert [f.png for f in first] == [f.png for f in again]


def test_descent_curves_show_gd_diverging_beyond_the_limit_and_bngd_converging():
    inst = ols_instance(5, 100.0, 3)
    curves = descent_curves(inst, 1.0, steps=400, points=12)
    beyond = [i for i, u in enumerate(curves["lr_units"]) if u > 1]
    assert beyond and all(curves["gd_excess"][i][-1] is None for i in beyond)
    assert all(np.isfinite(row[-1]) and row[-1] < row[0] for row in curves["bngd_excess"])
    (fig,), notes = claim_figures("cai.bngd_converges_any_lr", [_record({"descent_curves": curves, "kappa": 100.0})])
    assert notes == [] and fig.png.startswith(PNG) and "diverges" in fig.caption


def test_incomplete_evidence_gives_a_note_instead_of_an_error():
    figures, notes = claim_figures("x.y", [_record({"W_star": ["1", "2"], "u_star": ["1", "0"], "cases": [{}]})])
    assert figures == [] and len(notes) == 1 and "incomplete" in notes[0]


def test_the_curvature_bench_gives_the_eigensolver_and_trace_figures_and_says_why_no_density():
    figures, notes = bench_figures(json.loads(BENCH.read_text()))
    assert [f.name for f in figures] == ["curvature.eigensolvers.png", "curvature.trace.png"]
    assert "float32 floor" in figures[0].caption and len(notes) == 1 and "spectral density" in notes[0]
