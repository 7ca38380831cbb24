"""``outcome.from_processes`` field by field on literal processes that differ in every field.

Each expected value is worked out by hand in a comment (or by numpy), so that a pooled
statistic taken from the wrong process, a max that became a min, or a dropped warning fails.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from benchmarks.run.outcome import ProcessRun, from_processes, from_worker
from benchmarks.stats import hierarchical_ci
from tests.unit.test_processes import EAGER, raw

A, B, C = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0], [3.0, 3.0, 3.0]
RUNS = [
    ProcessRun(0, 10, raw(A, phases_s={"first_call": 0.5, "measure": 2.0}), 0.1, cpus=4),
    ProcessRun(
        1,
        11,
        raw(
            B,
            iters_per_block=20,
            first_call_s=0.05,
            traces=3,
            max_abs_diff=1e-6,
            stop="target_ci",
            phases_s={"measure": 1.0, "extra": 0.25},
        ),
        extra=(("gpu_throttled", "clocks down"),),
    ),
    ProcessRun(
        2,
        12,
        raw(
            C,
            iters_per_block=None,
            first_call_s=None,
            traces=None,
            max_abs_diff=None,
            stop=None,
            phases_s=None,
        ),
        foreign_cpu=0.7,
        cpus=2,
    ),
]


def test_every_pooled_field_of_three_different_processes() -> None:
    r = from_processes(EAGER, RUNS, planned=4)
    everything = A + B + C
    assert r.samples_s == everything
    assert (r.median_s, r.ci_low_s, r.ci_high_s) == hierarchical_ci([A, B, C])
    q25, q75 = np.percentile(everything, [25, 75])  # 2.25 and 3.75
    assert r.iqr_s == pytest.approx(q75 - q25) == 1.5
    assert (r.min_s, r.max_s) == (1.0, 6.0)
    assert r.mean_s == pytest.approx(np.mean(everything)) == 3.1
    covs = [np.std(g, ddof=1) / np.mean(g) for g in (A, B, C)]  # 0.516, 0.5, 0
    assert r.cov == pytest.approx(float(np.median(covs))) == 0.5
    assert r.first_call_s == pytest.approx(0.04)  # median of 0.03 and 0.05; C has none
    assert r.traces == 3  # the most any process traced
    assert r.max_abs_diff == 1e-6  # the worst disagreement; C has none
    assert r.iters_per_block == 10  # the first process's, as from_worker says it
    assert r.phases_s == {"first_call": 0.5, "measure": 3.0, "extra": 0.25}  # summed
    assert r.processes == [
        {"pass": 0, "pid": 10, "samples_s": A, "median_s": 2.5, "iters_per_block": 10,
         "first_call_s": 0.03, "stop": "rounds"},
        {"pass": 1, "pid": 11, "samples_s": B, "median_s": 4.0, "iters_per_block": 20,
         "first_call_s": 0.05, "stop": "target_ci"},
        {"pass": 2, "pid": 12, "samples_s": C, "median_s": 3.0, "iters_per_block": None,
         "first_call_s": None, "stop": "rounds"},  # no stop said: the rounds ran out
    ]  # fmt: skip
    assert r.processes_planned == 4
    assert r.process_spread == pytest.approx((4.0 - 2.5) / 3.0)  # range over median of medians
    assert r.stop == "mixed"
    assert r.worker == {"pids": [10, 11, 12]}
    assert r.status == "ok" and r.reason is None


def test_the_warnings_in_order_each_once() -> None:
    r = from_processes(EAGER, RUNS, planned=4)
    assert r.warnings == [
        {"code": "unstable_cov", "detail": "CoV 51.6% > 10%"},  # A's; B's (50%) is not repeated
        {"code": "unstable_outlier", "detail": "max 1.60 x median > 1.5"},  # A: 4 / 2.5
        {"code": "retraced", "detail": "traced 3 times (expected once)"},  # B's worker answer
        {"code": "high_load", "detail": "other processes used 70% of the 4 CPUs"},  # worst load
        {"code": "gpu_throttled", "detail": "clocks down"},  # B's monitor
        {"code": "fewer_processes", "detail": "3 of 4 processes (not every pass reached it)"},
    ]
    done = from_processes(EAGER, RUNS, planned=3)
    assert "fewer_processes" not in [w["code"] for w in done.warnings]


def test_a_process_without_samples_leaves_the_first_answer_and_none_is_an_error() -> None:
    empty = ProcessRun(1, 11, raw([]))
    assert from_processes(EAGER, [RUNS[0], empty], planned=2) == from_worker(EAGER, RUNS[0].raw)
    with pytest.raises(ValueError, match=r"^no process measured this cell$"):
        from_processes(EAGER, [], planned=2)


def test_the_result_has_no_field_left_from_the_first_process_alone() -> None:
    one = from_worker(EAGER, RUNS[0].raw)
    pooled = from_processes(EAGER, RUNS, planned=3)
    changed = {f.name for f in dataclasses.fields(pooled)
               if getattr(pooled, f.name) != getattr(one, f.name)}  # fmt: skip
    assert changed >= {"samples_s", "median_s", "max_s", "mean_s", "first_call_s", "traces",
                       "max_abs_diff", "phases_s", "processes", "processes_planned", "stop",
                       "worker", "warnings"}  # fmt: skip


def test_pooled_min_and_iqr_are_over_every_process_and_missing_fields_stay_none() -> None:
    bare = {"iters_per_block": None, "first_call_s": None, "traces": None, "max_abs_diff": None}
    runs = [ProcessRun(0, 1, raw([2.0, 2.0, 2.0], **bare)),
            ProcessRun(1, 2, raw([1.0, 5.0, 9.0], **bare))]  # fmt: skip
    r = from_processes(EAGER, runs, planned=2)
    q25, q75 = np.percentile([2.0, 2.0, 2.0, 1.0, 5.0, 9.0], [25, 75])  # 2.0 and 4.25
    assert r.iqr_s == pytest.approx(q75 - q25) == 2.25  # the first process alone: 0
    assert (r.min_s, r.max_s) == (1.0, 9.0)  # the first alone: 2.0, 2.0
    assert (r.first_call_s, r.traces, r.max_abs_diff) == (None, None, None)


def test_the_reason_is_scrubbed_and_disagreeing_processes_say_by_how_much() -> None:
    a, b = [1.00, 1.02, 0.98], [1.20, 1.22, 1.19]
    private = raw(a, reason="measured under /home/alice/models")
    runs = [ProcessRun(0, 1, private), ProcessRun(1, 2, raw(b, reason="also /home/alice"))]
    r = from_processes(EAGER, runs, 2, lambda s: s.replace("/home/alice", "~"))
    assert r.reason == "measured under ~/models"
    [w] = [w for w in r.warnings if w["code"] == "processes_disagree"]
    assert w["detail"] == "per-process medians 1 s .. 1.2 s (spread 18%)"  # 0.2 / median 1.1
