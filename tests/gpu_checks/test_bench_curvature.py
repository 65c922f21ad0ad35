"""Tests for gpu_checks.bench_curvature: the quick preset end to end, on CPU (device='cpu')."""
import json

import numpy as np
import torch

from gpu_checks.bench_curvature import environment, main, run_bench, trace_floor


def test_quick_benchmark_reports_every_field_and_leaves_buffers_unchanged(tmp_path):
    path = tmp_path / "bench.json"
    assert main(["--preset", "quick", "--json", str(path), "--device", "cpu"]) == 0
    res = json.loads(path.read_text())
    for key in ("problem", "exact", "top1", "top10", "top10_fp64", "trace", "density", "hvp_cost_ratio",
                "hvp_cost_ratio_batched", "buffers_unchanged", "anchors", "trace_floor", "environment"):
        assert key in res
    env = res["environment"]
    assert env["torch"] == torch.__version__ and env["cpu_model"] and env["torch_threads"] >= 1
    assert env["date_utc"][:2] == "20"
    tf = res["trace_floor"]
    assert abs(tf["trace"] - res["exact"]["trace"]) <= 1e-9 * abs(tf["trace"])
    assert sorted(int(k) for k in tf["by_k"]) == [10, 20, 40, 60, 80]
    assert res["buffers_unchanged"] is True
    assert res["top10_fp64"]["max_rel_err"] <= 1e-10
    assert res["top10"]["max_rel_err"] <= 1e-4
    assert res["top1"]["max_rel_err"] <= 1e-5
    assert res["trace"]["rel_err"] <= 5 * res["trace"]["stderr"] / abs(res["exact"]["trace"]) + 1e-3


def test_gpu_preset_code_path_runs_on_cpu_when_asked():
    if torch.cuda.is_available():
        return
    assert main(["--preset", "gpu"]) == 2  # cuda requested, not available: clear error


def test_gpu_preset_path_without_dense_hessian_runs_on_cpu_at_a_tiny_size():
    small = {"width": 8, "depth": 2, "batch": 64, "train_steps": 3, "slq_probes": 2, "slq_steps": 8, "cost_reps": 2}
    res = run_bench("gpu", device="cpu", overrides=small, progress=False)
    assert res["problem"]["device"] == "cpu" and "Lanczos" in res["exact"]["method"]
    assert res["buffers_unchanged"] is True
    assert res["top10"]["max_rel_err"] <= 1e-4  # float32 Lanczos against the float64 Lanczos reference


def test_anchors_flag_fails_with_a_clear_message_when_the_extra_is_missing(capsys):
    import importlib.util

    from gpu_checks.anchors import ANCHOR_MODULES

    if all(importlib.util.find_spec(m) for m in ANCHOR_MODULES):
        return
    assert main(["--preset", "quick", "--anchors"]) == 2
    assert "pip install -e .[anchors]" in capsys.readouterr().out


def test_trace_floor_is_the_hand_computed_gaussian_standard_error():
    out = trace_floor(np.array([1.0, 3.0, -0.5, 2.0]), budget=4, ks=(1, 2))
    # top-1 is 3: remainder {2, 1, -0.5}, 3 probes; trace 5.5
    assert np.isclose(out["by_k"]["1"]["rel_stderr"], np.sqrt(2 * (4 + 1 + 0.25) / 3) / 5.5)
    assert np.isclose(out["by_k"]["2"]["rel_stderr"], np.sqrt(2 * (1 + 0.25) / 2) / 5.5)
    assert out["best_k"] == 2


def test_trace_floor_matches_a_simulated_deflated_gaussian_hutchinson_estimator():
    rng = np.random.default_rng(0)
    lam = 1.0 / np.arange(1, 301) ** 0.7 - 0.01
    k, budget = 20, 100
    rest = np.sort(lam)[::-1][k:]
    # sum over probes of z_i^2 ~ chi2(budget - k) per eigen-direction of the remainder
    chi2 = rng.chisquare(budget - k, size=(4000, rest.size))
    est = np.sort(lam)[::-1][:k].sum() + (chi2 @ rest) / (budget - k)  # exact top-k + Gaussian Hutchinson
    sim = est.std() / abs(lam.sum())
    assert abs(sim / trace_floor(lam, budget, (k,))["by_k"][str(k)]["rel_stderr"] - 1) < 0.05


def test_environment_names_torch_cpu_threads_and_date():
    env = environment("cpu")
    assert env["torch"] == torch.__version__ and env["torch_threads"] == torch.get_num_threads()
    assert env["cpu_count"] and env["cpu_model"] and "T" in env["date_utc"]
