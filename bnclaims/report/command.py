"""The ``report`` subcommand: read a ledger (and optionally a curvature bench), write the report."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bnclaims.errors import BadInput

__all__ = ["add_parser", "cmd_report", "read_bench"]

EPILOG = """\
examples:
  bnclaims verify --json ledger.json && bnclaims report --from ledger.json --out report/
  bnclaims verify --level scale --plots plots/ --json scale.json
  bnclaims report --from scale.json --plots plots/ --out report/
  bnclaims bench curvature --json bench.json && bnclaims report --from ledger.json --bench bench.json
"""


def read_bench(path: str | Path) -> dict[str, Any]:
    """A ``bnclaims bench curvature --json`` document; :class:`BadInput` (one line) for anything else."""
    p = Path(path)
    if not p.is_file():
        raise BadInput(f"bench file {p} does not exist")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"{p} is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or not {"problem", "exact"} <= set(doc):
        raise BadInput(f"{p} is not the output of 'bnclaims bench curvature --json' (no 'problem' and 'exact')")
    return doc


def cmd_report(args: argparse.Namespace) -> int:
    from bnclaims.report import HTML_NAME, MARKDOWN_NAME, write_report
    from bnclaims.schema import read_ledger

    doc = read_ledger(args.ledger)
    bench = read_bench(args.bench) if args.bench else None
    if args.plots is not None and not Path(args.plots).is_dir():
        raise BadInput(f"--plots {args.plots} is not a directory")
    report = write_report(doc, args.out, ledger_path=args.ledger, plots_dir=args.plots, bench=bench)
    out = Path(args.out)
    claims = sum(len(p.claims) for p in report.papers)
    print(f"wrote {out / HTML_NAME} and {out / MARKDOWN_NAME}: {claims} claims, {len(doc['results'])} checks, "
          f"{len(report.figures)} figures in {out / 'figures'}")
    if report.missing_plots:
        print(f"bnclaims: note: {len(report.missing_plots)} plots named in the ledger were not found "
              f"({', '.join(report.missing_plots[:3])}{', ...' if len(report.missing_plots) > 3 else ''}); "
              "pass their directory with --plots", file=sys.stderr)
    return 0


def add_parser(sub) -> None:
    """Register ``report`` on the ``bnclaims`` subparsers."""
    q = sub.add_parser("report", help="render a saved ledger as an HTML page and a Markdown twin, with figures",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="Render a ledger written by 'bnclaims verify --json' (or 'check --json') as one "
                       "self-contained HTML page (report.html: mathematics as MathML, figures inline; opens offline) "
                       "and its Markdown twin (report.md, figures in figures/). It never runs a check: a ledger from "
                       "a GPU machine can be reported anywhere.")
    q.add_argument("--from", dest="ledger", required=True, metavar="LEDGER.json", help="the ledger to render")
    q.add_argument("--out", default="report", metavar="DIR", help="output directory (default: report)")
    q.add_argument("--plots", metavar="DIR", help="where the scale-level plots named in the ledger are "
                   "(default: the --plots directory the ledger records, then beside the ledger)")
    q.add_argument("--bench", metavar="BENCH.json",
                   help="add the curvature figures of 'bnclaims bench curvature --json'")
    q.set_defaults(func=cmd_report)
