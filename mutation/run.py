"""The mutation tier's driver: cosmic-ray configs, a seeded sample per module, and the kill-rate report.

    python mutation/run.py configs                      # (re)write mutation/configs/*.toml from check.TARGETS
    python mutation/run.py init MODULE ... [--all]      # cosmic-ray init + operator filter + seeded sample
    nice -n 19 python mutation/run.py exec MODULE ...   # cosmic-ray exec (one mutant at a time)
    python mutation/run.py report [MODULE ...]          # killed / survived / equivalent, per module and in total

MODULE is a path from the repository root (``theory/bn_algebra.py``). Mutants are cosmic-ray's
(https://cosmic-ray.readthedocs.io); this script only picks which ones run: it drops the operators
in :data:`EXCLUDED_OPERATORS` and keeps a random sample of :data:`SAMPLE` per module, drawn with
``random.Random(f"{SEED}:{module}")`` (a shuffle of the mutants sorted by operator and occurrence,
of which the first ``--sample`` run), so the same source gives the same sample and a larger sample
extends a smaller one. ``init --all`` keeps every mutant. Sessions go to mutation/sessions/
(not in git). A survivor is a mutant whose module's check (``mutation/check.py``) still exits 0;
mutants listed in ``mutation/equivalent.toml`` (each with its reason) are not counted.
"""
from __future__ import annotations

import argparse
import ast
import random
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from check import TARGETS, imports_this_checkout  # noqa: E402  (importable only after the sys.path insert above)

SEED = 20251122
SAMPLE = 30
#: Replacements by bitwise and shift operators, and by identity comparisons: on sympy and mpmath
#: operands they are type errors or SyntaxWarnings (errors here), i.e. killed by any import.
#: Dropping them makes the kill rate harder to reach, not easier.
EXCLUDED_OPERATORS = [r"core/ReplaceBinaryOperator_\w+_(BitOr|BitAnd|BitXor|LShift|RShift)$",
                      r"core/ReplaceComparisonOperator_\w+_(Is|IsNot)$"]


def stem(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


def config_path(module: str) -> Path:
    return HERE / "configs" / f"{stem(module)}.toml"


def session_path(module: str) -> Path:
    return HERE / "sessions" / f"{stem(module)}.sqlite"


def write_configs() -> None:
    (HERE / "configs").mkdir(exist_ok=True)
    excluded = ", ".join(f'"{e}"' for e in EXCLUDED_OPERATORS).replace("\\", "\\\\")
    for module, target in TARGETS.items():
        config_path(module).write_text(
            f'# cosmic-ray config for {module}: python mutation/run.py init|exec|report {module}\n'
            f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = {target.timeout}\nexcluded-modules = []\n'
            f'test-command = "python mutation/check.py {module}"\n\n'
            f'[cosmic-ray.distributor]\nname = "local"\n\n'
            f'[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n')


def _tool(name: str) -> str:
    """cosmic-ray's command ``name``, next to this Python if it is there (a virtual environment), else on PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else name


def _cr(*args: str) -> None:
    subprocess.run([_tool("cosmic-ray"), *args], cwd=ROOT, check=True)


def init(module: str, everything: bool, size: int = SAMPLE) -> None:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    session_path(module).parent.mkdir(exist_ok=True)
    _cr("init", "--force", str(config_path(module)), str(session_path(module)))
    subprocess.run([_tool("cr-filter-operators"), str(session_path(module)), str(config_path(module))], cwd=ROOT, check=True)
    with use_db(str(session_path(module)), WorkDB.Mode.open) as db:
        pending = sorted(db.pending_work_items, key=lambda w: (w.mutations[0].operator_name, w.mutations[0].occurrence))
        random.Random(f"{SEED}:{module}").shuffle(pending)  # a larger sample extends a smaller one
        keep = pending if everything else pending[:size]
        kept = {w.job_id for w in keep}
        for w in pending:
            if w.job_id not in kept:
                db.set_result(w.job_id, WorkResult(output="not in the seeded sample",
                                                   worker_outcome=WorkerOutcome.SKIPPED))
        print(f"{module}: {db.num_work_items} mutants, {len(pending)} after the operator filter, {len(keep)} to run")


def equivalents() -> list[dict]:
    path = HERE / "equivalent.toml"
    import toml  # a dependency of cosmic-ray (tomllib needs Python 3.11)

    return toml.loads(path.read_text()).get("equivalent", []) if path.exists() else []


def _annotation_spans(source: str) -> list[tuple]:
    """(start, end) of every annotation, when ``from __future__ import annotations`` leaves them unevaluated."""
    tree = ast.parse(source)
    lazy = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and any(a.name == "annotations" for a in n.names)
               for n in tree.body)
    if not lazy:
        return []
    nodes = [n.annotation for n in ast.walk(tree) if isinstance(n, (ast.arg, ast.AnnAssign)) and n.annotation]
    nodes += [n.returns for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.returns]
    return [((n.lineno, n.col_offset), (n.end_lineno, n.end_col_offset)) for n in nodes]


def equivalent_by_rule(lines: list[str], spans: list[tuple], operator: str, pos: tuple[int, int]) -> str | None:
    """The rule of ``equivalent.toml`` that makes a mutant equivalent, or None."""
    if any(a <= pos < b for a, b in spans):
        return "annotation"
    line, col = pos
    if operator.startswith("core/ReplaceBinaryOperator_Mul_") and re.match(r"\*\s*(,|\)|$)", lines[line - 1][col:]):
        return "keyword-only-marker"
    return None


def _key(module: str, operator: str, line: str, col: int) -> tuple:
    return module, operator.removeprefix("core/"), line.strip(), col


def report(modules: list[str], verbose: bool) -> int:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    equiv = {_key(e["module"], e["operator"], e["code"], e["col"]) for e in equivalents()}
    total = dict(mutants=0, run=0, killed=0, timeout=0, survived=0, equivalent=0, pending=0)
    print(f"{'module':42s} {'mutants':>7s} {'run':>4s} {'killed':>6s} {'(timeout)':>9s} {'survived':>8s} "
          f"{'equiv':>5s} {'rate':>6s}    (rate = killed / (killed + survived); equiv = listed or by rule)")
    worst = 1.0
    for module in modules:
        if not session_path(module).exists():
            continue
        row = dict.fromkeys(total, 0)
        source = (ROOT / module).read_text()
        lines, spans = source.splitlines(), _annotation_spans(source)
        survivors = []
        with use_db(str(session_path(module)), WorkDB.Mode.open) as db:
            row["mutants"] = db.num_work_items
            results = dict((i.job_id, r) for i, r in db.completed_work_items)
            for item in db.work_items:
                r = results.get(item.job_id)
                if r is not None and r.worker_outcome is WorkerOutcome.SKIPPED:
                    continue
                if r is None:
                    row["pending"] += 1
                    continue
                row["run"] += 1
                mut = item.mutations[0]
                line, col = mut.start_pos
                if (_key(module, mut.operator_name, lines[line - 1], col) in equiv
                        or equivalent_by_rule(lines, spans, mut.operator_name, (line, col))):
                    row["equivalent"] += 1
                elif r.test_outcome is TestOutcome.SURVIVED:
                    row["survived"] += 1
                    survivors.append((mut, r))
                else:
                    row["killed"] += 1
                    row["timeout"] += r.output == "timeout"
        for k in total:
            total[k] += row[k]
        decided = row["killed"] + row["survived"]
        rate = row["killed"] / decided if decided else float("nan")
        worst = min(worst, rate) if decided else worst
        print(f"{module:42s} {row['mutants']:7d} {row['run']:4d} {row['killed']:6d} {row['timeout']:9d} "
              f"{row['survived']:8d} {row['equivalent']:5d} {rate:6.1%}" + (f"  ({row['pending']} pending)" if row["pending"] else ""))
        if verbose:
            for mut, r in survivors:
                line, col = mut.start_pos
                print(f"    SURVIVED {mut.operator_name.removeprefix('core/')} line {line} col {col}: "
                      f"{lines[line - 1].strip()}")
                for d in (r.diff or "").splitlines():
                    if d.startswith(("+", "-")) and not d.startswith(("+++", "---")):
                        print(f"        {d}")
    decided = total["killed"] + total["survived"]
    print(f"{'total':42s} {total['mutants']:7d} {total['run']:4d} {total['killed']:6d} {total['timeout']:9d} "
          f"{total['survived']:8d} {total['equivalent']:5d} {total['killed'] / max(decided, 1):6.1%}")
    return 0 if decided and total["killed"] / decided >= 0.95 and worst >= 0.95 else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["configs", "init", "exec", "report"])
    p.add_argument("modules", nargs="*", help="paths from the repository root (default: every module in check.py)")
    p.add_argument("--all", action="store_true", help="init: keep every mutant, not the seeded sample")
    p.add_argument("--sample", type=int, default=SAMPLE, help=f"init: mutants per module (default {SAMPLE})")
    p.add_argument("-v", "--verbose", action="store_true", help="report: list the survivors with their diffs")
    a = p.parse_intermixed_args(argv)
    modules = a.modules or list(TARGETS)
    for m in modules:
        if m not in TARGETS:
            p.error(f"unknown module {m!r}; known: {' '.join(TARGETS)}")
    if a.command in ("init", "exec") and not imports_this_checkout():
        p.error(f"the checks would not import bnclaims from {ROOT}: mutants there would go unseen")
    if a.command == "configs":
        write_configs()
    elif a.command == "init":
        for m in modules:
            init(m, a.all, a.sample)
    elif a.command == "exec":
        for m in modules:
            _cr("exec", str(config_path(m)), str(session_path(m)))
    else:
        return report(modules, a.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
