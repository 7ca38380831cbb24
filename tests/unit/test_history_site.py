"""Rendering a history checkout (no git here: the checkout is a folder of run directories)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks.history.detect import Settings
from benchmarks.history.site import render_history
from tests.unit.history_fixtures import make_run


def checkout(tmp_path: Path) -> Path:
    return tmp_path / "history" / "runs" / "amd-epyc"


def test_a_slower_tensorflow_is_a_break_not_a_regression(tmp_path: Path) -> None:
    runs = checkout(tmp_path)
    for n in range(3):
        make_run(runs, n)
    for n in (3, 4):  # every cell 2x slower with the new TensorFlow
        make_run(runs, n, tf="2.22.0", scale_all=2.0)
    done = render_history(tmp_path / "history", tmp_path / "site", Settings(), generated_at="")
    assert done.regressions == ()
    assert len(done.breaks) == 9
    index = (tmp_path / "site" / "index.html").read_text()
    assert index.count("TensorFlow 2.21.0 → 2.22.0") == 1 and "9 cell(s)" in index
    assert json.loads((tmp_path / "site" / "regressions.json").read_text()) == []


def test_pages_are_rendered_again_only_when_their_run_changed(tmp_path: Path) -> None:
    runs = checkout(tmp_path)
    made = [make_run(runs, n) for n in range(3)]
    site = tmp_path / "site"
    assert render_history(tmp_path / "history", site, Settings()).pages_rendered == 3
    assert render_history(tmp_path / "history", site, Settings()).pages_rendered == 0
    make_run(runs, 1, slow=("xla", 1))  # the same run id, other data
    again = render_history(tmp_path / "history", site, Settings())
    assert again.pages_rendered == 1
    shutil.rmtree(made[0])
    gone = render_history(tmp_path / "history", site, Settings())
    assert len(gone.runs) == 2 and not (site / "runs" / "amd-epyc" / made[0].name).exists()


def test_a_run_whose_page_cannot_be_rendered_is_skipped(tmp_path: Path) -> None:
    runs = checkout(tmp_path)
    for n in range(2):
        make_run(runs, n)
    bad = make_run(runs, 2)
    site = tmp_path / "site"
    render_history(tmp_path / "history", site, Settings())
    planted = site / "runs" / "amd-epyc" / bad.name / "index.html"
    planted.write_text("<p>somebody else's page</p>")  # never replaced: that page fails
    (planted.parent / ".page-digest").unlink()
    done = render_history(tmp_path / "history", site, Settings())
    assert len(done.runs) == 2 and len(done.skipped) == 1 and bad.name in done.skipped[0]
    index = (site / "index.html").read_text()
    assert bad.name in index and index.count('class="run"') == 2


def test_a_malformed_case_line_is_skipped_and_its_run_kept(tmp_path: Path) -> None:
    runs = checkout(tmp_path)
    bad = make_run(runs, 0)
    lines = (bad / "cases.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["median_s"], first["samples_s"] = "fast", "x"  # loads, but is no number
    (bad / "cases.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    done = render_history(tmp_path / "history", tmp_path / "site", Settings())
    assert len(done.runs) == 1 and done.skipped == ()
    assert any("line skipped" in p for p in done.runs[0].run.problems)


def test_a_directory_without_run_json_in_the_history_is_reported(tmp_path: Path) -> None:
    runs = checkout(tmp_path)
    make_run(runs, 0)
    (runs / "half-copied").mkdir()
    (runs / "half-copied" / "cases.jsonl").write_text("")
    done = render_history(tmp_path / "history", tmp_path / "site", Settings())
    assert len(done.runs) == 1
    assert len(done.skipped) == 1 and "half-copied" in done.skipped[0]
    assert "run.json" in done.skipped[0] and "not found" in done.skipped[0]


def _render(made: list[Path]) -> dict[Path, object]:
    from benchmarks.history.site import PageRenderer

    pages = PageRenderer(jobs=2)
    for d in made:
        pages.add(d)
    return dict(pages.results())


def _pages(tmp_path: Path, n: int) -> list[Path]:
    made = [make_run(tmp_path / "runs", k) for k in range(n)]
    return made


def test_many_pages_are_rendered_by_worker_processes_and_each_run_read_once(
    tmp_path: Path,
) -> None:
    from benchmarks.history import site as hsite
    from benchmarks.rundir.load import LoadedRun

    made = _pages(tmp_path, hsite.PARALLEL_FROM + 1)
    pages = hsite.PageRenderer(jobs=2)
    for d in made:
        pages.add(d)
    assert pages.pool is not None and not pages.waiting  # real spawned workers took them all
    got = pages.results()
    assert set(got) == set(made)
    for d, run in got.items():
        assert isinstance(run, LoadedRun) and run.record.run_id == d.name
        assert (d / "index.html").is_file()


def test_when_no_worker_process_can_start_the_pages_are_rendered_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.history import site as hsite

    class NoProcesses:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(hsite, "ProcessPoolExecutor", NoProcesses)
    made = _pages(tmp_path, hsite.PARALLEL_FROM + 2)
    got = _render(made)
    assert all(not isinstance(v, str) for v in got.values()) and len(got) == len(made)
    assert capsys.readouterr().err.count("rendering pages in one process") == 1


def test_a_pool_that_breaks_midway_leaves_no_page_unrendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from benchmarks.history import site as hsite

    class BreaksAfterThree:
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.n = 0

        def submit(self, fn: object, arg: str) -> Future[object]:
            self.n += 1
            future: Future[object] = Future()
            if self.n > 3:
                raise BrokenProcessPool("a worker died")
            future.set_exception(BrokenProcessPool("a worker died"))  # accepted, then lost
            return future

        def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
            pass

    monkeypatch.setattr(hsite, "ProcessPoolExecutor", BreaksAfterThree)
    made = _pages(tmp_path, hsite.PARALLEL_FROM + 2)
    got = _render(made)
    assert set(got) == set(made) and all(not isinstance(v, str) for v in got.values())
    assert all((d / "index.html").is_file() for d in made)
