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
    assert res["trace"]["hvps"] <= 100
    # float32 Krylov + float64 Rayleigh-Ritz: beyond the float32 run, 10 float64 HVPs
    ref = res["top10_refined"]
    assert ref["hvps_fp64"] == 10 and ref["hvps"] == ref["hvps_fp32"] + 10
    assert ref["max_rel_err"] < res["top10"]["max_rel_err"], (ref, res["top10"])
    floor = res["fp32_operator_floor"]
    assert len(floor["rel_dev"]) == 10 and 0 < floor["max_rel_dev"] < 1e-4
    t10 = res["top10_seeds"]
    assert t10["seeds"] == 3 and [r["seed"] for r in t10["runs"]] == [0, 1, 2] and 0 <= t10["met"] <= 1
    assert t10["max_rel_err_min_median_max"][2] <= 1e-4
    ts = res["trace_seeds"]
    assert ts["seeds"] == 3 and len(ts["runs"]) == 3 and ts["max_hvps"] <= 100
    assert 0 <= ts["covered_1se"] <= ts["covered_2se"] <= 1
    c = res["hvp_costs"]
    lo, hi = c["double_backward_fresh_ratio_range"]
    assert lo <= c["double_backward_fresh_ratio"] <= hi and c["rounds"] == 2


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


def test_trace_floor_rademacher_figure_is_the_off_diagonal_mass_of_the_deflated_remainder():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((30, 30))
    h = a + a.T + np.diag(rng.uniform(0, 20, 30))  # a heavy diagonal: Rademacher beats Gaussian
    lam, u = np.linalg.eigh(h)
    lam, u = lam[::-1], u[:, ::-1]
    k, budget = 5, 20
    out = trace_floor(lam, budget, (k,), diag=np.diag(h), top_vectors=u[:, :k])
    r = h - (u[:, :k] * lam[:k]) @ u[:, :k].T  # the deflated remainder, formed densely
    off = (r ** 2).sum() - (np.diag(r) ** 2).sum()
    row = out["by_k"][str(k)]
    assert np.isclose(row["rel_stderr_rademacher"], np.sqrt(2 * off / (budget - k)) / abs(np.trace(h)))
    assert row["rel_stderr_rademacher"] < row["rel_stderr"]
    assert np.isclose(out["positive_sum"] + out["negative_sum"], np.trace(h))
    assert out["negative_count"] == int((lam < 0).sum())


def test_environment_names_torch_cpu_threads_and_date():
    env = environment("cpu")
    assert env["torch"] == torch.__version__ and env["torch_threads"] == torch.get_num_threads()
    assert env["cpu_count"] and env["cpu_model"] and "T" in env["date_utc"]
