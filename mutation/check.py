"""The test command of the mutation tier: can the suite notice a mutant of one source module?

``python mutation/check.py theory/bn_algebra.py`` runs, with the module as it is on disk (mutated by
cosmic-ray or not), the tests that exercise it, the claims that use it at the ``quick`` preset and,
for the modules behind the theory level, the golden LaTeX gate (:data:`GOLDEN`), and exits 0 only if
every test passes and every claim keeps its expected verdict: the kill criterion of the tier is "some
claim's verdict or some test changes". The table
:data:`TARGETS` says, per module, which tests (the mirrored module first) and which claims (ids or
families, at one level) can notice it; ``mutation/run.py`` writes one cosmic-ray config per entry.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Target:
    """What can notice a mutant of one module: test files, and claims verified at one level."""

    tests: tuple[str, ...]
    claims: tuple[str, ...] = ()
    level: str = "theory"
    timeout: float = 300.0


def _t(*tests: str, claims: str = "", level: str = "theory", timeout: float = 300.0) -> Target:
    return Target(tuple(tests), tuple(claims.split()), level, timeout)


BN_GRADIENTS = "bn.backprop_ioffe_szegedy bn.dmu_second_term_vanishes bn.grad_projection_form bn.jacobian_spectrum " \
               "bn.jacobian_near_identity_seed santurkar.thm41_grad_norm santurkar.thm41_sqrt_m " \
               "santurkar.thm42_hessian_quadratic_form"
BN_STATISTICS = "bn.unbiased_population_variance bn.running_average_conventions bn.inference_affine"
CAI = "cai.effective_condition_number cai.bngd_converges_any_lr"
RAO = "rao.appendix_b_step rao.regnorm_minimum_at_zero_mean rao.appendix_a_variance_regularizer"
INIT = "santurkar.obs43_reparametrization santurkar.obs43_minima_critical santurkar.lemma45_rhs_is_distance " \
       "santurkar.lemma45_initialization"
SCALE = "scale.invariance scale.invariance_with_eps scale.grad_orthogonal scale.decoupling_formula_seed " \
        "scale.decoupling_formula_exact"
YANG = "yang.explosion_not_removable_by_activation yang.linear_explosion_rate yang.relu_explosion_rate_large_batch"
CONFORMANCE = "conformance.torch_batchnorm_forward conformance.torch_running_stats conformance.gradgradcheck_bn"
FORMULA_TESTS = ("tests/theory/test_formula_explicit.py", "tests/theory/test_formula_search.py",
                 "tests/theory/test_formula_engine.py", "tests/numerics/test_formula_engine.py",
                 "tests/bnclaims/test_formula.py")

#: module (path from the repository root) -> what can notice its mutants. The generic formula
#: engine has no built-in claim: its users are the claims in the tests (and ``docs/claims_mine.py``).
TARGETS: dict[str, Target] = {
    "bnclaims/formula.py": _t("tests/bnclaims/test_formula.py", *FORMULA_TESTS[:4]),
    "theory/formula_engine.py": _t("tests/theory/test_formula_engine.py", "tests/bnclaims/test_formula.py"),
    "theory/formula_explicit.py": _t(*FORMULA_TESTS[:3], "tests/bnclaims/test_formula.py"),
    "theory/formula_search.py": _t("tests/theory/test_formula_search.py", "tests/theory/test_formula_engine.py",
                                   "tests/bnclaims/test_formula.py"),
    "numerics/formula_engine.py": _t("tests/numerics/test_formula_engine.py", "tests/bnclaims/test_formula.py"),
    "conformance/reference.py": _t("tests/conformance/test_reference.py", "tests/conformance/test_user_derivatives.py",
                                   claims=CONFORMANCE, level="numerics", timeout=1200.0),
}

#: Modules whose tests are their mirrored test module (``theory/x.py`` -> ``tests/theory/test_x.py``),
#: with the claims that use them, verified at the level of their folder.
_MIRRORED = {
    "theory": (("bn_algebra", BN_GRADIENTS), ("exact_numbers", f"{BN_GRADIENTS} {SCALE}"),
               ("bn_jacobian", BN_GRADIENTS), ("ioffe2015", BN_GRADIENTS), ("ioffe2015_statistics", BN_STATISTICS),
               ("santurkar2018_smoothness", BN_GRADIENTS), ("santurkar2018_initialization", INIT),
               ("santurkar2018_layer", INIT), ("junike2025", INIT), ("scale_invariance", SCALE),
               ("cai2019_bngd", CAI), ("rao2020_regnorm", RAO), ("yang2019", YANG)),
    "numerics": (("bn_mp", BN_GRADIENTS), ("intervals", BN_GRADIENTS), ("inputs", BN_GRADIENTS),
                 ("search", BN_GRADIENTS), ("strategies", BN_GRADIENTS), ("bn_jacobian", BN_GRADIENTS),
                 ("ioffe2015", BN_GRADIENTS), ("ioffe2015_statistics", BN_STATISTICS),
                 ("santurkar2018_smoothness", BN_GRADIENTS), ("santurkar2018_initialization", INIT),
                 ("junike2025_search", INIT), ("scale_invariance", SCALE), ("cai2019_bngd", CAI),
                 ("rao2020_regnorm", RAO), ("yang2019", YANG), ("activations", YANG)),
}
TARGETS.update({f"{folder}/{stem}.py": _t(f"tests/{folder}/test_{stem}.py", claims=claims, level=folder)
                for folder, rows in _MIRRORED.items() for stem, claims in rows})


#: The golden LaTeX gate (tests/bnclaims/latex/test_golden.py): every theory derivation's text, scope
#: and semantic record (expressions, verdicts, evidence) against the committed files. It runs last for
#: the modules behind the theory level, whose mutants can change a derivation without changing a verdict.
GOLDEN = ("tests/bnclaims/latex/test_golden.py::test_golden_text_matches_regenerated_text",
          "tests/bnclaims/latex/test_golden.py::test_golden_mathematics_matches_regenerated_mathematics")


def _feeds_theory(module: str) -> bool:
    return module.startswith("theory/") or module == "bnclaims/formula.py"


def commands(module: str) -> list[list[str]]:
    """The commands that decide whether a mutant of ``module`` is killed (any non-zero exit kills it)."""
    target = TARGETS[module]
    tests = [t for t in target.tests if (ROOT / t).exists()]
    tests += sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob(f"test_{Path(module).stem}_mutants.py")
                    if p.parent.name == Path(module).parent.name)
    cmds = [[sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-W", "error", *tests]]
    if target.claims:
        cmds.append([sys.executable, "-m", "bnclaims", "verify", *target.claims, "--level", target.level,
                     "--preset", "quick", "--no-progress"])
    if _feeds_theory(module):
        cmds.append([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-W", "error", *GOLDEN])
    return cmds


def environment() -> dict:
    """The environment of the checks: this checkout's packages first (``mutation/site``), no bytecode."""
    path = os.pathsep.join(p for p in (str(ROOT / "mutation" / "site"), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1", HYPOTHESIS_PROFILE="ci")


def imports_this_checkout() -> bool:
    """Whether the checks import the packages from this checkout (else a mutant would go unseen)."""
    code = ("import bnclaims, bnclaims.theory, bnclaims.numerics, bnclaims.conformance; "
            "print('\\n'.join(m.__file__ for m in (bnclaims, bnclaims.theory, bnclaims.numerics, "
            "bnclaims.conformance)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment(), capture_output=True, text=True)
    return out.returncode == 0 and all(Path(f).resolve().is_relative_to(ROOT) for f in out.stdout.split())


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TARGETS:
        print(f"usage: python mutation/check.py MODULE, one of: {' '.join(TARGETS)}", file=sys.stderr)
        return 2
    env = environment()
    for cmd in commands(argv[0]):
        done = subprocess.run(cmd, cwd=ROOT, env=env)
        if done.returncode != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
