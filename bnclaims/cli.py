"""``bnclaims``: list, show and verify Batch Normalization claims; regenerate their LaTeX;
``check`` runs the claims of a user's file (:mod:`bnclaims.user_claims`) like ``verify``.

Exit codes: 0 every verdict equals its expected verdict (``latex --check``: no drift);
1 some verdict differs (or the golden LaTeX drifted); 2 bad usage or bad input, with a
one-line message.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Sequence

from bnclaims import __version__
from bnclaims.errors import BadInput
from bnclaims.verdicts import Level

EPILOG = """\
examples:
  bnclaims list
  bnclaims show santurkar.lemma45_initialization
  bnclaims verify                                  # every claim, every level, CPU-sized preset
  bnclaims verify bn santurkar --level theory      # two families, symbolic level only
  bnclaims verify santurkar.thm41_grad_norm --batch 1,2,4,8 --upstream 1,0,0,0 --eps 0
  bnclaims verify --level theory --level numerics --json out.json
  bnclaims check claims_mine.py --preset quick      # your own claims (see docs/your_own_claims.md)
  bnclaims latex --out tex/        # write one .tex per claim plus bnclaims.tex
  bnclaims latex --check           # exit 1 if the committed golden LaTeX would change (prints the diff)
  bnclaims latex --pdf --from ledger.json   # tex/bnclaims.pdf with the verdicts of a ledger
  bnclaims verify --level scale --plots plots/ --cache .bnclaims-cache   # network claims
  bnclaims verify --level scale --preset gpu --device cuda --json gpu.json
  bnclaims rate --activation tanh --batch 32
  bnclaims check claims_mine.py                    # your own claims, same output and exit codes
  bnclaims conform torch.nn:BatchNorm1d --preset quick   # your own BN against the reference
  bnclaims bench curvature --json bench.json

exit codes: 0 all verdicts as expected; 1 some verdict differs (or LaTeX drift); 2 bad usage/input.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _write_json(path: str, payload: object) -> None:
    p = Path(path)
    if p.parent and not p.parent.exists():
        raise BadInput(f"cannot write {path}: directory {p.parent} does not exist")
    try:
        p.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}") from None


def check_writable(path: str, what: str = "--json") -> None:
    """Refuse an output file that cannot be written, before any work: its directory is missing, it is
    a directory, or opening it for writing fails (a read-only place, /proc, ...). A file created by
    the probe is removed again."""
    p = Path(path)
    if p.is_dir():
        raise BadInput(f"cannot write {what} {path}: it is a directory")
    if not p.parent.is_dir():
        raise BadInput(f"cannot write {what} {path}: directory {p.parent} does not exist")
    existed = p.exists()
    try:
        with open(p, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise BadInput(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    if not existed:
        p.unlink(missing_ok=True)


def check_writable_dir(path: str | Path, what: str) -> None:
    """Refuse an output directory that cannot be created or written, before any work."""
    import tempfile

    d = Path(path)
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=d, prefix=".write-probe-")
    except OSError as exc:
        raise BadInput(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    import os

    os.close(fd)
    os.unlink(probe)


# -- list / show ---------------------------------------------------------------------------

def cmd_list(args: argparse.Namespace) -> int:
    from bnclaims.registry import all_claims

    if args.json:
        check_writable(args.json)
    claims = all_claims()
    if args.json:
        from bnclaims.schema import claims_document

        _write_json(args.json, claims_document(claims))
    width = max(len(c.id) for c in claims)
    for c in claims:
        exp = ",".join(f"{lv.value}:{(c.expected_at(lv).value if c.expected_at(lv) else 'empirical')}"
                       for lv in c.checks)
        twin = " +twin" if c.twin else ""
        print(f"{c.id:<{width}}  {c.catalog:<5} {exp}{twin}")
    print(f"{len(claims)} claims, {sum(1 for c in claims if c.twin)} with false twins")
    return 0


def _show_claim(c) -> None:
    def wrap(text: str, ind: str = "  ") -> str:
        """Fill to 100 columns; continuation lines are indented under the text, not given a new bullet."""
        return textwrap.fill(text, 100, initial_indent=ind, subsequent_indent=" " * len(ind))
    print(f"{c.id}  ({c.catalog})  {c.title}")
    print("statement:")
    print(wrap(c.statement))
    print(f"latex:\n  {c.latex}")
    print(f"source: {c.source.cite()}")
    print("hypotheses:")
    for h in c.hypotheses:
        print(wrap(h, "  - "))
    if c.witness is not None:
        print(f"witness: {json.dumps(c.witness.data)}")
    print("expected: " + ", ".join(
        f"{lv.value} -> {c.expected_at(lv).value if c.expected_at(lv) else 'empirical (decided by the run)'}"
        for lv in c.checks))
    if c.proof_sketch:
        print("proof sketch:")
        print(wrap(c.proof_sketch))
    from bnclaims.scale.experiment import describe_scale_check

    if Level.SCALE in c.checks and describe_scale_check(c.checks[Level.SCALE]):
        print("scale level, pre-registered criterion:")
        for line in describe_scale_check(c.checks[Level.SCALE]):
            print(wrap(line, "  - "))
    if c.twin is not None:
        print(f"false twin ({c.id}.twin, must be refuted): {c.twin.change}")
        print(wrap(c.twin.statement))
        if Level.SCALE in c.twin.checks:
            for line in describe_scale_check(c.twin.checks[Level.SCALE])[:-2]:
                print(wrap(line, "  - "))
    if c.notes:
        print("notes:")
        print(wrap(c.notes))


def cmd_show(args: argparse.Namespace) -> int:
    from bnclaims.registry import families, get_claim, select

    target = args.target
    if target in families():
        if target == "conformance":
            from bnclaims.conformance.conventions import render_table

            print(render_table())
            print()
        for c in select([target]):
            _show_claim(c)
            print()
        return 0
    _show_claim(get_claim(target))
    return 0


# -- verify --------------------------------------------------------------------------------

def _batch_inputs(args) -> tuple:
    """The user's ``--batch``, ``--eps``, ``--gamma``, ``--upstream`` as exact rationals, validated
    (:mod:`bnclaims.numerics.inputs`: bounded exponents and magnitudes, at most ``MAX_BATCH`` values)."""
    from bnclaims.numerics.inputs import MAX_BATCH, parse_number, parse_vector, validate_batch

    y, eps = validate_batch(args.batch, args.eps)
    gamma = parse_number(args.gamma, "gamma")
    if gamma == 0:
        raise BadInput("gamma must be nonzero")
    g = None
    if args.upstream is not None:
        g = parse_vector(args.upstream, "upstream", max_size=MAX_BATCH)
        if len(g) != len(y):
            raise BadInput(f"upstream has {len(g)} entries but the batch has {len(y)}")
    return y, eps, gamma, g


def _batch_records(claims, inputs: tuple, ctx):
    """Evaluate ``on_batch`` of the selected claims on the user's data (from :func:`_batch_inputs`)."""
    from bnclaims.numerics.inputs import conditioning_digits
    from bnclaims.runner import run_one

    y, eps, gamma, g = inputs
    usable = [c for c in claims if c.on_batch is not None]
    if not usable:
        raise BadInput("none of the selected claims takes a user batch; "
                       "see 'bnclaims list --json' (accepts_user_batch)")
    # Precision follows the conditioning of the user's batch: a mean of 1e40 over a spread of 1
    # costs 40 digits in the centring and again in its derivative (computed exactly: no float
    # holds a value of the batch, so 1e308 or 1e-300 cannot overflow).
    ctx.dps = ctx.dps + conditioning_digits(y, eps)
    records = []
    for c in usable:  # run_one downgrades an uncertified refutation (runner.certified_only)
        check = lambda ctx, c=c: c.on_batch(y, eps, gamma, g, ctx)
        records.append(run_one(check, ctx, record_id=c.id, level=Level.NUMERICS,
                               expected=c.expected_at(Level.NUMERICS)))
    return records


def _certified_only(outcome, level=Level.NUMERICS):
    """A refutation counts only with a certificate at its level; otherwise inconclusive (the runner's
    rule for every record, :func:`bnclaims.runner.certified_only`)."""
    from bnclaims.runner import certified_only

    return certified_only(outcome, level)


def _report(records, ctx, json_path: str | None, extra_env: dict | None = None, *, printed: bool = False,
            claims=()) -> int:
    """Print one line per record (unless ``printed`` live already) and the summary; write the JSON
    ledger; the exit code (0 or 1)."""
    from bnclaims.live import printable, result_line

    if not records:
        raise BadInput("nothing to run: the selected claims have no check at the selected levels")
    width = max(len(r.id) for r in records)
    bad = [r for r in records if not r.as_expected]
    for r in records if not printed else []:
        print(result_line(r, width))
    for r in bad:
        print(f"DIFF {r.id} [{r.level}]: {r.verdict}, expected {r.expected or 'empirical'}")
        for key in ("error", "vacuous", "downgraded"):
            if key in r.evidence:
                print(f"     {key}: {printable(r.evidence[key])}")
    total = sum(r.seconds for r in records)
    print(f"{len(records)} checks, {len(records) - len(bad)} as expected, {len(bad)} differ; "
          f"{total:.1f}s of checks; seed {ctx.seed}, preset {ctx.preset}, {ctx.dps} digits")
    if json_path:
        _write_ledger(json_path, records, ctx, extra_env, claims=claims)
    return 1 if bad else 0


def _write_ledger(json_path: str, records, ctx, extra_env: dict | None = None, *, claims=(),
                  interrupted: str | None = None) -> None:
    from bnclaims.schema import ledger_document

    doc = ledger_document(records, ctx, claims=claims, environment=extra_env)
    if interrupted is not None:
        doc["interrupted"] = interrupted
    _write_json(json_path, doc)


def _run_live(claims, levels, ctx, args, extra_env: dict | None = None) -> int:
    """Run the claims printing each result as it finishes; on Ctrl-C or a crash, the ``--json`` ledger
    still gets the records finished so far (marked ``interrupted``) before the error propagates."""
    from bnclaims.live import Live
    from bnclaims.runner import plan, run_claims

    jobs = plan(claims, levels, not args.no_twins)
    records: list = []
    tty = sys.stderr.isatty()
    try:
        with Live(len(jobs), bar=tty and not args.no_progress,
                  heartbeat_s=0 if args.no_progress else 10.0,
                  id_width=max((len(j[0]) for j in jobs), default=0)) as live:
            run_claims(claims, levels, ctx, twins=not args.no_twins, live=live, into=records)
    except BaseException as exc:
        if args.json and records and not isinstance(exc, BadInput):
            why = "interrupted (Ctrl-C)" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
            _write_ledger(args.json, records, ctx, extra_env, claims=claims, interrupted=f"{why}; {len(records)} of "
                          f"{len(jobs)} checks finished")
            print(f"bnclaims: wrote the {len(records)} finished checks to {args.json}", file=sys.stderr)
        raise
    finally:
        ctx.close()
    return _report(records, ctx, args.json, extra_env, printed=True, claims=claims)


def cmd_verify(args: argparse.Namespace) -> int:
    from bnclaims.registry import select

    inputs = _batch_inputs(args) if args.batch is not None else None  # the user's numbers before anything runs
    claims = select(args.targets)
    levels = [Level(v) for v in (args.level or [lv.value for lv in Level])]
    ctx = _run_context(args, levels, needs_scale=args.batch is None)
    if inputs is not None:
        records = _batch_records(claims, inputs, ctx)
    else:
        if args.eps is not None or args.upstream is not None:
            raise BadInput("--eps/--gamma/--upstream only apply together with --batch")
        return _run_live(claims, levels, ctx, args)
    return _report(records, ctx, args.json, claims=claims)


def cmd_check(args: argparse.Namespace) -> int:
    """Run the claims of a user's file or module (their own registry) exactly like ``verify``."""
    from bnclaims.user_claims import load_claims

    registry = load_claims(args.claims)
    claims = registry.select(args.targets)
    levels = [Level(v) for v in (args.level or [lv.value for lv in Level])]
    ctx = _run_context(args, levels, needs_scale=any(Level.SCALE in c.checks for c in claims))
    return _run_live(claims, levels, ctx, args, {"claims": args.claims})


def _default_jobs() -> int:
    import os

    return max(1, min(4, os.cpu_count() or 1))


def _check_writable_parent(path: str) -> None:
    check_writable(path)


def _validate_device(device: str) -> None:
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise BadInput(f"--device {device!r} is not a torch device (cpu, cuda, cuda:0, ...)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise BadInput(f"--device {device}: CUDA is not available on this machine")
    if dev.type not in ("cpu", "cuda"):
        raise BadInput(f"--device {device}: the scale level runs on cpu or cuda")


def _validate_scale_options(args: argparse.Namespace) -> None:
    """Refuse bad scale-level options before any check runs (exit 2, one line)."""
    from bnclaims.scale.grid import validate_cache_dir, validate_executor, validate_jobs

    _validate_device(args.device)
    validate_jobs(args.jobs)
    validate_executor(args.executor)
    if args.cache is not None:
        validate_cache_dir(args.cache)
    if args.plots is not None:
        validate_cache_dir(args.plots, what="--plots")


def cmd_rate(args: argparse.Namespace) -> int:
    """The per-layer gradient growth rate of an activation (Yang et al. 2019, Thms 8 and 9)."""
    from bnclaims.numerics.yang2019 import activation_rate

    if not 15 <= args.dps <= 1000:
        raise BadInput(f"--dps must be between 15 and 1000, got {args.dps}")
    if args.json:
        _check_writable_parent(args.json)
    try:
        result = activation_rate(args.activation, batch=args.batch, dps=args.dps)
    except (OverflowError, MemoryError, ZeroDivisionError) as exc:
        raise BadInput(f"cannot compute the rate of {args.activation!r}: the integrals against N(0, 1) overflow "
                       f"({type(exc).__name__}); the activation grows too fast") from None
    if args.json:
        from bnclaims.schema import envelope

        _write_json(args.json, {**envelope("rate"), **result})
    for key, value in result.items():
        print(f"{key}: {value}")
    return 0


# -- latex / bench -------------------------------------------------------------------------

def cmd_latex(args: argparse.Namespace) -> int:
    from bnclaims import latex

    if (args.check or args.update) and args.ledger:
        raise BadInput("--from applies to --out/--pdf only: the golden files state the expected verdicts")
    if args.check:
        report = latex.check_golden()
        sys.stdout.write(report.diff())
        print(report.summary())
        return 0 if report.ok else 1
    if args.update:
        changes = latex.update_golden()
        print("\n".join(changes) if changes else "golden LaTeX already up to date")
        return 0
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} exists and is not a directory")
    exe = latex.find_pdflatex() if args.pdf else None
    check_writable_dir(out, "--out")  # before the minute of generation
    ledger = None
    if args.ledger:
        from bnclaims.schema import read_ledger

        ledger = read_ledger(args.ledger)
    written = latex.write(out, ledger, Path(args.ledger).name if args.ledger else "")
    print(f"wrote {len(written)} files to {out}/")
    if exe is None:
        return 0
    build = latex.build_pdf(out, exe)
    if not build.ok:
        print(f"pdflatex failed: {build.errors[0] if build.errors else 'no PDF written'} (see {build.log})")
        return 1
    print(f"wrote {build.pdf}: {build.pages} pages, {build.runs} pdflatex runs, {build.seconds:.1f}s")
    if build.overfull:
        print(f"warning: {len(build.overfull)} overfull boxes (see {build.log}): {build.overfull[0]}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "curvature":
        from bnclaims.gpu_checks.curvature.bench_curvature import main as bench_main

        rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
        return bench_main(rest)
    raise BadInput(f"unknown benchmark {args.what!r}")


def _add_run_options(q: argparse.ArgumentParser) -> None:
    """Options shared by ``verify`` and ``check``: levels, seed, preset, precision, device, output, scale."""
    q.add_argument("--level", action="append", choices=[lv.value for lv in Level],
                   help="level to run (repeatable; default: all)")
    q.add_argument("--seed", type=int, default=20251122, help="seed for every random choice")
    q.add_argument("--preset", choices=["quick", "default", "thorough", "gpu"], default="default",
                   help="sample budgets and sizes (default: CPU-sized, a few minutes)")
    q.add_argument("--dps", type=int, default=60, help="mpmath digits for numerics (50 to 1000)")
    q.add_argument("--device", default="cpu", help="torch device for the scale level")
    q.add_argument("--json", metavar="PATH", help="write the ledger as JSON")
    q.add_argument("--no-twins", action="store_true", help="skip the false twins")
    q.add_argument("--no-progress", action="store_true", help="no progress bar")
    q.add_argument("--jobs", type=int, default=_default_jobs(), metavar="N",
                   help="scale level: worker processes for the experiment cells (default: CPUs, at most 4)")
    q.add_argument("--cache", metavar="DIR", help="scale level: keep finished cells here; a rerun resumes")
    q.add_argument("--executor", default="local", choices=["local", "slurm"],
                   help="scale level: run cells in a local process pool or as a SLURM array (needs submitit)")
    q.add_argument("--plots", metavar="DIR", help="scale level: write one PNG per claim into DIR")


def _run_context(args: argparse.Namespace, levels: list[Level], needs_scale: bool):
    """The run context of ``verify``/``check``, with every output path and scale option validated first."""
    from bnclaims.context import Context

    if args.json:
        _check_writable_parent(args.json)
    if not 0 <= args.seed < 2**63:
        raise BadInput(f"--seed must be a whole number from 0 to 2^63 - 1, got {args.seed}")
    if args.jobs < 1:
        raise BadInput(f"--jobs must be at least 1, got {args.jobs}")
    if not re.fullmatch(r"cpu|cuda(:[0-9]+)?", args.device):
        raise BadInput(f"--device {args.device!r} is not a torch device the scale level runs on "
                       "(cpu, cuda, cuda:0, ...)")
    if Level.SCALE in levels and needs_scale:
        _validate_scale_options(args)
    return Context(seed=args.seed, preset=args.preset, dps=args.dps, device=args.device, jobs=args.jobs,
                   cache=args.cache, executor=args.executor, plots=args.plots)


def build_parser() -> argparse.ArgumentParser:
    from bnclaims.conform_cli import add_parser as add_conform_parser
    from bnclaims.report.command import add_parser as add_report_parser

    p = _Parser(prog="bnclaims", description="Verify published claims about Batch Normalization: "
                "each claim has a source, checks at the theory (sympy), numerics (mpmath + "
                "hypothesis) and scale (torch) levels, an expected verdict and a false twin.",
                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"bnclaims {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    q = sub.add_parser("list", help="list the claims with their expected verdicts")
    q.add_argument("--json", metavar="PATH", help="also write the claims as JSON")
    q.set_defaults(func=cmd_list)

    q = sub.add_parser("show", help="statement, source, hypotheses, proof sketch and twin of a claim")
    q.add_argument("target", metavar="ID|FAMILY", help="a claim id, or a family (e.g. conformance)")
    q.set_defaults(func=cmd_show)

    q = sub.add_parser("verify", help="run the checks and compare verdicts with the expected ones",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Run checks. With no ID, every claim; a FAMILY (bn, santurkar, "
                       "scale, rao, cai, conformance) selects its claims. With --batch, evaluate "
                       "the claims that accept user data on that batch instead.")
    q.add_argument("targets", nargs="*", metavar="ID|FAMILY")
    _add_run_options(q)
    q.add_argument("--batch", metavar="Y1,Y2,...",
                   help="evaluate on this batch (one BN unit): 2 to 64 values, each 0 or between 1e-1000 and "
                   "1e+1000 in magnitude, an exponent of at most 2000, at most 1000 characters; a batch whose "
                   "max|y|/sqrt(sigma^2 + eps) exceeds about 1e200 is refused")
    q.add_argument("--eps", metavar="E", default=None, help="eps for --batch (default 0)")
    q.add_argument("--gamma", metavar="G", default="1", help="gamma for --batch (default 1)")
    q.add_argument("--upstream", metavar="G1,G2,...",
                   help="upstream gradient dL/dz for --batch (default: the first unit vector e_k outside "
                   "span{1, yhat} with y_k != mean)")
    q.set_defaults(func=cmd_verify)

    q = sub.add_parser("check", help="run the claims of your own file (FILE.py or MODULE) like verify",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Import FILE.py (or an importable MODULE) into a registry of its own, "
                       "separate from the built-in ledger (a user id may reuse a built-in id), and run its "
                       "claims and twins at their levels, with the same rules, output and exit codes as verify. "
                       "Exit 2 when the file is missing, fails to import, registers no claim or a malformed one.",
                       epilog="examples:\n  bnclaims check claims_mine.py --preset quick\n"
                       "  bnclaims check claims_mine.py mine.sum_is_m_beta --level theory --json out.json\n"
                       "  bnclaims check mypackage.claims")
    q.add_argument("claims", metavar="FILE.py|MODULE", help="a Python file or module that calls bnclaims.register")
    q.add_argument("targets", nargs="*", metavar="ID|FAMILY", help="run only these of its claims")
    _add_run_options(q)
    q.set_defaults(func=cmd_check)

    q = sub.add_parser("rate", help="per-layer gradient growth of a BN net for an activation (Yang et al. 2019)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Large-batch rate E[phi'(z)^2]/Var phi(z) of any activation (a name or a sympy "
                       "expression in z), and with --batch the finite-B rate where an exact form exists "
                       "(linear: (B-2)/(B-3); relu: Thm 8).",
                       epilog="examples:\n  bnclaims rate --activation tanh\n"
                       "  bnclaims rate --activation relu --batch 32\n"
                       "  bnclaims rate --activation 'z*exp(-z**2/2)'")
    q.add_argument("--activation", required=True, metavar="NAME|EXPR",
                   help="relu, linear, tanh, gelu, silu, abs, ... or an expression in z")
    q.add_argument("--batch", type=int, metavar="B", help="batch size B >= 4 for the finite-B rate")
    q.add_argument("--dps", type=int, default=30, help="digits (default 30)")
    q.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    q.set_defaults(func=cmd_rate)

    add_conform_parser(sub)
    add_report_parser(sub)

    q = sub.add_parser("latex", help="write the LaTeX derivations and their PDF (or check the golden files)")
    q.add_argument("--out", default="tex", metavar="DIR", help="output directory (default: tex)")
    what = q.add_mutually_exclusive_group()
    what.add_argument("--pdf", action="store_true", help="also build DIR/bnclaims.pdf with pdflatex")
    what.add_argument("--check", action="store_true",
                      help="diff the committed golden files against a fresh generation; exit 1 on drift")
    what.add_argument("--update", action="store_true",
                      help="rewrite the committed golden files and list what changed")
    q.add_argument("--from", dest="ledger", metavar="LEDGER.json",
                   help="verdict table from this ledger (bnclaims verify --json) instead of the expected verdicts")
    q.set_defaults(func=cmd_latex)

    q = sub.add_parser("bench", help="benchmarks: 'bnclaims bench curvature --help'",
                       description="Benchmarks that print figures (ratios measured in the same run).")
    bench = q.add_subparsers(dest="what", required=True, parser_class=_Parser, metavar="BENCHMARK")
    b = bench.add_parser("curvature", add_help=False,
                         help="the curvature engine against exact spectra (options: 'bnclaims bench curvature --help')")
    b.add_argument("rest", nargs=argparse.REMAINDER)
    b.set_defaults(func=cmd_bench)
    return p


_VALUE_OPTIONS = ("--batch", "--upstream", "--eps", "--gamma")


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--batch -3,1`` -> ``--batch=-3,1``: argparse would read ``-3,1`` as an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in _VALUE_OPTIONS and i + 1 < len(argv) and argv[i + 1][:2].replace(".", "0")[1:].isdigit() \
                and argv[i + 1].startswith("-"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    argv = _join_negative_values(list(sys.argv[1:] if argv is None else argv))
    if argv[:2] == ["bench", "curvature"]:  # its own parser owns every option, --help included
        argv = ["bench", "curvature", "--", *argv[2:]] if len(argv) > 2 and argv[2] != "--" else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.func is not cmd_rate and not 50 <= getattr(args, "dps", 60) <= 1000:
        parser.error(f"--dps must be at least 50 and at most 1000, got {args.dps}")
    if args.func is cmd_verify and args.batch is not None and args.eps is None:
        args.eps = "0"
    from bnclaims.schema.contract import invocation

    try:
        with invocation(["bnclaims", *argv]):
            return args.func(args)
    except BadInput as exc:
        from bnclaims.live import printable

        print(f"bnclaims: error: {printable(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bnclaims: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``bnclaims show conformance | head``): stop quietly, as Unix tools do.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
