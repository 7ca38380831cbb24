"""``python -m benchmarks report RUN_DIR``: render a run's page (and refresh the site index)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.commands import _flags
from benchmarks.errors import ConfigError

HELP = "render a run directory as a self-contained HTML page (and refresh the site index)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory")
    parser.add_argument(
        "--baseline", type=Path, metavar="RUN_DIR", help="compare every cell with this run"
    )
    _flags.add_threshold(parser)
    parser.add_argument(
        "-o", "--out", type=Path, metavar="DIR", help="write the page here (default: RUN_DIR)"
    )
    parser.add_argument(
        "--no-site", action="store_true", help="do not refresh index.html in RUN_DIR's parent"
    )


def main(args: argparse.Namespace) -> int:
    from benchmarks.report.render import ForeignPageError, render_run
    from benchmarks.report.site import refusal, render_site

    _flags.check_threshold(args.threshold)
    for path in (args.run_dir, args.baseline):
        if path is not None and not path.is_dir():
            raise ConfigError(f"{path}: no such run directory", "pass reports/<run-id>")
    try:
        page = render_run(
            args.run_dir, baseline=args.baseline, out_dir=args.out, threshold=args.threshold
        )
        print(f"report: {page}")
    except ForeignPageError as exc:  # somebody's own index.html: never replaced, not an error
        print(f"warning: {exc.message}", file=sys.stderr)
    if not args.no_site and args.out is None:
        root = args.run_dir.resolve().parent
        why = refusal(root)
        if why:
            print(f"note: {why}", file=sys.stderr)
        else:
            print(f"site:   {render_site(root, threshold=args.threshold)}", file=sys.stdout)
    return 0
