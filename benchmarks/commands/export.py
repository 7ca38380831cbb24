"""``python -m benchmarks export RUN_DIR --format FMT``: one run for other dashboards.

Bencher Metric Format or github-action-benchmark's ``customSmallerIsBetter`` JSON (formats in
``benchmarks.history.export``); to stdout, or to ``-o FILE``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.errors import ConfigError

HELP = "write a run's timings as Bencher (BMF) or github-action-benchmark JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from benchmarks.history.export import FORMATS

    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory")
    parser.add_argument("--format", required=True, choices=FORMATS, help="the output format")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")


def main(args: argparse.Namespace) -> int:
    from benchmarks.history.export import export
    from benchmarks.rundir.jsonio import write_text_atomic
    from benchmarks.rundir.load import load_run

    if not args.run_dir.is_dir():
        raise ConfigError(f"{args.run_dir}: no such run directory", "pass reports/<run-id>")
    run = load_run(args.run_dir)
    for p in run.problems:
        print(f"warning: {args.run_dir}/{p}", file=sys.stderr)
    text = export(run, args.format)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    if args.output.is_dir():
        raise ConfigError(f"{args.output}: is a directory", "-o names the file to write")
    if not args.output.parent.is_dir():
        raise ConfigError(f"{args.output.parent}: no such directory", "create it first")
    write_text_atomic(args.output, text)  # a full disk is an error: line, not a traceback
    print(f"export: {args.output}", file=sys.stderr)
    return 0
