"""Import ``bnclaims`` and its mapped packages from this checkout, whatever is installed.

``mutation/check.py`` puts this folder on ``PYTHONPATH`` for the commands it runs. The packages
``bnclaims.theory``, ``bnclaims.numerics``, ``bnclaims.conformance`` and ``bnclaims.gpu_checks``
live in top-level folders (pyproject's package-dir mapping), so an editable install of another
checkout would otherwise supply them, and a mutant written here would never be imported.
"""
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
_DIRS = {"bnclaims": _ROOT / "bnclaims", **{f"bnclaims.{d}": _ROOT / d
                                            for d in ("theory", "numerics", "conformance", "gpu_checks")}}


class _ThisCheckout:
    @staticmethod
    def find_spec(fullname, path=None, target=None):
        top = _DIRS.get(fullname)
        if top is not None:
            return importlib.util.spec_from_file_location(fullname, top / "__init__.py",
                                                          submodule_search_locations=[str(top)])
        return None


sys.meta_path.insert(0, _ThisCheckout)
