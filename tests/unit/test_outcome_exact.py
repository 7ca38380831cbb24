"""Every field of a cell's outcome (run/outcome.py), compared whole, so no field is dropped,
renamed or taken from the wrong key; statistics come from numpy, not from stats.py."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.plan.matrix import Case
from benchmarks.run import outcome
from benchmarks.rundir.results import CaseResult

CASE = Case("mlp", "graph", 16, "gpu:0")
SAMPLES = [1.0e-3, 1.1e-3, 0.9e-3, 1.05e-3, 0.95e-3, 1.0e-3, 1.6e-3, 1.0e-3, 1.02e-3]
COV = float(np.std(SAMPLES, ddof=1) / np.mean(SAMPLES))  # 19.4 %: over the 10 % guard
GUARDS = [
    {"code": "unstable_cov", "detail": f"CoV {COV:.1%} > 10%"},
    {"code": "unstable_outlier", "detail": "max 1.60 x median > 1.5"},  # 1.6 ms vs 1.0 ms
]


def _raw(**over: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "status": "ok",
        "reason": None,
        "samples_s": SAMPLES,
        "phases_s": {"build": 0.5, "measure": 1.5},
        "flops_per_sample": 4096,
        "first_call_s": 0.25,
        "traces": 1,
        "traces_after_warmup": 1,
        "output_device": "/job:localhost/replica:0/task:0/device:GPU:0",
        "max_abs_diff": 1.5e-7,
        "output_match": True,
        "iters_per_block": 40,
        "fallback": False,
    }
    raw.update(over)
    return raw


def test_an_ok_answer_becomes_a_full_result_with_numpys_statistics() -> None:
    got = outcome.from_worker(CASE, _raw())
    a = np.asarray(SAMPLES)
    assert got.samples_s == SAMPLES
    assert got.median_s == float(np.median(a))
    assert got.mean_s == pytest.approx(float(a.mean()), rel=1e-12)
    assert got.iqr_s == pytest.approx(float(np.percentile(a, 75) - np.percentile(a, 25)), rel=1e-9)
    assert (got.min_s, got.max_s) == (a.min(), a.max())
    assert got.cov == pytest.approx(COV, rel=1e-12) and pytest.approx(0.194, abs=1e-3) == COV
    assert got.ci_low_s is not None and got.ci_high_s is not None
    assert a.min() < got.ci_low_s <= got.median_s <= got.ci_high_s < a.max()
    expected = CaseResult(
        case_id="mlp-graph-b16-gpu0", workload="mlp", mode="graph", batch_size=16,
        device="gpu:0", status="ok", reason=None, median_s=got.median_s,
        ci_low_s=got.ci_low_s, ci_high_s=got.ci_high_s, iqr_s=got.iqr_s, min_s=got.min_s,
        max_s=got.max_s, mean_s=got.mean_s, cov=got.cov, samples_s=SAMPLES,
        iters_per_block=40, first_call_s=0.25, traces=1, flops_per_sample=4096,
        output_device="/job:localhost/replica:0/task:0/device:GPU:0", max_abs_diff=1.5e-7,
        warnings=GUARDS, phases_s={"build": 0.5, "measure": 1.5},
    )  # fmt: skip
    assert got == expected


def test_every_warning_in_order_with_its_detail() -> None:
    got = outcome.from_worker(
        CASE,
        _raw(
            samples_s=[1.0, 1.5, 0.7, 1.3, 0.8, 1.2, 0.9, 1.4, 1.0],
            traces=3,
            traces_after_warmup=2,
            fallback=True,
            output_device="/device:CPU:0",
            output_match=False,
            max_abs_diff=0.01234,
        ),
    )
    assert got.warnings == [
        {"code": "unstable_cov", "detail": "CoV 25.3% > 10%"},  # sd 0.2759 / mean 1.0889
        {"code": "retraced", "detail": "traced 3 times (expected once)"},
        {"code": "cpu_fallback", "detail": "/device:CPU:0"},
        {"code": "output_mismatch", "detail": "max |diff| 0.0123"},
    ]


@pytest.mark.parametrize(
    ("after", "total", "warned"),
    [(2, None, True), (None, 2, True), (1, 1, False), (None, None, False)],
)
def test_retrace_warning_uses_either_count(
    after: int | None, total: int | None, warned: bool
) -> None:
    got = outcome.from_worker(CASE, _raw(traces_after_warmup=after, traces=total))
    assert ("retraced" in [w["code"] for w in got.warnings]) is warned


def test_a_failed_answer_keeps_the_facts_but_no_statistics() -> None:
    got = outcome.from_worker(
        CASE, _raw(status="failed", reason="ResourceExhaustedError at /home/alice", phases_s=None),
        scrub=lambda s: s.replace("/home/alice", "~"),
    )  # fmt: skip
    assert got == CaseResult(
        case_id="mlp-graph-b16-gpu0", workload="mlp", mode="graph", batch_size=16,
        device="gpu:0", status="failed", reason="ResourceExhaustedError at ~",
        iters_per_block=40, first_call_s=0.25, traces=1, flops_per_sample=4096,
        output_device="/job:localhost/replica:0/task:0/device:GPU:0", max_abs_diff=1.5e-7,
        warnings=GUARDS, phases_s={},
    )  # fmt: skip


def test_an_answer_without_status_or_samples_is_a_failure() -> None:
    got = outcome.from_worker(CASE, {"reason": 7})
    assert (got.status, got.reason, got.samples_s, got.median_s, got.warnings) == (
        "failed", "7", [], None, []
    )  # fmt: skip
    assert got.phases_s == {} and got.iters_per_block is None


def test_death_by_timeout_oom_and_crash_say_how() -> None:
    t = outcome.from_death(CASE, None, "SIGKILL", "tail", timed_out=True, timeout_s=300.0,
                           oom_killed=False)  # fmt: skip
    assert (t.status, t.reason) == (
        "timeout",
        "no result within the 300 s per-cell limit; worker killed",
    )
    assert t.worker == {"returncode": None, "signal": "SIGKILL", "stderr_tail": "tail"}
    oom = outcome.from_death(CASE, -9, "SIGKILL", "", timed_out=False, timeout_s=1,
                             oom_killed=True)  # fmt: skip
    assert (oom.status, oom.reason) == (
        "oom", "worker killed by SIGKILL: the kernel OOM killer ended it (cgroup oom_kill count rose)"
    )  # fmt: skip
    assert oom.worker == {"returncode": -9, "signal": "SIGKILL", "stderr_tail": ""}
    code = outcome.from_death(CASE, 1, None, "", timed_out=False, timeout_s=1, oom_killed=True)
    assert code.reason is not None and code.reason.startswith(
        "worker exited with code 1: the kernel OOM killer"
    )


def test_a_crash_quotes_the_last_stderr_line_scrubbed_and_cut() -> None:
    tail = "first\n  Fatal Python error: at /home/alice " + "x" * 400 + "  \n\n   \n"
    got = outcome.from_death(CASE, 134, None, tail, timed_out=False, timeout_s=1,
                             oom_killed=False, scrub=lambda s: s.replace("/home/alice", "~"))  # fmt: skip
    want_line = ("Fatal Python error: at ~ " + "x" * 400)[:300]
    assert got.status == "crashed"
    assert got.reason == f"worker exited with code 134; last stderr line: {want_line}"
    assert got.worker["stderr_tail"] == tail.replace("/home/alice", "~")
    quiet = outcome.from_death(CASE, None, "SIGSEGV", "", timed_out=False, timeout_s=1,
                               oom_killed=False)  # fmt: skip
    assert quiet.reason == "worker killed by SIGSEGV"


def test_skipped_and_extra_warnings() -> None:
    s = outcome.skipped(CASE, "GPU unavailable: driver_missing_or_not_loaded")
    assert s == CaseResult(case_id="mlp-graph-b16-gpu0", workload="mlp", mode="graph",
                           batch_size=16, device="gpu:0", status="skipped",
                           reason="GPU unavailable: driver_missing_or_not_loaded")  # fmt: skip
    base = outcome.from_worker(CASE, _raw())
    more = outcome.with_extra_warnings(base, [("high_load", "busy")], gpu_state={"a": 1})
    assert more.warnings == [*base.warnings, {"code": "high_load", "detail": "busy"}]
    assert more.gpu_state == {"a": 1} and more.median_s == base.median_s
    assert base.gpu_state is None  # the original is not changed


@pytest.mark.parametrize(
    ("fraction", "want"),
    [
        (None, []),
        (0.1, []),
        (0.25, []),
        (0.2501, [("high_load", "other processes used 25% of the 8 CPUs")]),
    ],
)
def test_foreign_cpu_warning_above_a_quarter(
    fraction: float | None, want: list[tuple[str, str]]
) -> None:
    assert outcome.foreign_cpu_warning(fraction, 8) == want


def test_a_call_path_that_does_not_apply_says_why_and_the_model_is_kept() -> None:
    why = "predict needs a Keras model; raw is not one"
    r = outcome.from_worker(CASE, {"status": "skipped", "reason": why, "not_applicable": True})
    assert (r.status, r.reason) == ("skipped", why)
    assert r.warnings == [{"code": "not_applicable", "detail": why}]
    plain = outcome.from_worker(CASE, {"status": "skipped", "reason": why})
    assert plain.warnings == []
    model = {"kind": "keras", "source": "embed.keras", "sha256": "ab" * 32, "params": 2436}
    assert outcome.from_worker(CASE, _raw(model=model)).model == model
    assert outcome.from_worker(CASE, _raw()).model is None
