"""Item 15 of issue 15: a cell that asks for far more memory than the per-worker cap ends
``oom``; the worker tree never grows much past the cap and the next cell still runs."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psutil
import pytest

from tests.faults.helpers import argv, env, tiny_matrix

pytestmark = pytest.mark.tf
CAP_MB = 1500
BIG = """
schema_version = 1
[profiles.big]
workloads = ["cnn", "mlp"]
modes = ["eager"]
batch_sizes = [1, 2000000]
devices = ["cpu"]
blocks = 3
min_block_s = 0.001
warmup_s = 0.001
warmup_calls = 1
timeout_s = 300
[[profiles.big.exclude]]
workload = "mlp"
batch_size = 2000000
[[profiles.big.exclude]]
workload = "cnn"
batch_size = 1
"""


def test_a_huge_batch_ends_oom_under_the_cap(tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "run1"
    matrix = tiny_matrix(tmp_path, body=BIG)
    proc = subprocess.Popen(
        argv("run", "--matrix", str(matrix), "--profile", "big", "--out", str(out), "--no-report"),
        env=env(GRAPHBENCH_WORKER_MEMORY_MB=str(CAP_MB)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = [0]

    def watch() -> None:
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                total = sum(p.memory_info().rss for p in root.children(recursive=True))
            except psutil.Error:
                total = 0
            peak[0] = max(peak[0], total)
            time.sleep(0.05)

    t = threading.Thread(target=watch)
    t.start()
    _, err = proc.communicate(timeout=600)
    t.join()
    assert proc.returncode == 1, err
    cells = {
        c["case_id"]: c for c in map(json.loads, (out / "cases.jsonl").read_text().splitlines())
    }
    big = cells["cnn-eager-b2000000-cpu"]
    assert big["status"] == "oom", big
    assert cells["mlp-eager-b1-cpu"]["status"] == "ok"  # the machine and the run carried on
    # the tree may overshoot by what it allocates between two 0.2 s polls, not by gigabytes
    assert peak[0] < (CAP_MB + 1500) * 1024 * 1024, f"peak {peak[0] >> 20} MiB"
    print(f"memory cap {CAP_MB} MiB: peak worker-tree RSS {peak[0] >> 20} MiB; {big['reason']}")


def test_rss_watchdog_kills_a_growing_process_group() -> None:
    """The backstop where RLIMIT_AS is not set (GPU workers): a real child that keeps
    allocating is killed by the watchdog soon after it passes the cap."""
    import subprocess
    import sys

    from benchmarks.run.memguard import MiB, RssWatchdog

    grow = "import time\nchunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))\n    time.sleep(0.01)\n"
    child = subprocess.Popen([sys.executable, "-c", grow], start_new_session=True)
    dog = RssWatchdog(child.pid, 200 * MiB, interval_s=0.05).start()
    try:
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        dog.stop()
    assert code == -9 and dog.tripped
    assert dog.tripped_rss is not None and dog.tripped_rss < 600 * MiB
    assert "passed the cap of 200 MiB" in dog.reason()
