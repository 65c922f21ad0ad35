"""The JSON contract of ``bnclaims``: one envelope for every document it writes, and its reader.

Every document (``verify``/``check --json``: a ledger; ``list --json``: the claims) carries
``schema_version``, ``kind``, the ``command`` line, the ``git_commit`` of the checkout when there
is one, and a ``summary`` block. The claim descriptions of a ledger (``claims``) have the same shape
as those of ``list --json``, so a ledger is readable without the code that wrote it (``bnclaims
report``). The file ``ledger.schema.json`` beside this module is the JSON Schema of both kinds;
:data:`SCHEMA_VERSION` rises with any change that is not a pure addition.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from bnclaims.errors import BadInput

__all__ = ["SCHEMA_VERSION", "claims_document", "git_commit", "invocation", "ledger_document", "read_ledger",
           "record_dict", "schema"]

#: Version of the documents written by this code; a reader refuses a larger one.
SCHEMA_VERSION = 2
SCHEMA_FILE = Path(__file__).with_name("ledger.schema.json")
_REPO = Path(__file__).resolve().parents[2]
_COMMAND: ContextVar[list[str] | None] = ContextVar("bnclaims_command", default=None)


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of every document, shipped with the package."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def git_commit(where: Path = _REPO) -> str | None:
    """The commit checked out at ``where`` (the source tree of an editable install), else None."""
    if not (where / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None


@contextmanager
def invocation(command: Sequence[str]) -> Iterator[None]:
    """Inside the block, documents record ``command`` as their command line (the CLI wraps each command)."""
    token = _COMMAND.set(list(command))
    try:
        yield
    finally:
        _COMMAND.reset(token)


def _envelope(kind: str, command: Sequence[str] | None) -> dict[str, Any]:
    argv = list(command) if command is not None else _COMMAND.get() or [Path(sys.argv[0]).name, *sys.argv[1:]]
    return {"schema_version": SCHEMA_VERSION, "kind": kind, "command": argv, "git_commit": git_commit()}


def envelope(kind: str, command: Sequence[str] | None = None) -> dict[str, Any]:
    """The fields every JSON document of the CLI starts with: ``schema_version``, ``kind`` (``ledger``,
    ``claims``, ``conform``, ``rate``, ``bench``), the ``command`` line and the ``git_commit``."""
    return _envelope(kind, command)


def _jsonable(value: Any) -> Any:
    from bnclaims.runner import _jsonable as jsonable

    return jsonable(value)


def record_dict(record) -> dict[str, Any]:
    """One ledger record: the :class:`bnclaims.runner.Record` fields with ``as_expected`` after ``expected``."""
    fields = asdict(record)
    out = {k: fields[k] for k in ("id", "level", "verdict", "expected")}
    out["as_expected"] = record.as_expected
    out.update({k: v for k, v in fields.items() if k not in out})
    return out


def _record_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    good = sum(r["as_expected"] for r in results)
    return {"records": len(results), "as_expected": good, "differ": len(results) - good,
            "claims": len({r["id"].removesuffix(".twin") for r in results}),
            "twins": sum(r["id"].endswith(".twin") for r in results),
            "verdicts": dict(sorted(Counter(r["verdict"] for r in results).items())),
            "levels": dict(sorted(Counter(r["level"] for r in results).items())),
            "seconds": round(sum(r["seconds"] for r in results), 3)}


def ledger_document(records: Iterable, ctx, *, claims: Iterable = (), command: Sequence[str] | None = None,
                    environment: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ledger written by ``verify``/``check --json``: envelope, environment, summary, the claims that
    have a record (described as in ``list --json``) and one record per (claim or twin, level)."""
    from bnclaims.runner import environment as run_environment

    results = [record_dict(r) for r in records]
    env = run_environment(ctx)
    if getattr(ctx, "plots", None):
        env["plots"] = str(ctx.plots)
    env.update(environment or {})
    ran = {r["id"].removesuffix(".twin") for r in results}
    return {**_envelope("ledger", command), "environment": env, "summary": _record_summary(results),
            "claims": [_jsonable(c.summary()) for c in claims if c.id in ran], "results": results}


def claims_document(claims: Iterable, *, command: Sequence[str] | None = None) -> dict[str, Any]:
    """The document written by ``list --json``: envelope, summary and the claims."""
    entries = [_jsonable(c.summary()) for c in claims]
    summary = {"claims": len(entries), "twins": sum(e["twin"] is not None for e in entries),
               "families": dict(sorted(Counter(e["id"].split(".", 1)[0] for e in entries).items()))}
    return {**_envelope("claims", command), "summary": summary, "claims": entries}


def _shape_error(path: Path, doc: Any) -> str | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        what = "the claims list of 'bnclaims list --json'" if isinstance(doc, dict) and doc.get("kind") == "claims" \
            else "no 'results' list"
        return f"{path} is not a bnclaims ledger ({what}); write one with 'bnclaims verify --json {path.name}'"
    version = doc.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return f"{path}: schema_version {version!r} is not a non-negative integer"
    if version > SCHEMA_VERSION:
        return (f"{path} has schema_version {version}, newer than this bnclaims reads ({SCHEMA_VERSION}); "
                "upgrade bnclaims to read it")
    for i, rec in enumerate(doc["results"]):
        if not isinstance(rec, dict) or not all(isinstance(rec.get(k), str) for k in ("id", "level", "verdict")):
            return f"{path}: result {i} is not a ledger record (it needs the strings id, level and verdict)"
    return None


def read_ledger(path: str | Path) -> dict[str, Any]:
    """Load a ledger written by ``verify``/``check --json``; :class:`BadInput` (one line) when the file is
    missing, not JSON, not a ledger, or from a newer schema. A ledger from before the contract
    (``schema_version`` absent) reads as version 0."""
    p = Path(path)
    if not p.is_file():
        raise BadInput(f"ledger {p} does not exist" if not p.exists() else f"ledger {p} is not a file")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{p} is not a JSON text file") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{p} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    problem = _shape_error(p, doc)
    if problem:
        raise BadInput(problem)
    return doc
