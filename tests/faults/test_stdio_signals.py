"""Item 6 of issue 15: closed or broken stdout/stderr never stop a run, and SIGTERM at any
phase (the fingerprint included) ends with 130 and a message, measured cells kept."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.faults.helpers import argv, assert_complete_once, env, run_record, tiny_matrix

pytestmark = pytest.mark.tf


def test_stderr_piped_into_head_1(tmp_path: Path) -> None:
    """``run ... 2>&1 | head -1``: the pipe closes after one line; the run goes on."""
    out = tmp_path / "run1"
    cmd = argv(
        "run",
        "--matrix",
        str(tiny_matrix(tmp_path)),
        "--profile",
        "tiny",
        "--out",
        str(out),
        "--no-report",
    )
    proc = subprocess.Popen(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first
    proc.stdout.close()  # what head does after its line
    assert proc.wait(timeout=300) == 0
    assert_complete_once(out)


def test_stdout_and_stderr_closed(tmp_path: Path) -> None:
    out = tmp_path / "run1"
    cmd = argv(
        "run", "--matrix", str(tiny_matrix(tmp_path)), "--profile", "tiny", "--out", str(out)
    )

    def close_stdio() -> None:
        os.close(1)
        os.close(2)

    proc = subprocess.run(cmd, env=env(), preexec_fn=close_stdio, timeout=300, check=False)
    assert proc.returncode == 0
    assert_complete_once(out)
    assert (out / "index.html").is_file()


def test_sigterm_during_the_fingerprint_phase(tmp_path: Path) -> None:
    out = tmp_path / "run1"
    cmd = argv(
        "run",
        "--matrix",
        str(tiny_matrix(tmp_path)),
        "--profile",
        "tiny",
        "--out",
        str(out),
        "--no-report",
    )
    proc = subprocess.Popen(
        cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not (out / "run.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not (out / "fingerprint.json").exists(), "too late: the fingerprint is written"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "--resume" in err
    assert "Traceback" not in err
    assert run_record(out)["status"] == "interrupted"
