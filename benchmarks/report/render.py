"""Render a run directory to ``index.html`` + ``cases.csv`` (the only I/O of the run page).

The page is one file: CSS inline, charts as inline SVG, no script, a Content-Security-Policy
that forbids every fetch, so it works from ``file://`` and any static host, and a stray string
in the data can neither run nor phone home. Jinja autoescapes everything; undefined variables
are errors, so a template typo fails the tests instead of printing an empty cell.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import jinja2

from benchmarks import __version__
from benchmarks.analysis import format_seconds
from benchmarks.errors import ConfigError
from benchmarks.report import DEFAULT_THRESHOLD, display
from benchmarks.report.charts import run_charts
from benchmarks.report.compare import Comparison, compare_loaded
from benchmarks.report.model import RunView, build_run_view
from benchmarks.report.safety import safe_id
from benchmarks.report.shards import read_fingerprints, shards_view
from benchmarks.rundir import derived, paths
from benchmarks.rundir.jsonio import storage_error, utc_stamp, write_text_atomic
from benchmarks.rundir.layout import (
    CASES_FILE,
    CSV_FILE,
    DIAGNOSIS_FILE,
    FINGERPRINT_FILE,
    PAGE,
    RUN_FILE,
)
from benchmarks.rundir.load import LoadedRun, load_run
from benchmarks.rundir.results import COLUMNS, CaseResult, latest_by_case
from benchmarks.rundir.scrublogs import scrub_logs

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["seconds"] = format_seconds
    env.filters["safe_id"] = safe_id
    return env


class ForeignPageError(ConfigError):
    """The page's path holds a file graphbench did not write: it is never replaced."""


def page_html(view: RunView, downloads: Sequence[tuple[str, str]]) -> str:
    """The run page for a view (pure apart from reading the templates)."""
    return (
        environment()
        .get_template("run.html.j2")
        .render(v=view, charts=run_charts(view), downloads=downloads, version=__version__)
    )


def cases_csv(cases: Sequence[CaseResult]) -> str:
    """One row per case id (latest result), the columns of ``results.COLUMNS``.

    Text cells that a spreadsheet would run as a formula (=, +, -, @ first) get a leading ``'``.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in latest_by_case(cases).values():
        row = []
        for col in COLUMNS:
            value = getattr(r, col)
            if col == "warnings":
                value = " ".join(str(w.get("code", "")) for w in value)
            if value is None:
                value = ""
            if isinstance(value, str):
                value = display.public(value)
                if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    value = "'" + value
            row.append(value)
        writer.writerow(row)
    return buf.getvalue()


def _comparison(run: LoadedRun, baseline: Path | None, threshold: float) -> Comparison | None:
    if baseline is None:
        return None
    base = load_run(baseline)
    _warn(base.problems, baseline)
    return compare_loaded(base, run, threshold)


def _warn(problems: Sequence[str], run_dir: Path) -> None:
    for p in problems:
        print(f"warning: {run_dir}/{p}", file=sys.stderr)


def render_run(
    run_dir: Path,
    *,
    baseline: Path | None = None,
    out_dir: Path | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    generated_at: str | None = None,
    loaded: LoadedRun | None = None,
) -> Path:
    """Write ``index.html`` and ``cases.csv`` for ``run_dir`` (into ``out_dir`` if given, with
    copies of the downloadable files) and return the page's path. Raises ResultsError when
    run.json is missing or unusable; damaged cases.jsonl lines become a warning on the page.
    ``loaded``: ``run_dir`` as the caller already read it (the history's site reads each run
    once, for its page and its series).
    """
    run = load_run(run_dir) if loaded is None else loaded
    _warn(run.problems, run_dir)
    view = build_run_view(
        run.record,
        run.cases,
        run.fingerprint,
        run.diagnosis,
        problems=run.problems,
        probe_log=run.probe_log,
        comparison=_comparison(run, baseline, threshold),
        generated_at=utc_stamp() if generated_at is None else generated_at,
        speedup_values=derived.speedups_of(run_dir, run.cases),
    )
    if run.record.merged_from:
        shards = shards_view(run.record, read_fingerprints(run_dir, run.record))
        view = replace(view, shards=shards)
    out = out_dir or run_dir
    if not paths.owned_or_absent(out / PAGE):
        raise ForeignPageError(
            f"{out / PAGE}: not created by graphbench; left alone, run page not written",
            "move that file away, or render elsewhere with -o DIR",
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(out, exc) from None
    if out.resolve() == run_dir.resolve():
        scrub_logs(run_dir)  # the logs are published with the page
    downloads = [(CASES_FILE, CASES_FILE), (CSV_FILE, CSV_FILE)]
    for name in (FINGERPRINT_FILE, DIAGNOSIS_FILE, RUN_FILE):
        if (run_dir / name).exists():
            downloads.append((name, name))
    if out.resolve() != run_dir.resolve():
        for name in (CASES_FILE, FINGERPRINT_FILE, DIAGNOSIS_FILE, RUN_FILE):
            if (run_dir / name).exists():
                try:
                    shutil.copyfile(run_dir / name, out / name)
                except OSError as exc:
                    raise storage_error(out / name, exc) from None
    write_text_atomic(out / CSV_FILE, cases_csv(run.cases), durable=False)
    page = out / PAGE
    write_text_atomic(page, page_html(view, downloads), durable=False)
    return page
