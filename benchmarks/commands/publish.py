"""``python -m benchmarks publish RUN_DIR... --history REPO --site DIR``: continuous benchmarking.

Adds the runs to the history branch of REPO (created when missing; a push that lost a race is
re-applied), renders the whole site of the history into DIR with ``regressions.json`` and
``feed.atom``, and under GitHub Actions appends a summary to ``$GITHUB_STEP_SUMMARY``. Nothing
else is written but a temporary clone, removed at the end. See docs/continuous.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.commands._flags import add_threshold
from benchmarks.errors import ConfigError

if TYPE_CHECKING:  # imported where used: building --help must stay cheap
    from benchmarks.history.detect import Settings

HELP = "add run directories to a history branch, detect regressions, render the history's site"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from benchmarks.history.detect import METHODS, Settings
    from benchmarks.history.store import DEFAULT_BRANCH

    d = Settings()
    parser.add_argument(
        "run_dirs",
        type=Path,
        nargs="*",
        metavar="RUN_DIR",
        help="run directories to add (none: only re-render the site)",
    )
    parser.add_argument(
        "--history",
        required=True,
        metavar="REPO",
        help="the repository holding the history: a path or any git URL",
    )
    parser.add_argument(
        "--branch",
        default=DEFAULT_BRANCH,
        help=f"the history branch (default {DEFAULT_BRANCH}; created if missing)",
    )
    parser.add_argument(
        "--site",
        required=True,
        type=Path,
        metavar="DIR",
        help="render the site of the whole history here",
    )
    parser.add_argument(
        "--method",
        choices=METHODS,
        default=d.method,
        help=f"step: asv-style step fit; zscore: conbench-style; default {d.method}",
    )
    add_threshold(parser)
    parser.add_argument(
        "--noise",
        type=float,
        default=d.noise,
        help=f"run-to-run noise floor, a fraction (default {d.noise})",
    )
    parser.add_argument(
        "--penalty",
        type=float,
        default=d.penalty,
        help=f"step: cost of one more segment (default {d.penalty})",
    )
    parser.add_argument(
        "--z", type=float, default=d.z, help=f"zscore: smallest z flagged (default {d.z})"
    )
    parser.add_argument(
        "--lookback",
        type=int,
        default=d.lookback,
        help=f"zscore: earlier runs compared with (default {d.lookback})",
    )
    parser.add_argument(
        "--base-url", default="", help="the site's public URL, for absolute links in feed.atom"
    )
    parser.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 when a run published now starts a regression "
        "(without RUN_DIR: when the history has any)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    from benchmarks.history.detect import Settings

    if not 0 <= args.threshold < 10 or not 0 <= args.noise < 1:
        raise ConfigError(
            f"--threshold {args.threshold} / --noise {args.noise} out of range",
            "use fractions, e.g. --threshold 0.10 for 10 %",
        )
    try:
        return Settings(args.method, args.threshold, args.noise, args.penalty, args.z,
                        args.lookback)  # fmt: skip
    except ValueError as exc:
        raise ConfigError(str(exc), "--penalty and --z must be > 0, --lookback >= 1") from None


def main(args: argparse.Namespace) -> int:
    from benchmarks.history import store, summary
    from benchmarks.history.site import claim_site, render_history
    from benchmarks.rundir.load import load_run

    settings = _settings(args)
    runs = []
    for path in args.run_dirs:
        if not path.is_dir():
            raise ConfigError(f"{path}: no such run directory", "pass reports/<run-id>")
        run = load_run(path)
        for p in run.problems:
            print(f"warning: {path}/{p}", file=sys.stderr)
        runs.append(run)
    if args.site.exists() and not args.site.is_dir():
        raise ConfigError(f"{args.site}: not a directory", "--site names a directory")
    claim_site(args.site, dry=True)  # before anything is pushed or created
    tmp = Path(tempfile.mkdtemp(prefix="graphbench-history-"))
    try:
        co = store.open_history(args.history, args.branch, tmp / "history")
        published: tuple[str, ...] = ()
        if runs:
            done = store.publish(co, runs)
            published = done.paths
            what = "pushed" if done.committed else "already in the history"
            for p in done.paths:
                print(f"published: {p} ({what}, attempt {done.attempts})")
        rendered = render_history(co.path, args.site, settings, base_url=args.base_url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"site:      {rendered.index} ({len(rendered.runs)} run(s), "
          f"{rendered.pages_rendered} page(s) rendered)")  # fmt: skip
    for r in rendered.regressions:
        print(f"regression: {r.key.case_id} on {r.key.machine}: {r.ratio:.2f}x "
              f"({r.before_run_id} -> {r.run_id}, {r.method})")  # fmt: skip
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        text = summary.markdown(
            published=published,
            runs_in_history=len(rendered.runs),
            regressions=rendered.regressions,
            breaks=rendered.breaks,
            skipped=rendered.skipped,
            settings=settings,
            site_url=args.base_url,
        )
        with Path(step_summary).open("a", encoding="utf-8") as fh:
            fh.write(text)
    if args.fail_on_regression:
        new = set(published)
        if any(not new or r.path in new for r in rendered.regressions):
            return 1
    return 0
