from __future__ import annotations

from benchmarks.plan.matrix import Case
from benchmarks.run import outcome

CASE = Case("mlp", "graph", 100, "cpu")


def raw(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "status": "ok",
        "reason": None,
        "samples_s": [1e-3] * 9,
        "iters_per_block": 50,
        "first_call_s": 0.03,
        "traces_after_warmup": 1,
        "traces": 1,
        "output_match": True,
        "max_abs_diff": 0.0,
        "output_device": "/job:localhost/replica:0/task:0/device:CPU:0",
        "phases_s": {"measure": 0.45},
        "flops_per_sample": 668672,
    }
    base.update(kw)
    return base


def test_ok_cell_gets_statistics_and_no_warnings() -> None:
    r = outcome.from_worker(CASE, raw())
    assert r.status == "ok" and r.median_s == 1e-3 and r.ci_low_s == r.ci_high_s == 1e-3
    assert r.warnings == [] and r.case_id == "mlp-graph-b100-cpu"


def test_retrace_mismatch_and_noise_are_flagged_not_hidden() -> None:
    r = outcome.from_worker(
        CASE,
        raw(
            traces=3,
            output_match=False,
            max_abs_diff=0.5,
            samples_s=[1e-3, 2e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3],
        ),
    )
    codes = [w["code"] for w in r.warnings]
    assert codes == ["unstable_cov", "unstable_outlier", "retraced", "output_mismatch"]
    assert r.status == "ok"


def test_cpu_fallback_is_a_failure_without_numbers() -> None:
    r = outcome.from_worker(
        Case("mlp", "graph", 100, "gpu:0"),
        raw(status="failed", reason="silent CPU fallback: output on CPU:0", fallback=True),
    )
    assert r.status == "failed" and r.median_s is None and r.samples_s == []
    assert [w["code"] for w in r.warnings] == ["cpu_fallback"]


def test_worker_death_variants() -> None:
    killed = outcome.from_death(
        CASE,
        -9,
        "SIGKILL",
        "line1\nSegfault here\n",
        timed_out=False,
        timeout_s=300,
        oom_killed=False,
    )
    assert killed.status == "crashed"
    assert killed.reason == "worker killed by SIGKILL; last stderr line: Segfault here"
    assert killed.worker["signal"] == "SIGKILL"
    oom = outcome.from_death(
        CASE, -9, "SIGKILL", "", timed_out=False, timeout_s=300, oom_killed=True
    )
    assert oom.status == "oom" and "OOM killer" in (oom.reason or "")
    hung = outcome.from_death(
        CASE, -9, "SIGKILL", "", timed_out=True, timeout_s=12.5, oom_killed=False
    )
    assert hung.status == "timeout" and "12.5 s" in (hung.reason or "")


def test_scrub_applies_to_reasons_and_stderr() -> None:
    r = outcome.from_death(
        CASE,
        1,
        None,
        "/home/alice/x.py failed",
        timed_out=False,
        timeout_s=1,
        oom_killed=False,
        scrub=lambda t: t.replace("/home/alice", "~"),
    )
    assert "/home/alice" not in (r.reason or "") + r.worker["stderr_tail"]


def test_foreign_cpu_warning_threshold() -> None:
    assert outcome.foreign_cpu_warning(0.1, 2) == []
    assert outcome.foreign_cpu_warning(None, 2) == []
    [(code, detail)] = outcome.foreign_cpu_warning(0.6, 2)
    assert code == "high_load" and "60%" in detail
