"""Loading a user's claims: a ``.py`` file or an importable module, into a registry of its own.

The file states its claims with the public API (``from bnclaims import Claim, register, ...``) and
calls :func:`bnclaims.register` at import time. :func:`load_claims` imports it while a fresh
:class:`bnclaims.Registry` is the current one (:func:`bnclaims.registry.collecting`), so its claims
never enter the built-in ledger: a user claim may reuse a built-in id (the two never meet), and
ids are unique within the file. ``bnclaims check`` and the pytest plugin both load through here.

Everything that goes wrong is :class:`bnclaims.BadInput` with one line naming the file: a missing
file, an error raised while importing it (the exception type and message, with the line for a
syntax error), a malformed claim (:class:`bnclaims.registry.MalformedClaim`), or no claim at all.

>>> import pathlib, tempfile
>>> src = '''
... from bnclaims import Claim, Level, Outcome, Source, Verdict, register
... def always(ctx):
...     return Outcome(Verdict.INCONCLUSIVE, "nothing checked")
... register(Claim(id="bn.backprop_ioffe_szegedy", statement="reuses a built-in id",
...                source=Source("me", "here"), hypotheses=("none",),
...                checks={Level.THEORY: always}, expected=None))
... '''
>>> path = pathlib.Path(tempfile.mkdtemp()) / "claims_doc.py"
>>> _ = path.write_text(src)
>>> [c.statement for c in load_claims(str(path)).all_claims()]
['reuses a built-in id']
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from bnclaims.errors import BadInput
from bnclaims.registry import MalformedClaim, Registry, collecting

__all__ = ["load_claims", "load_file", "load_module"]


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        text = f"SyntaxError: {exc.msg} (line {exc.lineno})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


def _module_name(path: Path) -> str:
    """A module name of its own for each file, so two files called ``claims_mine.py`` never collide."""
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    stem = "".join(ch if ch.isalnum() else "_" for ch in path.stem)
    return f"bnclaims_user_{stem}_{digest}"


def _finish(registry: Registry, where: str) -> Registry:
    if not len(registry):
        raise BadInput(f"{where}: no claims registered (call bnclaims.register(Claim(...)) at import time)")
    return registry


def load_file(path: str | Path) -> Registry:
    """Import the ``.py`` file at ``path`` into a fresh registry and return it.

    The file's directory is on ``sys.path`` while it is imported, so it may import modules beside it.
    The module is imported afresh on every call (under a name derived from its path).
    """
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"claims file {path} not found")
    path = path.resolve()
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise BadInput(f"{path}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    registry = Registry(f"claims of {path.name}")
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    sys.path.insert(0, str(path.parent))
    try:
        with collecting(registry):
            spec.loader.exec_module(module)
    except MalformedClaim as exc:
        sys.modules.pop(name, None)
        raise BadInput(f"{path}: malformed claim: {exc}") from None
    except BadInput as exc:
        sys.modules.pop(name, None)
        raise BadInput(f"{path}: {exc}") from None
    except Exception as exc:  # noqa: BLE001  (any error in the user's file is reported in one line)
        sys.modules.pop(name, None)
        raise BadInput(f"{path}: import failed: {_one_line(exc)}") from None
    finally:
        try:
            sys.path.remove(str(path.parent))
        except ValueError:
            pass
    return _finish(registry, str(path))


def load_module(name: str) -> Registry:
    """Import the module ``name`` (re-executed if it was imported before) into a fresh registry."""
    registry = Registry(f"claims of module {name}")
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        raise BadInput(f"module {name}: {_one_line(exc)}") from None
    if spec is None:
        raise BadInput(f"no claims file or module named {name!r}")
    try:
        with collecting(registry):
            if name in sys.modules:
                importlib.reload(sys.modules[name])
            else:
                importlib.import_module(name)
    except MalformedClaim as exc:
        raise BadInput(f"module {name}: malformed claim: {exc}") from None
    except BadInput as exc:
        raise BadInput(f"module {name}: {exc}") from None
    except Exception as exc:  # noqa: BLE001  (any error while importing the user's module: one line, exit 2)
        raise BadInput(f"module {name}: import failed: {_one_line(exc)}") from None
    return _finish(registry, f"module {name}")


def load_claims(target: str | Path) -> Registry:
    """The claims of ``target``: a path to a ``.py`` file, or else an importable module name."""
    text = str(target)
    if text.endswith(".py") or "/" in text or "\\" in text or Path(text).is_file():
        return load_file(text)
    return load_module(text)
