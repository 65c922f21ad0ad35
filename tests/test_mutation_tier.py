"""The mutation tier (``mutation/``): cosmic-ray mutants of the formula code are noticed.

Targets ``mutation/check.py`` (what notices a mutant of each module) and ``mutation/run.py`` (the
seeded sample and the report). cosmic-ray rewrites a module in place, so every test here works on
a copy of the source tree in a temporary directory, never on the checkout.

* The default run applies a few fixed mutants, found by cosmic-ray's own operators, to a copy and
  asserts that the test or claim named for each one fails (well under a minute together).
* ``python -m pytest -m mutation`` runs the tier itself on a copy: the seeded sample of every
  module in ``BNCLAIMS_MUTATION_MODULES`` (space-separated; default: the formula engine and the
  conformance reference; ``BNCLAIMS_MUTATION_SAMPLE`` overrides the sample size) and asserts the
  report's kill rate (>= 95 % per module and in total, equivalent mutants excluded). About 15 to 30
  minutes per module on 2 cores; see README, "Mutation tier".
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("bnclaims", "theory", "numerics", "conformance", "gpu_checks", "mutation")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "sessions", ".hypothesis")


def copy_tree(dest: Path, tests: tuple[str, ...] = ()) -> Path:
    """The source packages, ``pyproject.toml``, the test configuration and ``tests`` under ``dest``."""
    for name in COPIED:
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=IGNORED)
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    (dest / "tests").mkdir()
    shutil.copy2(ROOT / "tests" / "conftest.py", dest / "tests" / "conftest.py")
    for t in tests:
        (dest / t).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / t, dest / t)
    return dest


@dataclass(frozen=True)
class KnownMutant:
    """One cosmic-ray mutant, named by its operator and the source line before and after it."""

    module: str
    operator: str
    before: str
    after: str
    command: tuple[str, ...]
    #: text the failing command prints (the failed test's name, or the claim's DIFF line)
    says: str

    def apply(self, source: str) -> str:
        """The module's source with this mutant applied by cosmic-ray (exactly one occurrence matches)."""
        from cosmic_ray.ast import ast_nodes, get_ast
        from cosmic_ray.mutating import mutate_code
        from cosmic_ray.plugins import get_operator

        operator, found, old = get_operator(self.operator)(), [], source.splitlines()
        starts = [start for node in ast_nodes(get_ast(source)) for start, _ in operator.mutation_positions(node)]
        for occurrence, (line, _) in enumerate(starts):  # cosmic-ray's numbering of the occurrences
            if old[line - 1].strip() != self.before:
                continue
            code = mutate_code(source, operator, occurrence)
            changed = [(a.strip(), b.strip()) for a, b in zip(old, code.splitlines()) if a != b]
            if changed == [(self.before, self.after)]:
                found.append(code)
        assert len(found) == 1, f"{self.module}: {len(found)} occurrences of {self.operator} turn " \
                                f"{self.before!r} into {self.after!r} (the module changed: update this mutant)"
        return found[0]


def _pytest(test: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", test)


def _verify(claim: str, level: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "bnclaims", "verify", claim, "--level", level, "--preset", "quick",
            "--no-progress")


KNOWN = [
    KnownMutant("conformance/reference.py", "core/ReplaceBinaryOperator_Div_Mul",
                "mu = mpmath.fsum(ys) / m", "mu = mpmath.fsum(ys) * m",
                _pytest("tests/conformance/test_reference.py"),
                "test_forward_train_equals_exact_rational_evaluation_for_a_square_variance"),
    KnownMutant("conformance/reference.py", "core/ReplaceBinaryOperator_Sub_Add",
                "keep = 1 - p if conv.momentum_convention == \"torch\" else p",
                "keep = 1 + p if conv.momentum_convention == \"torch\" else p",
                _pytest("tests/conformance/test_reference.py"),
                "test_running_update_stores_unbiased_variance_in_torch_convention"),
    KnownMutant("theory/bn_algebra.py", "core/NumberReplacer",
                "return vs + [tuple([1] * mm), tuple(range(1, mm + 1))]",
                "return vs + [tuple([1] * mm), tuple(range(1, mm + 2))]",
                _pytest("tests/theory/test_bn_algebra_mutants.py"),
                "test_unit_vectors_are_e1_to_em_then_ones_then_one_to_m"),
    KnownMutant("bnclaims/formula.py", "core/ReplaceComparisonOperator_NotEq_Lt",
                "if ls != rs and not (isinstance(rel, sp.Equality) and 0 in (rel.lhs, rel.rhs)):",
                "if ls < rs and not (isinstance(rel, sp.Equality) and 0 in (rel.lhs, rel.rhs)):",
                _pytest("tests/bnclaims/test_formula_mutants.py"),
                "test_a_vector_compared_with_a_nonzero_scalar_is_refused_on_either_side"),
]


@pytest.mark.parametrize("mutant", KNOWN, ids=[f"{k.module}:{k.operator.split('_', 1)[-1]}:{k.after}" for k in KNOWN])
def test_a_known_mutant_is_noticed_by_its_test_or_claim(tmp_path, mutant):
    pytest.importorskip("cosmic_ray", reason="the mutation tier needs cosmic-ray (pip install cosmic-ray)")
    tests = tuple(c for c in mutant.command if c.startswith("tests/"))
    tree = copy_tree(tmp_path, tests)
    path = tree / mutant.module
    path.write_text(mutant.apply(path.read_text()))
    site = os.pathsep.join(p for p in (str(tree / "mutation" / "site"), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=site, PYTHONDONTWRITEBYTECODE="1", HYPOTHESIS_PROFILE="ci")
    done = subprocess.run(mutant.command, cwd=tree, env=env, capture_output=True, text=True, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]
    assert mutant.says in out, out[-3000:]


@pytest.mark.mutation
def test_the_mutation_tier_kills_95_percent_of_the_sampled_mutants(tmp_path):
    pytest.importorskip("cosmic_ray", reason="the mutation tier needs cosmic-ray (pip install cosmic-ray)")
    default = "bnclaims/formula.py theory/formula_engine.py theory/formula_explicit.py " \
              "theory/formula_search.py numerics/formula_engine.py conformance/reference.py"
    modules = os.environ.get("BNCLAIMS_MUTATION_MODULES", default).split()
    tree = tmp_path / "tree"
    copy_tree(tree)
    shutil.rmtree(tree / "tests")
    shutil.copytree(ROOT / "tests", tree / "tests", ignore=IGNORED)
    run = [sys.executable, str(tree / "mutation" / "run.py")]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    sample = ["--sample", os.environ["BNCLAIMS_MUTATION_SAMPLE"]] if "BNCLAIMS_MUTATION_SAMPLE" in os.environ else []
    subprocess.run([*run, "init", *sample, *modules], cwd=tree, env=env, check=True)
    subprocess.run([*run, "exec", *modules], cwd=tree, env=env, check=True)
    report = subprocess.run([*run, "report", "-v", *modules], cwd=tree, env=env, capture_output=True, text=True)
    print(report.stdout)
    assert report.returncode == 0, report.stdout
