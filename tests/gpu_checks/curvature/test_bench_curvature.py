"""Tests for gpu_checks.curvature.bench_curvature: the quick preset end to end, on CPU (device='cpu')."""
import json

import numpy as np
import pytest
import torch

from bnclaims.gpu_checks.curvature.bench_curvature import (deflated_trace, environment, hvps_for_rel_stderr, benchmark_targets, main,
                                        run_bench, trace_floor)
from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.schema import SCHEMA_VERSION
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian


def test_quick_benchmark_reports_every_field_and_leaves_buffers_unchanged(tmp_path):
    path = tmp_path / "bench.json"
    assert main(["--preset", "quick", "--json", str(path), "--device", "cpu"]) == 0
    res = json.loads(path.read_text())
    assert (res["schema_version"], res["kind"]) == (SCHEMA_VERSION, "bench") and res["command"]
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
    t1 = res["trace_to_1pct"]
    assert t1["seeds"] == 3 and t1["rtol_2se"] == 0.01 and t1["max_hvps"] <= t1["budget_hvps"]
    assert all(r["hvps"] > t1["krylov_dim"] for r in t1["runs"])
    assert set(res["targets"]) == {"top10_fp32", "top10_fp64", "trace", "hvp_cost_ratio",
                                   "hvp_cost_ratio_batched", "buffers_unchanged"}
    assert res["targets"]["top10_fp64"]["met"] is True
    need = tf["hvps_for_rel_stderr"]
    assert need["0.005"]["hvps"] >= need["0.01"]["hvps"] >= 1
    c = res["hvp_costs"]
    lo, hi = c["double_backward_fresh_ratio_range"]
    assert lo <= c["double_backward_fresh_ratio"] <= hi and c["rounds"] == 2


def test_gpu_preset_code_path_runs_on_cpu_when_asked():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present, so the 'CUDA not available' error cannot be provoked")
    assert main(["--preset", "gpu"]) == 2  # cuda requested, not available: clear error


def test_gpu_preset_path_without_dense_hessian_runs_on_cpu_at_a_tiny_size():
    small = {"width": 8, "depth": 2, "batch": 64, "train_steps": 3, "slq_probes": 2, "slq_steps": 8, "cost_reps": 2}
    res = run_bench("gpu", device="cpu", overrides=small, progress=False)
    assert res["problem"]["device"] == "cpu" and "Lanczos" in res["exact"]["method"]
    assert res["buffers_unchanged"] is True
    assert res["top10"]["max_rel_err"] <= 1e-4  # float32 Lanczos against the float64 Lanczos reference


def test_anchors_flag_fails_with_a_clear_message_when_the_extra_is_missing(capsys):
    import importlib.util

    from bnclaims.gpu_checks.curvature.anchors import ANCHOR_MODULES

    if all(importlib.util.find_spec(m) for m in ANCHOR_MODULES):
        pytest.skip("the anchors extra is installed, so nothing is missing")
    assert main(["--preset", "quick", "--anchors"]) == 2
    out, err = capsys.readouterr()
    assert "pip install -e .[anchors]" in err and len(err.splitlines()) == 1 and out == ""


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


def test_hvps_for_rel_stderr_is_the_hand_computed_minimum_over_deflation_sizes():
    lam = np.array([4.0, -2.0, 1.0, 1.0])  # trace 4; by |lambda|: 4, -2, 1, 1
    # k=0: tail 22 -> ceil(2*22/(0.5*4)^2) = 11; k=1: tail 6 -> 3 + 1 = 4; k=2: tail 2 -> 1 + 2 = 3; k=3: 1 + 3 = 4
    out = hvps_for_rel_stderr(lam, 0.5)
    assert (out["hvps"], out["deflated"], out["probes"]) == (3, 2, 1)
    # deflating by algebraic order (4, 1, 1, -2) would keep -2 in the remainder: magnitude order is the bound
    assert hvps_for_rel_stderr(lam, 1e-3)["hvps"] == 4
    for bad in (0.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="positive"):
            hvps_for_rel_stderr(lam, bad)
    with pytest.raises(ValueError, match="zero"):
        hvps_for_rel_stderr(np.array([1.0, -1.0]), 0.1)


def test_deflated_trace_with_a_fixed_krylov_basis_stops_on_its_standard_error():
    model, x, y, loss = tiny_problem("batch", seed=2)  # trace 32.5: a relative target is meaningful
    exact = float(torch.trace(tiny_reference_hessian(model, x, y, loss)))
    op = HessianOperator(loss)
    r = deflated_trace(op, 400, seed=2, rtol=0.05, krylov_dim=20)
    assert r["lanczos_hvps"] == 20 and "20-vector" in r["method"]
    assert r["hvps"] == op.hvps and r["hvps"] <= 400
    assert r["stopped_on_stderr"] and 2 * r["stderr"] <= 0.05 * abs(r["estimate"])
    assert abs(r["estimate"] - exact) <= 5 * r["stderr"], (r, exact)
    for budget, dim in ((10, 9), (10, 0), (0, None)):
        with pytest.raises(ValueError):
            deflated_trace(HessianOperator(loss), budget, krylov_dim=dim)


def _result(top10_err=8e-7, top10_hvps=31, trace_err=0.005, trace_hvps=100, z=0.8, fresh=2.4, batched=1.5):
    return {"top10": {"max_rel_err": top10_err, "hvps": top10_hvps}, "top10_fp64": {"max_rel_err": 1e-14},
            "trace": {"rel_err": trace_err, "hvps": trace_hvps, "err_over_stderr": z},
            "hvp_cost_ratio": fresh, "hvp_cost_ratio_batched": batched, "buffers_unchanged": True}


def test_benchmark_targets_are_met_only_within_their_thresholds_and_budgets():
    assert all(v["met"] for v in benchmark_targets(_result()).values())
    misses = {"top10_fp32": dict(top10_err=1.1e-6), "trace": dict(trace_err=0.011)}
    misses_budget = {"top10_fp32": dict(top10_hvps=41), "trace": dict(trace_hvps=101)}
    for target, kw in list(misses.items()) + list(misses_budget.items()):
        out = benchmark_targets(_result(**kw))
        assert not out[target]["met"] and sum(not v["met"] for v in out.values()) == 1, (target, out)
    assert not benchmark_targets(_result(z=2.5))["trace"]["met"]  # error not covered by 2 standard errors
    assert not benchmark_targets(_result(fresh=2.6))["hvp_cost_ratio"]["met"]
    assert not benchmark_targets(_result(batched=2.1))["hvp_cost_ratio_batched"]["met"]
    no_exact = _result()
    no_exact["trace"]["rel_err"] = None
    assert "trace" not in benchmark_targets(no_exact)
