"""``python -m benchmarks merge RUN_DIR... --out DIR``: shards of one run into one run directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.environment import redact
from benchmarks.errors import BenchError

HELP = "merge the shard run directories of one 'run --shard K/N' into one run directory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", type=Path, nargs="+", metavar="RUN_DIR", help="shard run dirs")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="the merged run directory (new)"
    )
    parser.add_argument("--no-report", action="store_true", help="do not render index.html")


def main(args: argparse.Namespace) -> int:
    """Exit 0: every planned cell measured; 1: incomplete or a cell failed; 2: refused."""
    from benchmarks.run.session import exit_status
    from benchmarks.rundir.merge import INCOMPLETE, machines, merge

    command = redact.scrub_argv(["python", "-m", "benchmarks", *sys.argv[1:]])
    record = merge(args.runs, args.out, command, exit_status)
    out = sys.stderr
    shards = ", ".join(str(e["shard_label"]) for e in record.merged_from)
    measured = len(record.cases) - len(record.missing)
    print(
        f"merged {len(record.merged_from)} shard(s) ({shards}): {measured} of "
        f"{len(record.cases)} cells, status {record.status} -> {args.out}",
        file=out,
    )
    for entry in record.merged_from:
        if entry["status"] in ("running", "interrupted"):
            print(
                f"note: shard {entry['shard_label']} ({entry['run_id']}) ended "
                f"{entry['status']!r}: finish it with 'python -m benchmarks run --resume' on "
                "its directory, then merge again",
                file=out,
            )
    seen = machines(record)
    if len(seen) > 1:
        print(
            f"note: the shards ran on {len(seen)} different machines or environments "
            "(fingerprints):",
            file=out,
        )
        for digest, labels in seen.items():
            print(f"  fingerprint {digest[:12]}: shard(s) {', '.join(labels)}", file=out)
    if record.status == INCOMPLETE:
        print(
            f"incomplete: {len(record.missing)} cell(s) in no shard given: "
            f"{', '.join(record.missing)}",
            file=out,
        )
    if not args.no_report:
        _render(args.out)
    return int(record.exit_code or 0)


def _render(run_dir: Path) -> None:
    from benchmarks.report.render import render_run

    try:
        page = render_run(run_dir)
    except BenchError as exc:
        print(f"warning: report not rendered: {exc.message} ({exc.hint})", file=sys.stderr)
        return
    print(f"report: {page}", file=sys.stderr)
