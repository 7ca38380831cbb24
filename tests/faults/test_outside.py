"""Items 2 and 5 of issue 15: nothing written outside the run directory or a marked reports
root, no page written over a file graphbench did not create, and a failed report after a
finished run is a warning that keeps the run's own exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.faults.helpers import REPO, assert_complete_once, bench, one_line_error, tiny_matrix

RUNS = REPO / "tests" / "data" / "runs"
FOREIGN = "<html><body>my own page, not graphbench's</body></html>\n"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.tf
def test_run_with_out_touches_nothing_beside_its_directory(tmp_path: Path) -> None:
    parent = tmp_path / "x"
    parent.mkdir()
    (parent / "index.html").write_text(FOREIGN)
    deep = parent / "a" / "b"
    deep.mkdir(parents=True)
    shutil.copytree(RUNS / "compare-base", deep / "old-run")  # a run.json three levels down
    before = _tree(parent)
    matrix = tiny_matrix(tmp_path)
    r = bench(
        "run",
        "--matrix",
        matrix,
        "--profile",
        "tiny",
        "--out",
        parent / "run1",
        "--only",
        "mlp-eager-*",
    )
    assert r.returncode == 0, r.stderr
    after = _tree(parent)
    assert {k: v for k, v in after.items() if not k.startswith("run1/")} == before
    assert (parent / "run1" / "index.html").is_file()
    assert "not a graphbench reports root" in r.stderr
    assert_complete_once(parent / "run1")


@pytest.mark.tf
def test_reports_root_is_marked_and_its_site_kept_fresh(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    matrix = tiny_matrix(tmp_path)
    r = bench(
        "run",
        "--matrix",
        matrix,
        "--profile",
        "tiny",
        "--reports-root",
        root,
        "--only",
        "mlp-eager-b1-*",
    )
    assert r.returncode == 0, r.stderr
    assert (root / ".graphbench-reports").is_file()
    site = (root / "index.html").read_text()
    assert 'name="generator" content="graphbench"' in site
    run_id = next(p.name for p in root.iterdir() if p.is_dir())
    assert f"./{run_id}/index.html" in site
    assert str(tmp_path) not in site


@pytest.mark.parametrize(
    ("out", "named"),
    [(".", "current directory"), ("d/inner/..", "'..'"), ("bad name!", "not a valid name")],
)
def test_out_must_name_a_run_directory(tmp_path: Path, out: str, named: str) -> None:
    (tmp_path / "d" / "inner").mkdir(parents=True)
    (tmp_path / "index.html").write_text(FOREIGN)
    before = _tree(tmp_path)
    r = bench("run", "--profile", "smoke", "--out", out, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    one_line_error(r.stderr)
    assert named in r.stderr
    assert _tree(tmp_path) == before


def test_report_never_replaces_a_foreign_page(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    root.mkdir()
    (root / ".graphbench-reports").write_text("x")
    (root / "index.html").write_text(FOREIGN)  # marked root, but the page is somebody's
    run = root / "run1"
    shutil.copytree(RUNS / "compare-base", run)
    (run / "index.html").write_text(FOREIGN)
    r = bench("report", run)
    assert r.returncode == 0, r.stderr
    assert (root / "index.html").read_text() == FOREIGN
    assert (run / "index.html").read_text() == FOREIGN
    assert "not created by graphbench" in r.stderr
    assert not list(tmp_path.rglob("*.tmp"))


def test_report_does_not_scan_or_write_an_unmarked_parent(tmp_path: Path) -> None:
    run = tmp_path / "run1"
    shutil.copytree(RUNS / "compare-base", run)
    r = bench("report", run)
    assert r.returncode == 0, r.stderr
    assert (run / "index.html").is_file()
    assert not (tmp_path / "index.html").exists()


def test_site_skips_lines_do_not_show_absolute_paths(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    root.mkdir()
    (root / ".graphbench-reports").write_text("x")
    shutil.copytree(RUNS / "compare-base", root / "good")
    broken = root / "broken"
    broken.mkdir()
    (broken / "run.json").write_text("{not json")
    r = bench("report", root / "good")
    assert r.returncode == 0, r.stderr
    site = (root / "index.html").read_text()
    assert "broken" in site and str(tmp_path) not in site


@pytest.mark.tf
def test_a_failed_report_after_a_finished_run_keeps_the_runs_exit_code(tmp_path: Path) -> None:
    """Item 5: the run page cannot be written (its table's path is taken by a directory, as
    a read-only or full disk would refuse it): a warning, and the run's own exit code 0."""
    out = tmp_path / "run1"
    (out / "cases.csv").mkdir(parents=True)
    matrix = tiny_matrix(tmp_path)
    r = bench(
        "run", "--matrix", matrix, "--profile", "tiny", "--out", out, "--only", "mlp-eager-b1-*"
    )
    assert r.returncode == 0, r.stderr
    assert "warning: report not rendered" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert json.loads((out / "run.json").read_text())["exit_code"] == 0
    assert not list(out.glob("*.tmp"))
