"""``python -m benchmarks compare BASELINE NEW``: per-cell change with CIs, in the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from benchmarks.commands import _flags
from benchmarks.errors import ConfigError

HELP = "compare two run directories cell by cell (regressions flagged with a CI and a threshold)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("baseline", type=Path, metavar="BASELINE_DIR")
    parser.add_argument("new", type=Path, metavar="NEW_DIR")
    _flags.add_threshold(parser)
    _flags.add_json(parser, "the comparison")
    parser.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 when a cell regressed, a baseline cell is missing from NEW, "
        "or the runs are not comparable",
    )


def main(args: argparse.Namespace) -> int:
    from benchmarks.report.compare import compare_loaded, format_table
    from benchmarks.rundir.load import load_run

    _flags.check_threshold(args.threshold)
    for path in (args.baseline, args.new):
        if not path.is_dir():
            raise ConfigError(f"{path}: no such run directory", "pass reports/<run-id>")
    base, new = load_run(args.baseline), load_run(args.new)
    for run in (base, new):
        for p in run.problems:
            print(f"warning: {run.run_dir}/{p}", file=sys.stderr)
    cmp = compare_loaded(base, new, args.threshold)
    if args.json:
        data = asdict(cmp)
        data["regressions"] = [c.case_id for c in cmp.regressions]
        data["improvements"] = [c.case_id for c in cmp.improvements]
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(format_table(cmp))
    if args.fail_on_regression and cmp.only_in_baseline:
        print(
            f"missing from {args.new}: {len(cmp.only_in_baseline)} cell(s) of the baseline: "
            + ", ".join(cmp.only_in_baseline),
            file=sys.stderr,
        )
    if args.fail_on_regression and (cmp.regressions or not cmp.comparable or cmp.only_in_baseline):
        return 1
    return 0
