"""Items 3 and 5 of issue 15 on real file systems: a small tmpfs that fills up while cells are
appended and while a page is written, and a read-only mount (we are root, so permissions
would not stop us: only a read-only mount does)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.helpers import (
    REPO,
    argv,
    assert_complete_once,
    bench,
    case_lines,
    env,
    leftover_tmp,
    one_line_error,
    run_record,
    tiny_matrix,
)

RUNS = REPO / "tests" / "data" / "runs"
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="mounting a tmpfs needs root"
)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(directory: Path) -> Path:
    """Take every free byte of the file system under ``directory``."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as fh:
        chunk = b"\0" * 65536
        try:
            while True:
                fh.write(chunk)
                fh.flush()
        except OSError:
            pass
        try:
            while True:
                fh.write(b"\0")
                fh.flush()
        except OSError:
            pass
    return filler


@needs_root
@pytest.mark.tf
def test_disk_full_while_appending_cells_then_resume(tmpfs: Path, tmp_path: Path) -> None:
    out = tmpfs / "run1"
    matrix = tiny_matrix(tmp_path, min_block_s=0.05)
    proc = subprocess.Popen(
        argv("run", "--matrix", str(matrix), "--profile", "tiny", "--out", str(out), "--no-report"),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    filled: list[Path] = []

    def fill_after_first_cell() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            p = out / "cases.jsonl"
            if p.exists() and p.read_bytes().count(b"\n") >= 1:
                filled.append(_fill(tmpfs))
                return
            time.sleep(0.01)

    t = threading.Thread(target=fill_after_first_cell)
    t.start()
    _, err = proc.communicate(timeout=300)
    t.join()
    assert filled, "the disk was never filled: the test did not test anything"
    lines = case_lines(out)
    assert 1 <= len(lines) < 4, f"the run must stop part-way ({len(lines)} cells kept)"
    assert proc.returncode == 4, err
    one_line_error(err)
    assert "no space left" in err and "--resume" in err
    assert not leftover_tmp(tmpfs)
    filled[0].unlink()  # free the space, finish the run
    r = bench("run", "--resume", out, "--no-report")
    assert r.returncode == 0, r.stderr
    assert_complete_once(out)
    assert not leftover_tmp(tmpfs)


@needs_root
def test_disk_full_while_writing_the_page(tmpfs: Path) -> None:
    run = tmpfs / "run1"
    shutil.copytree(RUNS / "cpu-all-statuses", run)
    filler = _fill(tmpfs)
    r = bench("report", run)
    assert r.returncode == 4, r.stderr
    one_line_error(r.stderr)
    assert "no space left" in r.stderr
    assert not leftover_tmp(tmpfs)
    assert not (run / "index.html").exists()
    filler.unlink()
    again = bench("report", run)
    assert again.returncode == 0, again.stderr


@needs_root
def test_read_only_parent(tmpfs: Path, tmp_path: Path) -> None:
    run = tmpfs / "run1"
    shutil.copytree(RUNS / "cpu-all-statuses", run)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    try:
        r = bench("report", run)
        assert r.returncode == 4, r.stderr
        one_line_error(r.stderr)
        assert "read-only" in r.stderr.lower()
        r2 = bench("run", "--profile", "smoke", "--out", tmpfs / "run2")
        assert r2.returncode == 2, r2.stderr  # --out names an unwritable place: usage
        one_line_error(r2.stderr)
        assert not (tmpfs / "run2").exists()
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
    assert run_record(run)["status"] == "cells_failed"  # untouched
