"""Before/after GPU snapshots and the warnings they give a cell."""

from __future__ import annotations

from typing import Any

from benchmarks.gpu import state as gpustate
from benchmarks.rundir.results import WARNINGS
from tests.fakes.nvml import FakeNvml

OURS = frozenset({31337})


def snap(name: str, indices: list[int] | None = None) -> dict[str, Any]:
    return gpustate.snapshot(indices, FakeNvml.load(name), own=OURS)


def gpu(index: int = 0, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "index": index,
        "memory_used_bytes": 2 * 2**30,
        "utilization_gpu_pct": 100,
        "temperature_c": 60,
        "power_draw_w": 400.0,
        "clocks": {"sm_mhz": 1980, "sm_max_mhz": 1980, "mem_mhz": 2619, "mem_max_mhz": 2619},
        "pstate": "P0",
        "throttle_reasons": [],
        "processes": [{"pid": 31337, "name": "python3", "used_memory_bytes": 2**31, "ours": True}],
    }
    base.update(fields)
    return base


def test_snapshot_has_the_contract_shape() -> None:
    s = snap("healthy_multi_gpu")
    assert set(s) == {"taken_at", "gpus"}
    assert s["taken_at"].endswith("Z")  # rundir.jsonio.utc_stamp: the one time-stamp format
    assert [g["index"] for g in s["gpus"]] == [0, 1]
    assert set(s["gpus"][0]) == {
        "index",
        "memory_used_bytes",
        "utilization_gpu_pct",
        "temperature_c",
        "power_draw_w",
        "clocks",
        "pstate",
        "throttle_reasons",
        "processes",
    }


def test_snapshot_without_nvml_is_a_value_not_an_exception() -> None:
    s = snap("driver_not_loaded")
    assert s["gpus"] == [] and s["status"] == "unavailable" and s["error"] == "Driver Not Loaded"
    assert gpustate.assess(s, s, OURS) == []


def test_healthy_cell_has_no_warnings() -> None:
    before = snap("healthy_multi_gpu")
    assert gpustate.assess(before, before, OURS) == []


def test_throttling_and_clock_drop_from_recorded_readings() -> None:
    before = snap("healthy_multi_gpu", [0])
    after = snap("throttling", [0])
    warnings = gpustate.assess(before, after, OURS)
    assert [code for code, _ in warnings] == ["throttled", "clock_drop"]
    assert "hw_thermal_slowdown" in warnings[0][1] and "88 C" in warnings[0][1]
    assert warnings[1][1] == "GPU 0: SM clock 1980 -> 1155 MHz (-42%)"


def test_foreign_process_from_recorded_reading() -> None:
    before = snap("healthy_multi_gpu", [0])
    after = snap("exclusive_process_foreign", [0])
    warnings = gpustate.assess(before, after, OURS)
    assert warnings == [
        ("foreign_gpu_process", "GPU 0: pid 4242 (python, 78.0 GiB) appeared during the cell")
    ]


def test_codes_are_known_warning_codes() -> None:
    before = {"gpus": [gpu(processes=[{"pid": 9, "name": "x", "ours": False}])]}
    after = {"gpus": [gpu(throttle_reasons=["sw_power_cap"], clocks={"sm_mhz": 900})]}
    codes = {code for code, _ in gpustate.assess(before, after, OURS)}
    assert codes == {"throttled", "foreign_gpu_process", "clock_drop"}
    assert codes <= set(WARNINGS)


def test_benign_reasons_are_not_throttling() -> None:
    after = {
        "gpus": [gpu(throttle_reasons=["gpu_idle", "applications_clocks_setting", "sync_boost"])]
    }
    assert gpustate.assess({"gpus": [gpu()]}, after, OURS) == []


def test_throttle_active_before_the_cell_counts_too() -> None:
    before = {"gpus": [gpu(throttle_reasons=["sw_power_cap"])]}
    ((code, detail),) = gpustate.assess(before, {"gpus": [gpu()]}, OURS)
    assert code == "throttled" and "sw_power_cap before" in detail


def test_clock_drop_threshold_and_idle_exemption() -> None:
    before = {"gpus": [gpu()]}
    small = {"gpus": [gpu(clocks={"sm_mhz": 1800})]}  # -9 %: boost jitter, not a drop
    idle = {"gpus": [gpu(clocks={"sm_mhz": 345}, throttle_reasons=["gpu_idle"])]}
    big = {"gpus": [gpu(clocks={"sm_mhz": 1700})]}  # -14 %
    assert gpustate.assess(before, small, OURS) == []
    assert gpustate.assess(before, idle, OURS) == []
    assert [c for c, _ in gpustate.assess(before, big, OURS)] == ["clock_drop"]
    assert gpustate.assess(before, big, OURS, clock_drop_fraction=0.2) == []


def test_own_pids_argument_overrides_a_stale_ours_flag() -> None:
    # the worker was restarted after the snapshot: its new pid is ours by the caller's word
    proc = {"pid": 555, "name": "python3", "used_memory_bytes": 1, "ours": False}
    state = {"gpus": [gpu(processes=[proc])]}
    assert gpustate.assess(state, state, {555}) == []
    ((code, detail),) = gpustate.assess(state, state, set())
    assert code == "foreign_gpu_process" and "before and after" in detail


def test_gpu_missing_from_before_is_still_assessed() -> None:
    after = {"gpus": [gpu(index=1, throttle_reasons=["hw_slowdown"])]}
    assert [c for c, _ in gpustate.assess({"gpus": []}, after, OURS)] == ["throttled"]


def test_monitor_fits_the_runner_protocol() -> None:
    from benchmarks.run.runner import GpuMonitor

    monitor: GpuMonitor = gpustate.Monitor([0], FakeNvml.load("throttling"))
    before = monitor.snapshot()
    assert before is not None and [g["index"] for g in before["gpus"]] == [0]
    assert [c for c, _ in monitor.assess(before, before, [31337])] == ["throttled"]
