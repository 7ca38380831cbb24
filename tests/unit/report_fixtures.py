"""Shared helpers for the report tests: the committed fixture runs and a scratch copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.report.model import RunView, build_run_view
from benchmarks.report.render import page_html
from benchmarks.rundir.load import LoadedRun, load_run

RUNS = Path(__file__).resolve().parents[1] / "data" / "runs"
DOWNLOADS = (("cases.jsonl", "cases.jsonl"), ("cases.csv", "cases.csv"))


def run(name: str) -> LoadedRun:
    return load_run(RUNS / name)


def view(name: str) -> RunView:
    r = run(name)
    return build_run_view(
        r.record, r.cases, r.fingerprint, r.diagnosis, problems=r.problems, probe_log=r.probe_log
    )


def html(name: str) -> str:
    return page_html(view(name), DOWNLOADS)


def copy_run(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(RUNS / name, target)
    return target
