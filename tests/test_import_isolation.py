"""theory/ and numerics/ never import torch (checked in a fresh interpreter)."""
import subprocess
import sys

CODE = r"""
import importlib, pkgutil, sys
from bnclaims import numerics, theory
for pkg in (theory, numerics):
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(mod.name)
import bnclaims
bnclaims.all_claims()
bad = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
print("torch modules:", len(bad))
sys.exit(1 if bad else 0)
"""


def test_theory_numerics_and_the_registry_import_without_torch():
    res = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
