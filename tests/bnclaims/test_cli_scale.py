"""Tests for bnclaims.cli at the scale level and 'bnclaims rate': options, bad input, cache, plots, jobs.

The cheap network claims (relative mean of Wx, De & Smith's residual variance) run at the quick preset.
"""
import json

import pytest

from bnclaims.cli import main

CHEAP = ("rao.prelayernorm_mean_small", "desmith.residual_variance_linear_growth")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _scale(*extra):
    return ("verify", *CHEAP, "--level", "scale", "--preset", "quick", "--no-progress", *extra)


def _without_timing(doc):
    for r in doc["results"]:
        r.pop("seconds")
        r["evidence"].pop("timing", None)
    return doc["results"]


def test_the_scale_level_writes_verdicts_evidence_and_one_plot_per_claim(capsys, tmp_path):
    path, plots = tmp_path / "out.json", tmp_path / "plots"
    code, out, _ = run(capsys, *_scale("--json", str(path), "--plots", str(plots), "--jobs", "1"))
    assert code == 0, out
    records = json.loads(path.read_text())["results"]
    assert {r["id"] for r in records} == set(CHEAP) | {f"{c}.twin" for c in CHEAP}
    for r in records:
        assert {"criterion", "tests", "certificate"} <= set(r["evidence"]), r["id"]
    assert sorted(p.name for p in plots.iterdir()) == sorted(f"{c}.png" for c in CHEAP)


def test_jobs_1_and_jobs_2_agree_and_a_rerun_resumes_from_the_cache(capsys, tmp_path):
    cache = tmp_path / "cache"
    one, two, again = (tmp_path / f"{n}.json" for n in ("one", "two", "again"))
    assert run(capsys, *_scale("--json", str(one), "--jobs", "1"))[0] == 0
    assert run(capsys, *_scale("--json", str(two), "--jobs", "2", "--cache", str(cache)))[0] == 0
    assert _without_timing(json.loads(one.read_text())) == _without_timing(json.loads(two.read_text()))
    files = sorted(cache.rglob("*.json"))
    assert len(files) == 2 * 4 + 1 * 6  # De & Smith: 2 arms x 4 seeds; relative mean: 1 arm x 6 seeds
    files[0].unlink()  # as if the first run had been interrupted before this cell finished
    assert run(capsys, *_scale("--json", str(again), "--jobs", "1", "--cache", str(cache)))[0] == 0
    doc = json.loads(again.read_text())
    timing = [r["evidence"]["timing"] for r in doc["results"] if not r["id"].endswith(".twin")]
    assert sum(t["from_cache"] for t in timing) == len(files) - 1
    assert _without_timing(doc) == _without_timing(json.loads(one.read_text()))


@pytest.mark.parametrize("argv,message", [
    (("--jobs", "0"), "--jobs must be at least 1"),
    (("--device", "bogus"), "is not a torch device"),
    (("--executor", "bogus"), "invalid choice"),
])
def test_bad_scale_options_exit_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *_scale(*argv)) if "invalid" not in message else _argparse(capsys, *_scale(*argv))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def _argparse(capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_cuda_without_a_gpu_is_refused_before_any_check_runs(capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, out, err = run(capsys, *_scale("--device", "cuda"))
    assert code == 2 and "CUDA is not available" in err and out == ""


@pytest.mark.parametrize("option", ["--cache", "--plots"])
def test_an_unusable_output_directory_is_refused_before_any_check_runs(capsys, tmp_path, option):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, out, err = run(capsys, *_scale(option, str(blocker / "sub")))
    assert code == 2 and option in err and len(err.strip().splitlines()) == 1 and out == ""


def test_a_json_path_in_a_missing_directory_is_refused_before_any_check_runs(capsys, tmp_path):
    code, out, err = run(capsys, *_scale("--json", str(tmp_path / "missing" / "out.json")))
    assert code == 2 and "does not exist" in err and out == ""


def test_slurm_without_submitit_is_refused(capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_submitit(name, *args, **kwargs):
        if name == "submitit" or name.startswith("submitit."):
            raise ImportError("No module named 'submitit'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_submitit)
    code, out, err = run(capsys, *_scale("--executor", "slurm"))
    assert code == 2 and "submitit" in err and out == ""


def test_rate_prints_the_large_batch_and_finite_batch_rates(capsys, tmp_path):
    path = tmp_path / "rate.json"
    code, out, _ = run(capsys, "rate", "--activation", "relu", "--batch", "8", "--json", str(path))
    assert code == 0
    data = json.loads(path.read_text())
    assert data["large_batch_rate"].startswith("1.4669422069242598599")
    assert data["finite_batch_rate"].startswith("1.788189976658748129")
    assert "large_batch_rate" in out


def test_rate_of_a_user_expression(capsys):
    code, out, _ = run(capsys, "rate", "--activation", "z + (z**2 - 1)/4")
    assert code == 0 and "1.11111111111111111111" in out


@pytest.mark.parametrize("argv,message", [
    (("--activation", "bogus"), "bogus"),
    (("--activation", "relu", "--batch", "3"), "B >= 4"),
    (("--activation", "z*w"), "w"),
    (("--activation", "3"), "constant"),
    (("--activation", "relu", "--dps", "5"), "--dps"),
])
def test_rate_refuses_bad_input_with_exit_2_and_one_line(capsys, argv, message):
    code, out, err = run(capsys, "rate", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
