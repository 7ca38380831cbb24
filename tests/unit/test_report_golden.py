"""Golden pages: the rendered HTML of each fixture run, with timestamps and host facts scrubbed.

A change to the page shows up here as a readable diff. To accept an intended change, regenerate:

    GRAPHBENCH_BLESS=1 python3 -m pytest tests/unit/test_report_golden.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks import __version__
from benchmarks.report.model import build_run_view
from benchmarks.report.render import page_html
from benchmarks.rundir.load import load_run
from tests.unit.report_fixtures import DOWNLOADS, RUNS

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
CASES = ("cpu-all-statuses", "gpu-failed", "gpu-h100-injection", "compare-new", "schema1-cpu")


def scrub(html: str, fp: dict[str, Any]) -> str:
    """Replace what differs between machines and days by fixed tokens."""
    html = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z?", "<TIME>", html)
    html = re.sub(r"\d{4}-\d\d-\d\dT\d{4}Z", "<TIME>", html)  # run ids
    for value in (fp.get("host", {}).get("cpu_model"), fp.get("host", {}).get("kernel")):
        if value:
            html = html.replace(value, "<HOST-FACT>")
    return html.replace(f"graphbench {__version__}", "graphbench <VERSION>")


def render(name: str) -> str:
    run = load_run(RUNS / name)
    baseline = load_run(RUNS / "compare-base") if name == "compare-new" else None
    comparison = None
    if baseline is not None:
        from benchmarks.report import display
        from benchmarks.report.compare import compare_runs

        comparison = compare_runs(
            baseline.cases,
            run.cases,
            baseline_env=display.environment(baseline.fingerprint, baseline.record),
            new_env=display.environment(run.fingerprint, run.record),
            baseline_id=baseline.record.run_id,
            new_id=run.record.run_id,
        )
    view = build_run_view(
        run.record,
        run.cases,
        run.fingerprint,
        run.diagnosis,
        probe_log=run.probe_log,
        comparison=comparison,
        generated_at="2026-11-25T12:00:00Z",
    )
    return scrub(page_html(view, DOWNLOADS), run.fingerprint)


@pytest.mark.parametrize("name", CASES)
def test_page_matches_golden(name: str) -> None:
    got = render(name)
    path = GOLDEN / f"{name}.html"
    if os.environ.get("GRAPHBENCH_BLESS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with GRAPHBENCH_BLESS=1 to create it"
    assert got == path.read_text(encoding="utf-8"), f"{name}: page changed; see module docstring"


def test_scrub_removes_times_and_host_facts() -> None:
    got = render("gpu-failed")
    assert "2026-11-20" not in got and "AMD EPYC" not in got and "<TIME>" in got
    assert "<HOST-FACT>" in got
