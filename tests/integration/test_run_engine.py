"""The measuring engine end to end with real TensorFlow on tiny matrices."""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from benchmarks import analysis
from benchmarks.rundir import results
from benchmarks.rundir.layout import WORKER_TMP_DIR

from .conftest import bench_argv, bench_env, run_bench, tiny_matrix

pytestmark = pytest.mark.tf


SECRETS = {
    "GITHUB_TOKEN": "ghp_plantedTokenValue0123456789",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED",
    "TF_MY_API_KEY": "tf-api-key-planted-4242",
    "TF_SOME_URL": "https://plantuser:plantpass9@example.invalid/path",
}


def test_tiny_run_measures_every_cell_and_leaks_no_secret(tmp_path: Path) -> None:
    m = tiny_matrix(tmp_path, '[profiles.t]\nworkloads = ["mlp", "mlp_raw"]\nbatch_sizes = [1, 8]')
    out = tmp_path / "run"
    proc = run_bench(
        "run",
        "--matrix",
        str(m),
        "--profile",
        "t",
        "--out",
        str(out),
        "--no-report",
        extra_env=SECRETS,
    )
    assert proc.returncode == 0, proc.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"cases.jsonl", "run.json", "fingerprint.json"} <= {p.name for p in files}
    for path in files:
        text = path.read_text(errors="replace")
        for value in [*SECRETS.values(), "plantpass9"]:
            assert value not in text, (path.name, value)
    for value in [*SECRETS.values(), "plantpass9"]:
        assert value not in proc.stdout + proc.stderr
    assert all(c.fingerprint_digest for c in results.read_cases(out))
    frame = results.load(out)
    assert len(frame) == 12
    assert set(frame["status"]) == {"ok"}, frame[["case_id", "status", "reason"]]
    assert (frame["median_s"] > 0).all()
    assert (frame["ci_low_s"] <= frame["median_s"]).all()
    assert (frame["median_s"] <= frame["ci_high_s"]).all()
    compiled = frame[frame["mode"] != "eager"]
    assert (compiled["traces"] == 1).all()
    assert (frame["first_call_s"] > 0).all()
    cases = results.read_cases(out)
    assert all(c.output_device and c.output_device.endswith("CPU:0") for c in cases)
    assert all(c.max_abs_diff is not None and c.max_abs_diff < 1e-4 for c in cases)
    run = results.read_run(out)
    assert run.status == "complete" and run.exit_code == 0
    assert run.wall_s["measure"] > 0 and run.wall_s["import"] > 0
    assert run.threads >= 1 and run.workers and run.workers[0]["tensorflow"]
    assert len(analysis.speedups(cases)) == 2 * 2 * 2
    assert "eager/graph" in proc.stdout  # the summary table


def start_run(matrix: Path, out: Path) -> subprocess.Popen[str]:
    """The run in a child that Ctrl-C reaches, however these tests were started.

    A shell starts a background job (``nox -s tests &``, nohup) with SIGINT ignored, and an
    ignored signal stays ignored across exec, so the run would never see the test's SIGINT.
    A handled signal is reset to the default in the child, hence the handler while spawning.
    """
    argv = bench_argv(
        "run", "--matrix", str(matrix), "--profile", "t", "--out", str(out), "--no-report"
    )
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            argv, env=bench_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    finally:
        signal.signal(signal.SIGINT, previous)


def wait_for_cells(out: Path, n: int, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    cases = out / "cases.jsonl"
    while time.monotonic() < deadline:
        if cases.exists() and cases.read_text().count("\n") >= n:
            return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {n} cells finished within {timeout_s} s")


def test_sigkill_of_a_worker_crashes_one_cell_and_the_run_goes_on(tmp_path: Path) -> None:
    m = tiny_matrix(
        tmp_path,
        '[profiles.t]\nworkloads = ["mlp"]\nbatch_sizes = [1, 10]\nmodes = ["eager", "graph"]',
        blocks=9,
        min_block_s=0.1,
    )
    out = tmp_path / "run"
    runner = start_run(m, out)
    wait_for_cells(out, 1)
    workers = [
        p
        for p in psutil.Process(runner.pid).children()
        if "benchmarks.worker.main" in " ".join(p.cmdline())
    ]
    victim = workers[0] if workers else None
    assert victim is not None, "no worker found to kill"
    victim.send_signal(signal.SIGKILL)
    _, err = runner.communicate(timeout=300)
    assert runner.returncode == 1, err
    frame = results.load(out)
    assert len(frame) == 4, err
    crashed = frame[frame["status"] == "crashed"]
    assert len(crashed) == 1
    assert "killed by SIGKILL" in crashed.iloc[0]["reason"]
    assert set(frame[frame["status"] != "crashed"]["status"]) == {"ok"}
    run = results.read_run(out)
    assert run.status == "cells_failed"
    assert any(w["end"] == "killed by SIGKILL" for w in run.workers)  # and a fresh one carried on


def test_batch_too_large_for_memory_is_oom_and_the_run_goes_on(tmp_path: Path) -> None:
    m = tiny_matrix(
        tmp_path,
        '[profiles.t]\nworkloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = [100000000, 4]',
    )
    out = tmp_path / "run"
    proc = run_bench("run", "--matrix", str(m), "--profile", "t", "--out", str(out), "--no-report")
    assert proc.returncode == 1
    frame = results.load(out).set_index("case_id")
    assert frame.loc["mlp-eager-b100000000-cpu", "status"] in ("oom", "crashed")
    assert "OOM" in frame.loc["mlp-eager-b100000000-cpu", "reason"]
    assert frame.loc["mlp-eager-b4-cpu", "status"] == "ok"


def test_a_hung_cell_times_out_and_the_next_cell_runs(tmp_path: Path) -> None:
    m = tiny_matrix(
        tmp_path,
        '[profiles.t]\nworkloads = ["cnn", "mlp"]\nmodes = ["eager"]\nbatch_sizes = [256]\n'
        '[[profiles.t.exclude]]\nworkload = "mlp"\n'
        '[profiles.slow]\nworkloads = ["cnn"]\nmodes = ["eager"]\nbatch_sizes = [256]\n'
        "min_block_s = 2.0\nblocks = 9\ntimeout_s = 3\n",
    )
    out = tmp_path / "run"
    proc = run_bench(
        "run", "--matrix", str(m), "--profile", "slow", "--out", str(out), "--no-report"
    )
    assert proc.returncode == 1, proc.stderr
    [row] = results.read_cases(out)
    assert row.status == "timeout" and "3 s per-cell limit" in (row.reason or "")


def test_ctrl_c_keeps_measured_cells_and_resume_finishes_the_rest(tmp_path: Path) -> None:
    m = tiny_matrix(
        tmp_path,
        '[profiles.t]\nworkloads = ["mlp"]\nbatch_sizes = [1, 10]',
        blocks=9,
        min_block_s=0.1,
    )
    out = tmp_path / "run"
    system_tmp = Path(tempfile.gettempdir())
    autograph_before = set(system_tmp.glob("__autograph_generated_file*"))
    runner = start_run(m, out)
    wait_for_cells(out, 2)
    runner.send_signal(signal.SIGINT)
    _, err = runner.communicate(timeout=120)
    assert runner.returncode == 130, err
    assert "--resume" in err
    kept = results.read_cases(out)
    assert 2 <= len(kept) < 6
    assert all(r.status == "ok" for r in kept)
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "interrupted"
    # TF's autograph writes a file per converted function to TMPDIR and deletes it only at a
    # normal exit; a worker killed on Ctrl-C leaves it. Its TMPDIR is in the run directory and
    # is removed after the run, so nothing lands in the system temp dir.
    assert set(system_tmp.glob("__autograph_generated_file*")) == autograph_before
    assert not (out / WORKER_TMP_DIR).exists()
    assert not [
        p
        for p in psutil.process_iter(["cmdline"])
        if p.info["cmdline"] and str(out) in " ".join(p.info["cmdline"])
    ]

    proc = run_bench("run", "--resume", str(out), "--no-report")
    assert proc.returncode == 0, proc.stderr
    final = results.read_cases(out)
    assert sorted(r.case_id for r in final) == sorted(results.read_run(out).cases)
    assert final[: len(kept)] == kept  # nothing measured before was rewritten
    assert results.read_run(out).resumed_from


def test_gpu_requested_without_a_gpu_measures_cpu_and_explains(tmp_path: Path) -> None:
    """On this GPU-less machine: CPU cells ok, GPU cells skipped with the doctor's reason.

    Whether the machine has a GPU is decided before the run, from the driver's own file: a run
    that exits 0 here is the silent CPU fallback this test guards against, not a reason to skip.
    """
    if Path("/proc/driver/nvidia/version").exists():
        pytest.skip("this machine has an NVIDIA driver: the GPU would not be refused here")
    m = tiny_matrix(
        tmp_path, '[profiles.t]\nworkloads = ["mlp"]\nbatch_sizes = [1]\nmodes = ["eager", "graph"]'
    )
    out = tmp_path / "run"
    proc = run_bench(
        "run",
        "--matrix",
        str(m),
        "--profile",
        "t",
        "--device",
        "cpu,gpu",
        "--out",
        str(out),
        "--no-report",
    )
    assert proc.returncode == 3, proc.stderr
    frame = results.load(out).set_index("case_id")
    assert set(frame.loc[["mlp-eager-b1-cpu", "mlp-graph-b1-cpu"], "status"]) == {"ok"}
    gpu = frame.loc[["mlp-eager-b1-gpu0", "mlp-graph-b1-gpu0"]]
    assert set(gpu["status"]) == {"skipped"}
    diagnosis = json.loads((out / "diagnosis.json").read_text())
    top = diagnosis["findings"][0]
    assert top["code"] == "driver_missing_or_not_loaded"
    assert top["code"] in gpu.iloc[0]["reason"]
    assert top["title"] in proc.stderr and "fix:" in proc.stderr
    assert (out / "probe.log").read_text().strip()
    assert results.read_run(out).status == "gpu_unavailable"

    again = run_bench(
        "run",
        "--matrix",
        str(m),
        "--profile",
        "t",
        "--device",
        "cpu,gpu",
        "--out",
        str(tmp_path / "run2"),
        "--no-report",
        "--allow-gpu-failure",
    )
    assert again.returncode == 0, again.stderr
