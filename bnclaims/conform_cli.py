"""``bnclaims conform MODULE:ATTR``: check your own Batch Norm against the exact reference.

Wired into :mod:`bnclaims.cli` by ``add_parser(sub)`` (its parser sets ``func=cmd_conform``);
also runnable alone as ``python -m bnclaims.conform_cli MODULE:ATTR``. torch is imported only
when the command runs, so building the parser stays torch-free.

Exit codes: 0 every check holds or does not apply (a dtype the implementation rejects, no running
buffers, no double backward: the inconclusive line says which); 1 some check refuted, with a
certified, shrunk counterexample (or a violation found that interval arithmetic could not
certify: inconclusive); 2 bad input (a spec that does not resolve, an object that runs in none of
the requested dtypes, an unknown dtype), with one line.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from bnclaims.errors import BadInput

__all__ = ["add_parser", "cmd_conform", "main", "DTYPE_CHOICES", "CHECK_CHOICES"]

#: Mirrors ``bnclaims.conformance.user_bn.DTYPES`` / ``CHECKS`` without importing torch (a test keeps them equal).
DTYPE_CHOICES = ("float64", "float32", "float16", "bfloat16")
CHECK_CHOICES = ("forward_train", "forward_eval", "running_stats", "gradient", "hessian")

EPILOG = """\
MODULE:ATTR is a torch.nn.Module class built like torch.nn.BatchNorm1d (Attr(C, eps=, momentum=))
or a function with torch.nn.functional.batch_norm's signature; MODULE may be a path to a .py file.

examples:
  bnclaims conform torch.nn.functional:batch_norm --preset quick
  bnclaims conform torch.nn:BatchNorm1d --dtype float32 --dtype bfloat16
  bnclaims conform docs/examples/buggy_bn.py:mean_grad_dropped_bn --json report.json

checks (each per dtype): forward_train, forward_eval (output within c*kappa*u of the mpmath
reference), running_stats (unbiased variance, r <- (1-p) r + p b, momentum=None cumulative),
gradient (backward of <g, BN(y)>), hessian (double-backward H v). A failure is shrunk to the
smallest failing input of its dtype and certified by interval arithmetic.

exit codes: 0 every check holds or does not apply; 1 some check refuted (or an uncertified
violation); 2 bad input.
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``conform`` to ``subparsers`` (the object ``ArgumentParser.add_subparsers`` returns)."""
    q = subparsers.add_parser("conform", help="check your own BN implementation (module class or function)",
                              description="Check a Batch Norm implementation against the exact mpmath "
                              "reference: forward (train, eval), running statistics, gradient and "
                              "Hessian-vector products, per dtype.",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("spec", metavar="MODULE:ATTR", help="e.g. torch.nn:BatchNorm1d or path/to/file.py:my_bn")
    q.add_argument("--dtype", action="append", choices=DTYPE_CHOICES,
                   help="dtype to check (repeatable; default: all four)")
    q.add_argument("--check", action="append", choices=CHECK_CHOICES,
                   help="check to run (repeatable; default: all five)")
    q.add_argument("--seed", type=int, default=20251122, help="seed for every random choice")
    q.add_argument("--preset", choices=["quick", "default"], default="default",
                   help="sample budgets: quick (seconds) or default (about half a minute for torch's BN)")
    q.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    q.set_defaults(func=cmd_conform)
    return q


def cmd_conform(args: argparse.Namespace) -> int:
    """Run :func:`bnclaims.conformance.user_bn.conform`, print the report, return the exit code (0 or 1).

    Raises :class:`bnclaims.BadInput` (exit 2 in ``bnclaims.cli.main``) for bad input.
    """
    if args.json:
        from bnclaims.cli import check_writable

        check_writable(args.json)
    from bnclaims.conformance.user_bn import conform

    report = conform(args.spec, dtypes=tuple(args.dtype or DTYPE_CHOICES), seed=args.seed, preset=args.preset,
                     checks=tuple(getattr(args, "check", None) or CHECK_CHOICES))
    for line in report.lines():
        print(line)
    if args.json:
        from bnclaims.schema import envelope

        doc = {**envelope("conform"), **report.to_dict()}
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return report.exit_code


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (exit 2), as in :mod:`bnclaims.cli`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bnclaims.conform_cli MODULE:ATTR [...]``: the subcommand on its own."""
    parser = _Parser(prog="bnclaims")
    add_parser(parser.add_subparsers(dest="command", required=True, parser_class=_Parser))
    args = parser.parse_args(["conform", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.func(args)
    except BadInput as exc:
        print(f"bnclaims: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
