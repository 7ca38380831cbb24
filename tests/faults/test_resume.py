"""Items 1, 4, 14 of issue 15: resume after a partial line, the run-directory lock, --resume
flags, a hand-edited plan and the retry of crashed cells, on the real CLI and real TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.faults.helpers import (
    TINY,
    argv,
    assert_complete_once,
    bench,
    case_lines,
    env,
    one_line_error,
    run_record,
    tiny_matrix,
)

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One complete real run of the tiny matrix; tests copy it before breaking it."""
    base = tmp_path_factory.mktemp("finished")
    out = base / "run1"
    r = bench(
        "run", "--matrix", tiny_matrix(base), "--profile", "tiny", "--out", out, "--no-report"
    )
    assert r.returncode == 0, r.stderr
    assert_complete_once(out)
    return out


def _copy(src: Path, dst: Path) -> Path:
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return dst


def test_resume_sets_a_partial_last_line_aside_and_retries_crashed(
    finished: Path, tmp_path: Path
) -> None:
    run = _copy(finished, tmp_path / "run1")
    path = run / "cases.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    crashed = json.loads(lines[0])
    crashed.update(status="crashed", reason="worker killed by SIGKILL", median_s=None)
    cut = lines[-1][: len(lines[-1]) // 2]  # what a kill or a full disk leaves
    path.write_text(json.dumps(crashed) + "\n" + "".join(lines[1:-1]) + cut)
    rec = run_record(run)
    rec["status"] = "running"
    (run / "run.json").write_text(json.dumps(rec))

    r = bench("run", "--resume", run, "--no-report")
    assert r.returncode == 0, r.stderr
    side = run / "cases.jsonl.partial"
    assert side.read_text() == cut + "\n", "the partial line is kept, aside"
    ids = [c["case_id"] for c in case_lines(run)]
    statuses = {c["case_id"]: c["status"] for c in case_lines(run)}
    assert run_record(run)["status"] == "complete"
    assert set(statuses.values()) == {"ok"}, "the crashed cell was measured again"
    assert ids.count(crashed["case_id"]) == 2  # the crashed line stays, the retry follows
    cut_id = json.loads(lines[-1])["case_id"]
    assert ids.count(cut_id) == 1
    # and it resumes again without complaint (nothing left to do)
    again = bench("run", "--resume", run, "--no-report")
    assert again.returncode == 0, again.stderr
    assert "0 of 4 cells to run" in again.stderr


def test_resume_measures_a_cell_of_fewer_processes_again_in_full(tmp_path: Path) -> None:
    body = TINY.format(min_block_s=0.001) + "processes = 2\n"
    run = tmp_path / "run1"
    done = bench(
        "run", "--matrix", tiny_matrix(tmp_path, body=body), "--profile", "tiny", "--out", run,
        "--no-report",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = run / "cases.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    short = json.loads(lines[1])
    planned = short["processes_planned"]
    assert planned >= 2 and len(short["processes"]) == planned
    # what an interrupt writes for a cell the last pass did not reach
    short["processes"] = short["processes"][:-1]
    short["warnings"] = [
        *short["warnings"],
        {"code": "fewer_processes", "detail": f"{planned - 1} of {planned} processes"},
    ]
    path.write_text(lines[0] + json.dumps(short) + "\n" + "".join(lines[2:]))
    rec = run_record(run)
    rec["status"] = "interrupted"
    (run / "run.json").write_text(json.dumps(rec))

    r = bench("run", "--resume", run, "--no-report")
    assert r.returncode == 0, r.stderr
    assert "1 of 4 cells to run" in r.stderr
    mine = [c for c in case_lines(run) if c["case_id"] == short["case_id"]]
    assert len(mine) == 2, "the short line stays, the full one follows"
    assert len(mine[0]["processes"]) == planned - 1
    assert len(mine[1]["processes"]) == planned and mine[1]["status"] == "ok"
    assert "fewer_processes" not in [w["code"] for w in mine[1]["warnings"]]
    assert run_record(run)["status"] == "complete"


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--only", "mlp-*"], "--only"),
        (["--seed", "9"], "--seed 9"),
        (["--profile", "default"], "--profile default"),
        (["--device", "cpu"], "--device"),
    ],
)
def test_resume_refuses_flags_that_would_change_the_run(
    finished: Path, tmp_path: Path, flags: list[str], named: str
) -> None:
    run = _copy(finished, tmp_path / "run1")
    before = (run / "cases.jsonl").read_bytes()
    r = bench("run", "--resume", run, *flags)
    assert r.returncode == 2, r.stderr
    one_line_error(r.stderr)
    assert named in r.stderr
    assert (run / "cases.jsonl").read_bytes() == before


def test_resume_accepts_flags_equal_to_the_stored_run(finished: Path, tmp_path: Path) -> None:
    run = _copy(finished, tmp_path / "run1")
    r = bench("run", "--resume", run, "--profile", "tiny", "--seed", "1234", "--no-report")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda rec: rec["plan"][0].update(mode="turbo"), "unknown mode 'turbo'"),
        (lambda rec: rec["plan"][0].update(batch_size=10**20), "bad batch_size"),
        (lambda rec: rec["plan"][1].update(workload="../../x"), "unknown workload"),
        (lambda rec: rec["timing"].update(timeout_s=1e300), "timeout_s"),
        (lambda rec: rec.update(plan="cells"), "'plan'"),
        (lambda rec: rec.update(run_id="../elsewhere"), "run_id"),
        (lambda rec: rec["plan"].append(dict(rec["plan"][0])), "twice"),
    ],
)
def test_resume_validates_a_hand_edited_plan(
    finished: Path, tmp_path: Path, edit: object, named: str
) -> None:
    run = _copy(finished, tmp_path / "run1")
    rec = run_record(run)
    edit(rec)  # type: ignore[operator]
    (run / "run.json").write_text(json.dumps(rec))
    r = bench("run", "--resume", run)
    assert r.returncode == 2, r.stderr
    one_line_error(r.stderr)
    assert named in r.stderr


def test_a_second_resume_is_refused_while_the_first_runs(finished: Path, tmp_path: Path) -> None:
    """Concurrent resume: the second is refused (exit 2) naming the holder's pid."""
    run = _copy(finished, tmp_path / "run1")
    (run / "cases.jsonl").write_text("")  # four cells to measure again
    first = subprocess.Popen(
        argv("run", "--resume", str(run), "--no-report"),
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lock = run / "run.lock"
            if lock.exists() and lock.read_text().strip() == str(first.pid):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the first resume never took the lock")
        second = bench("run", "--resume", run, "--no-report")
        assert second.returncode == 2, second.stderr
        one_line_error(second.stderr)
        assert f"pid {first.pid}" in second.stderr
        _, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
    assert_complete_once(run)
    assert os.path.getsize(run / "run.lock") == 0  # released; the next resume may take it
