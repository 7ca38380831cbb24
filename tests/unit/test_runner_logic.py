"""The runner's pure decisions: cell order, worker environments, the run's exit status."""

from __future__ import annotations

import io
from pathlib import Path

from benchmarks.plan.matrix import Case
from benchmarks.run.progress import Progress, format_duration
from benchmarks.run.runner import order_cases, worker_env
from benchmarks.run.session import exit_status
from benchmarks.rundir.results import CaseResult


def c(device: str, mode: str = "eager", b: int = 1) -> Case:
    return Case("mlp", mode, b, device)


def result(case: Case, status: str) -> CaseResult:
    return CaseResult(case.case_id, case.workload, case.mode, case.batch_size, case.device, status)


def test_cells_grouped_by_worker_kind_keeping_plan_order() -> None:
    plan = [c("gpu:0"), c("cpu"), c("gpu:1", "graph"), c("cpu", "xla")]
    assert order_cases(plan) == [c("gpu:0"), c("gpu:1", "graph"), c("cpu"), c("cpu", "xla")]


def test_cpu_workers_hide_gpus_and_gpu_workers_grow_memory() -> None:
    base = {"CUDA_VISIBLE_DEVICES": "1", "PATH": "/bin"}
    assert worker_env("cpu", base)["CUDA_VISIBLE_DEVICES"] == "-1"
    gpu = worker_env("gpu", base)
    assert gpu["CUDA_VISIBLE_DEVICES"] == "1"  # the user's choice is kept
    assert gpu["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert (
        worker_env("gpu", {"TF_FORCE_GPU_ALLOW_GROWTH": "false"})["TF_FORCE_GPU_ALLOW_GROWTH"]
        == "false"
    )
    assert base == {"CUDA_VISIBLE_DEVICES": "1", "PATH": "/bin"}  # not mutated


def test_a_worker_gets_the_temporary_directory_it_is_given() -> None:
    base = {"TMPDIR": "/tmp", "PATH": "/bin"}
    env = worker_env("cpu", base, Path("/runs/r1/worker-tmp"))
    assert [env[k] for k in ("TMPDIR", "TMP", "TEMP")] == ["/runs/r1/worker-tmp"] * 3
    assert worker_env("cpu", base)["TMPDIR"] == "/tmp" and "TEMP" not in worker_env("cpu", base)


def test_exit_status_precedence() -> None:
    cpu, gpu = c("cpu"), c("gpu:0")
    plan = [cpu, gpu]
    ok = {cpu.case_id: result(cpu, "ok"), gpu.case_id: result(gpu, "ok")}
    assert exit_status(ok, plan, interrupted=False) == ("complete", 0)
    skipped = {**ok, gpu.case_id: result(gpu, "skipped")}
    assert exit_status(skipped, plan, interrupted=False) == ("gpu_unavailable", 3)
    assert exit_status(skipped, plan, False, allow_gpu_failure=True) == ("gpu_unavailable", 0)
    for bad in ("failed", "crashed", "timeout", "oom"):
        failed = {**skipped, cpu.case_id: result(cpu, bad)}
        assert exit_status(failed, plan, interrupted=False) == ("cells_failed", 1)
    assert exit_status(ok, plan, interrupted=True) == ("interrupted", 130)


def test_progress_plain_lines_for_logs_and_one_updating_line_on_a_tty() -> None:
    plain = io.StringIO()
    p = Progress(2, plain, tty=False)
    p.started("mlp-eager-b1-cpu")
    p.finished(result(c("cpu"), "crashed"))
    assert plain.getvalue().startswith("[1/2  50% ETA")
    assert "\r" not in plain.getvalue() and "crashed" in plain.getvalue()
    tty = io.StringIO()
    p = Progress(2, tty, tty=True)
    p.started("mlp-eager-b1-cpu")
    assert tty.getvalue().startswith("\r\x1b[2K[0/2   0% ETA ?] running mlp-eager-b1-cpu")


def test_format_duration() -> None:
    assert format_duration(5.4) == "5s"
    assert format_duration(125) == "2m05s"
