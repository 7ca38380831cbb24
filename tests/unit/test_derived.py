"""Stored speedups (rundir.derived): used only when computed from these cases by this code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import analysis
from benchmarks.report.render import render_run
from benchmarks.rundir import derived
from benchmarks.rundir.layout import CASES_FILE, PAGE, SPEEDUPS_FILE
from benchmarks.rundir.load import load_run
from tests.unit.report_fixtures import copy_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return copy_run("compare-new", tmp_path)  # schema 2: paired rounds in 3 processes


def test_stored_speedups_are_the_computed_ones_exactly(run_dir: Path) -> None:
    cases = load_run(run_dir).cases
    derived.write(run_dir, cases)
    stored = derived.read(run_dir)
    assert stored == analysis.speedups(cases) and stored


def test_stale_damaged_or_foreign_files_are_ignored(run_dir: Path) -> None:
    cases = load_run(run_dir).cases
    derived.write(run_dir, cases)
    doc = json.loads((run_dir / SPEEDUPS_FILE).read_text())
    # other cases: one byte more in cases.jsonl
    with (run_dir / CASES_FILE).open("a") as f:
        f.write("\n")
    assert derived.read(run_dir) is None
    digest = derived.cases_digest(run_dir)
    assert digest is not None
    good = json.dumps(doc | {"cases_sha256": digest})
    assert derived.decode(good, digest) is not None
    for bad in (
        doc | {"cases_sha256": digest, "code": "0" * 64},  # another version of the statistics
        doc | {"cases_sha256": digest, "schema": 2},
        doc | {"cases_sha256": digest, "speedups": [{"ratio": "fast"}]},
        doc | {"cases_sha256": digest, "speedups": "x"},
    ):
        assert derived.decode(json.dumps(bad), digest) is None
    assert derived.decode(good[:-5], digest) is None  # cut short
    assert derived.decode(good, None) is None  # no cases.jsonl


def test_a_row_with_a_wrong_type_invalidates_the_file(run_dir: Path) -> None:
    cases = load_run(run_dir).cases
    derived.write(run_dir, cases)
    doc = json.loads((run_dir / SPEEDUPS_FILE).read_text())
    digest = derived.cases_digest(run_dir)
    for key, value in (("batch_size", True), ("paired", 1), ("process_ratios", [float("inf")])):
        rows = [dict(doc["speedups"][0], **{key: value}), *doc["speedups"][1:]]
        assert derived.decode(json.dumps(doc | {"speedups": rows}), digest) is None, key


def test_the_page_shows_stored_figures_and_falls_back_when_they_are_stale(run_dir: Path) -> None:
    cases = load_run(run_dir).cases
    derived.write(run_dir, cases)
    doc = json.loads((run_dir / SPEEDUPS_FILE).read_text())
    first = doc["speedups"][0]
    marked = dict(first, ratio=123.456, ci_low=120.0, ci_high=130.0)
    (run_dir / SPEEDUPS_FILE).write_text(json.dumps(doc | {"speedups": [marked]}))
    page = render_run(run_dir, generated_at="t").read_text()
    assert "123.46x" in page  # a valid file is what the page shows (it is not recomputed)
    (run_dir / SPEEDUPS_FILE).write_text(json.dumps(doc | {"speedups": [marked], "code": "x"}))
    page = render_run(run_dir, generated_at="t").read_text()
    assert "123.46x" not in page and (run_dir / PAGE).is_file()
