"""Installation layout (pyproject.toml): theory/, numerics/, conformance/ and gpu_checks/ are installed as
bnclaims.theory, bnclaims.numerics, ... so that a project with packages of those names imports both."""
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {"bnclaims": "bnclaims", "theory": "bnclaims.theory", "numerics": "bnclaims.numerics",
          "conformance": "bnclaims.conformance", "gpu_checks": "bnclaims.gpu_checks"}


def test_a_project_with_its_own_numerics_and_theory_packages_imports_them_beside_bnclaims(tmp_path):
    for name in ("numerics", "theory"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"OWNER = 'my {name}'\n")
    code = textwrap.dedent("""
        import numerics, theory
        from bnclaims import Context, Level, get_claim
        from bnclaims.runner import Runner
        rec = Runner(Context(preset="quick")).run(get_claim("bn.dmu_second_term_vanishes"), Level.NUMERICS)
        import bnclaims.numerics
        print(numerics.OWNER, theory.OWNER, rec.verdict, bnclaims.numerics.__name__)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["my", "numerics", "my", "theory", "holds", "bnclaims.numerics"]


def test_every_package_folder_is_declared_under_its_bnclaims_name():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert cfg["package-dir"] == {v: k for k, v in MAPPED.items()}
    found = {".".join([MAPPED[top], *init.parent.relative_to(ROOT / top).parts])
             for top in MAPPED for init in (ROOT / top).rglob("__init__.py")}
    assert set(cfg["packages"]) == found
