"""Items 1 and 3 of issue 15 under fire: SIGKILL at random points of the append, and torn
last lines at random byte offsets, >= 50 kill points in all; every resumed run ends with each
cell exactly once. The cheap writer (kill_driver) runs the real resume and append code; one
real ``run`` of real TensorFlow is killed after its first cell and resumed the same way."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.faults.helpers import REPO, argv, assert_complete_once, bench, env, tiny_matrix

CELLS = 12
KILL_POINTS = 55


def _driver(run_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.kill_driver", str(run_dir), str(CELLS)],
        cwd=REPO,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ids(run_dir: Path, *, whole: bool = True) -> Counter[str]:
    """Case ids of cases.jsonl; ``whole``: the file must end with a whole line."""
    path = run_dir / "cases.jsonl"
    data = path.read_bytes() if path.exists() else b""
    if whole:
        assert data == b"" or data.endswith(b"\n"), "cases.jsonl must end with a whole line"
    lines = data.split(b"\n")[:-1]  # an unterminated tail is not a result
    return Counter(json.loads(line)["case_id"] for line in lines if line.strip())


ALL = Counter({f"mlp-eager-b{b}-cpu": 1 for b in range(1, CELLS + 1)})


@pytest.mark.slow
def test_random_kills_and_torn_lines_then_resume(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("GRAPHBENCH_FAULT_SEED", "15")))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    path = run_dir / "cases.jsonl"
    # calibrate: how long does a full pass of appends take here?
    calib = tmp_path / "calib"
    calib.mkdir()
    p = _driver(calib)
    assert p.stdout is not None
    p.stdout.readline()
    t0 = time.monotonic()
    p.wait(timeout=120)
    span = max(0.05, time.monotonic() - t0)
    kills = torn = partial_found = rounds = point = 0
    while kills + torn < KILL_POINTS:
        point += 1
        assert point < 4 * KILL_POINTS, "the driver finishes before any kill lands"
        data = path.read_bytes() if path.exists() else b""
        if data and not data.endswith(b"\n"):
            partial_found += 1  # a SIGKILL landed inside a write
        ids = _ids(run_dir, whole=False)
        assert max(ids.values(), default=1) == 1, f"a cell twice: {ids}"
        if data.endswith(b"\n") and ids == ALL:
            path.write_bytes(b"")  # this round is complete: start the next one
            rounds += 1
        elif point % 3 == 2 and data:
            # a torn write (power cut, full disk): cut inside the last line
            start = data.rstrip(b"\n").rfind(b"\n") + 1
            path.write_bytes(data[: rng.randrange(start + 1, len(data))])
            torn += 1
        p = _driver(run_dir)
        assert p.stdout is not None
        ready = p.stdout.readline()
        assert ready.startswith("ready"), p.stderr.read() if p.stderr else ""
        time.sleep(rng.uniform(0, 0.9 * span))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait(timeout=60)
    # finish: one last resume must complete the run with each cell exactly once
    p = _driver(run_dir)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert _ids(run_dir) == ALL
    sides = list(run_dir.glob("cases.jsonl.partial*"))
    print(
        f"kill points: {kills} SIGKILLs + {torn} torn lines over {rounds + 1} rounds; "
        f"{partial_found} partial last lines left by kills or cuts; {len(sides)} set aside"
    )
    assert kills + torn >= 50
    assert len(sides) >= torn, "every torn line was set aside, none glued onto"


@pytest.mark.tf
def test_sigkill_of_a_real_run_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "run1"
    cmd = argv(
        "run",
        "--matrix",
        str(tiny_matrix(tmp_path, min_block_s=0.02)),
        "--profile",
        "tiny",
        "--out",
        str(out),
        "--no-report",
    )
    proc = subprocess.Popen(
        cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        p = out / "cases.jsonl"
        if p.exists() and p.read_bytes().count(b"\n") >= 1:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its worker, as a machine reset would
    proc.wait()
    done = _ids(out)
    assert 1 <= sum(done.values()) < 4, done
    r = bench("run", "--resume", out, "--no-report")
    assert r.returncode == 0, r.stderr
    assert_complete_once(out)
