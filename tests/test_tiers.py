"""The slow and GPU tiers: every claim at the ``thorough`` preset, and the engine on a CUDA device.

Deselected by default (``-m "not slow and not gpu"`` in pyproject); run on purpose with
``python -m pytest -m slow`` (tens of minutes on 2 cores) or ``-m gpu`` on a machine with CUDA.
"""
import json

import pytest

from bnclaims import Context, all_claims

JOBS = [(c, lv) for c in all_claims() for lv in c.checks]


@pytest.mark.slow
@pytest.mark.parametrize("claim,level", JOBS, ids=[f"{c.id}[{lv.value}]" for c, lv in JOBS])
def test_claim_keeps_its_verdict_at_the_thorough_budget(claim, level):
    outcome = claim.checks[level](Context(preset="thorough"))
    expected = claim.expected_at(level)
    detail = json.dumps({"scope": outcome.scope, "evidence": outcome.evidence}, default=str)[:3000]
    assert expected is None or outcome.verdict is expected, detail
    if claim.twin is not None and level in claim.twin.checks:
        twin = claim.twin.checks[level](Context(preset="thorough"))
        assert twin.verdict.value == "refuted", json.dumps(twin.evidence, default=str)[:3000]


@pytest.fixture
def cuda():
    """Skip (with the reason) on a machine without a CUDA device."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")


@pytest.mark.gpu
def test_curvature_benchmark_runs_on_cuda(tmp_path, cuda):
    from bnclaims.gpu_checks.curvature.bench_curvature import main

    out = tmp_path / "gpu.json"
    assert main(["--preset", "gpu", "--device", "cuda", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["buffers_unchanged"] is True
    assert max(data["exact"]["residual_bounds"]) < 1e-8 * abs(data["exact"]["lambda"][0])
    assert data["top10_fp64"]["max_rel_err"] < 1e-8 and data["top10"]["max_rel_err"] < 1e-4


@pytest.mark.gpu
def test_the_scale_level_runs_at_the_gpu_preset_on_cuda(tmp_path, cuda):
    from bnclaims.cli import main

    out = tmp_path / "scale_gpu.json"
    code = main(["verify", "--level", "scale", "--preset", "gpu", "--device", "cuda", "--no-progress",
                 "--json", str(out), "--plots", str(tmp_path / "plots")])
    records = json.loads(out.read_text())["results"]
    assert code == 0, [(r["id"], r["verdict"], r["scope"]) for r in records if r["verdict"] != r["expected"]]
