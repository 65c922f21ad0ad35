"""Tests for bnclaims.pytest_plugin: claims files collected by pytest, one item per (claim or twin, level).

Each test runs an inner pytest session (pytester) with entry-point autoloading off and the plugin
loaded by ``-p``, so it tests this checkout whether or not the entry point is installed. Also runs
the documentation's example (docs/claims_mine.py) and a built-in claim through the same items.
"""
import json
import sys
import tomllib
from pathlib import Path

import pytest

import bnclaims.pytest_plugin  # noqa: F401
import bnclaims.user_claims  # noqa: F401
from bnclaims import all_claims

pytest_plugins = ["pytester"]
# An in-process inner session drops the modules it imported when it ends; sympy, theory and numerics
# imported for the first time inside one would come back as second copies in the next (mixed classes).
all_claims()

REPO = Path(__file__).resolve().parents[2]
PLUGIN = ("-p", "bnclaims.pytest_plugin", "-p", "no:cacheprovider", "--strict-markers")

TINY = '''
from bnclaims import Claim, Level, Outcome, Source, Twin, Verdict, Witness, register

def double(ctx, k=2, ok=Verdict.PROVED):
    """2 x == x + x, checked exactly on a few integers (k = 3 is the false twin)."""
    bad = [x for x in range(-3, 4) if k * x != x + x]
    if bad:
        return Outcome(Verdict.REFUTED, "integers -3..3", {"counterexample": {"x": bad[0]}, "exact": True})
    return Outcome(ok, "integers -3..3 (a stand-in for a proof)")

def settings(ctx):
    """Raises (an error: the empirical record fails) unless preset and seed are those in $WANT."""
    import os
    got = f"{ctx.preset}:{ctx.seed}"
    if got != os.environ.get("WANT", "default:7"):
        raise AssertionError(f"context {got}")
    return Outcome(Verdict.INCONCLUSIVE, got)

CHECKS = {Level.THEORY: double, Level.NUMERICS: lambda ctx: double(ctx, ok=Verdict.HOLDS)}
TWIN = Twin(change="3 for 2", statement="3 x == x + x", checks={Level.THEORY: lambda ctx: double(ctx, 3),
                                                               Level.NUMERICS: lambda ctx: double(ctx, 3)})
register(Claim(id="mine.double", statement="2 x == x + x", source=Source("me", "p. 1"),
               hypotheses=("x an integer",), witness=Witness({"x": 1}, lambda: isinstance(1, int)),
               checks=CHECKS, expected=Verdict.PROVED, twin=TWIN))
register(Claim(id="mine.vacuous", statement="2 x == x + x if x > 0 and x < 0", source=Source("me", "p. 2"),
               hypotheses=("x > 0", "x < 0"), witness=Witness({"x": 1}, lambda: 1 > 0 and 1 < 0),
               checks=CHECKS, expected=Verdict.PROVED, twin=TWIN))
register(Claim(id="mine.uncertified", statement="2 x == 3 x", source=Source("me", "p. 3"),
               hypotheses=("none",), checks={Level.NUMERICS: lambda ctx: Outcome(Verdict.REFUTED, "float")},
               expected=Verdict.REFUTED))
register(Claim(id="mine.settings", statement="the options reach the checks", source=Source("me", "p. 4"),
               hypotheses=("none",), checks={Level.NUMERICS: settings}, expected=None))
'''


@pytest.fixture
def inner(pytester, monkeypatch):
    """Run an inner pytest session in pytester's directory with only this plugin (and pytester's own)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(*args):
        return pytester.runpytest(*PLUGIN, *args)
    return run


def _outcomes(result):
    """{test id: outcome} from the inner session's -rA summary lines."""
    out = {}
    for line in result.outlines:
        for word in ("PASSED", "FAILED"):
            if line.startswith(word + " "):
                out[line.split()[1].split("::", 1)[1]] = word.lower()
    return out


def test_each_claim_twin_and_level_is_an_item_and_failures_show_verdict_scope_and_evidence(pytester, inner):
    pytester.makepyfile(claims_tiny=TINY)
    result = inner("-rA", "--bnclaims-preset", "default", "--bnclaims-seed", "7")
    assert result.ret == 1
    assert _outcomes(result) == {
        "mine.double[theory]": "passed", "mine.double.twin[theory]": "passed",
        "mine.double[numerics]": "passed", "mine.double.twin[numerics]": "passed",
        "mine.settings[numerics]": "passed",
        "mine.uncertified[numerics]": "failed",
        "mine.vacuous[theory]": "failed", "mine.vacuous.twin[theory]": "passed",
        "mine.vacuous[numerics]": "failed", "mine.vacuous.twin[numerics]": "passed",
    }
    text = result.stdout.str()
    assert "mine.vacuous [theory]: verdict inconclusive, expected proved" in text
    assert '"vacuous": "hypotheses admit no witness: the witness {\'x\': 1} does not satisfy them' in text
    assert "mine.uncertified [numerics]: verdict inconclusive, expected refuted" in text
    assert '"downgraded": "refuted without an interval certificate' in text


def test_the_preset_and_seed_options_default_to_quick_and_the_project_seed(pytester, inner, monkeypatch):
    pytester.makepyfile(claims_tiny=TINY)
    monkeypatch.setenv("WANT", "quick:20251122")
    assert _outcomes(inner("-rA", "-k", "settings")) == {"mine.settings[numerics]": "passed"}
    result = inner("-rA", "-k", "settings", "--bnclaims-preset", "thorough")
    assert _outcomes(result) == {"mine.settings[numerics]": "failed"}
    assert "AssertionError: context thorough:20251122" in result.stdout.str()


def test_level_markers_select_items_under_strict_markers(pytester, inner):
    pytester.makepyfile(claims_tiny=TINY)
    result = inner("-rA", "-m", "bnclaims_theory")
    assert set(_outcomes(result)) == {"mine.double[theory]", "mine.double.twin[theory]", "mine.vacuous[theory]",
                                      "mine.vacuous.twin[theory]"}
    result = inner("-rA", "-m", "bnclaims and not bnclaims_theory and not bnclaims_numerics")
    assert result.ret == 5  # no scale items: nothing selected


def test_the_ini_option_chooses_which_files_are_claims_files(pytester, inner):
    pytester.makepyfile(mine_claims=TINY)
    assert inner("-q").ret == 5  # claims_*.py only by default
    pytester.makeini("[pytest]\nbnclaims_files = mine_*.py\n")
    result = inner("-rA", "-m", "bnclaims_theory")
    assert "mine.double[theory]" in _outcomes(result)


def test_a_broken_claims_file_is_a_one_line_collection_error_naming_the_file(pytester, inner):
    pytester.makepyfile(claims_broken="from bnclaims import register\n1 / 0\n")
    pytester.makepyfile(claims_empty="x = 1\n")
    result = inner()
    assert result.ret == 2
    text = result.stdout.str()
    assert "claims_broken.py: import failed: ZeroDivisionError: division by zero" in text
    assert "claims_empty.py: no claims registered" in text
    assert "Traceback" not in text


def test_a_built_in_claim_runs_through_the_same_items(pytester, inner):
    pytester.makepyfile(claims_builtin="from bnclaims import get_claim, register\n"
                                       "register(get_claim('bn.dmu_second_term_vanishes'))\n")
    result = inner("-rA", "-m", "bnclaims_theory")
    assert result.ret == 0
    assert _outcomes(result) == {"bn.dmu_second_term_vanishes[theory]": "passed",
                                 "bn.dmu_second_term_vanishes.twin[theory]": "passed"}


def test_the_documented_example_gives_its_three_outcomes_through_pytest(pytester, inner):
    pytester.makepyfile(claims_mine=(REPO / "docs" / "claims_mine.py").read_text(encoding="utf-8"))
    result = inner("-rA", "-m", "bnclaims_theory")
    assert result.ret == 1
    assert _outcomes(result) == {
        "mine.sum_is_m_beta[theory]": "passed", "mine.sum_is_m_beta.twin[theory]": "passed",
        "mine.thm41_three_over_m[theory]": "failed", "mine.thm41_three_over_m.twin[theory]": "passed",
        "mine.sum_contradictory[theory]": "failed", "mine.sum_contradictory.twin[theory]": "passed",
    }
    text = result.stdout.str()
    assert "mine.thm41_three_over_m [theory]: verdict refuted, expected proved" in text
    assert '"counterexample": {' in text and '"exact": true' in text
    assert "mine.sum_contradictory [theory]: verdict inconclusive, expected proved" in text


def test_collecting_claims_does_not_import_torch(pytester, monkeypatch):
    pytester.makepyfile(claims_tiny=TINY)
    pytester.makeconftest("import sys\n"
                          "def pytest_sessionfinish(session):\n"
                          "    open('torch_loaded.json', 'w').write(str('torch' in sys.modules).lower())\n")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the subprocess imports this checkout
    result = pytester.runpytest_subprocess(*PLUGIN, "-q")
    assert result.ret == 1, result.stdout.str()
    assert json.loads((pytester.path / "torch_loaded.json").read_text()) is False


def test_the_plugin_is_declared_as_a_pytest11_entry_point():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["entry-points"]["pytest11"] == {"bnclaims": "bnclaims.pytest_plugin"}
    assert "bnclaims.pytest_plugin" in sys.modules
