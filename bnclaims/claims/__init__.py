"""Claim families; importing this package registers every claim.

One module per family. A module must not import torch at import time (``bnclaims list``
stays fast and torch-free); torch-based checks import it inside the check function.
"""
import importlib
import pkgutil

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_mod}")
