"""GPU state around a benchmark cell: a cheap snapshot before and after, and what it means.

A GPU number is suspect when the GPU was throttling, shared with someone else, or lost clock
speed while it was measured. The runner takes :func:`snapshot` before and after each GPU cell
(or group of cells) and stores both as ``gpu_state``; :func:`assess` turns the pair into case
warnings (codes from ``benchmarks.rundir.results.WARNINGS``). ``assess`` is pure so its rules are
tested on literal snapshots.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from benchmarks.gpu import nvml as _nvml
from benchmarks.rundir.jsonio import utc_stamp

# Reasons that mean the GPU ran slower than it could (idle, app clocks, sync boost do not).
THROTTLING = frozenset(
    {
        "sw_power_cap",
        "hw_slowdown",
        "sw_thermal_slowdown",
        "hw_thermal_slowdown",
        "hw_power_brake_slowdown",
    }
)
CLOCK_DROP_FRACTION = 0.10  # SM clock after the cell more than 10 % below the clock before


def snapshot(
    indices: Sequence[int] | None = None,
    backend: Any = None,
    *,
    own: Collection[int] | None = None,
) -> dict[str, Any]:
    """``{"taken_at", "gpus": [...]}`` with the dynamic fields only (NVML indices).

    Never raises: NVML that cannot start gives ``status: unavailable`` and an empty list.
    """
    taken_at = utc_stamp(millis=True)
    reading = _nvml.read(backend, indices=indices, own=own, dynamic_only=True)
    snap: dict[str, Any] = {"taken_at": taken_at, "gpus": reading.get("gpus", [])}
    if reading["status"] != "ok":
        snap.update(status="unavailable", error=reading.get("error"))
    return snap


def assess(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    own_pids: Iterable[int],
    *,
    clock_drop_fraction: float = CLOCK_DROP_FRACTION,
) -> list[tuple[str, str]]:
    """Warnings ``(code, detail)`` for a cell measured between two snapshots."""
    own_pids = frozenset(own_pids)
    warnings: list[tuple[str, str]] = []
    before_by_index = {g.get("index"): g for g in before.get("gpus") or []}
    for gpu in after.get("gpus") or []:
        index = gpu.get("index")
        prev = before_by_index.get(index, {})
        warnings += _throttled(index, prev, gpu)
        warnings += _foreign(index, prev, gpu, own_pids)
        warnings += _clock_drop(index, prev, gpu, clock_drop_fraction)
    return warnings


def _throttled(
    index: Any, prev: Mapping[str, Any], gpu: Mapping[str, Any]
) -> list[tuple[str, str]]:
    seen = {
        when: sorted(set(g.get("throttle_reasons") or []) & THROTTLING)
        for when, g in (("before", prev), ("after", gpu))
    }
    if not seen["before"] and not seen["after"]:
        return []
    parts = [f"{', '.join(r)} {when}" for when, r in seen.items() if r]
    temp = gpu.get("temperature_c")
    power = gpu.get("power_draw_w")
    extra = f" ({temp} C, {power:.0f} W)" if temp is not None and power is not None else ""
    return [("throttled", f"GPU {index}: {'; '.join(parts)}{extra}")]


def _foreign(
    index: Any, prev: Mapping[str, Any], gpu: Mapping[str, Any], own_pids: Collection[int]
) -> list[tuple[str, str]]:
    def foreign(g: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
        return {
            p["pid"]: p
            for p in g.get("processes") or []
            if p.get("pid") not in own_pids and not p.get("ours")
        }

    earlier, later = foreign(prev), foreign(gpu)
    out = []
    for pid, p in sorted({**earlier, **later}.items()):
        when = (
            "before and after"
            if pid in earlier and pid in later
            else ("appeared during the cell" if pid in later else "before, gone after")
        )
        used = p.get("used_memory_bytes")
        mem = f", {used / 2**30:.1f} GiB" if isinstance(used, (int, float)) else ""
        out.append(
            ("foreign_gpu_process", f"GPU {index}: pid {pid} ({p.get('name') or '?'}{mem}) {when}")
        )
    return out


def _clock_drop(
    index: Any, prev: Mapping[str, Any], gpu: Mapping[str, Any], fraction: float
) -> list[tuple[str, str]]:
    """SM clock fell markedly. An idle GPU (``gpu_idle``) lowering its clock is not a drop."""
    sm_before = (prev.get("clocks") or {}).get("sm_mhz")
    sm_after = (gpu.get("clocks") or {}).get("sm_mhz")
    if not sm_before or sm_after is None or "gpu_idle" in (gpu.get("throttle_reasons") or []):
        return []
    if sm_after >= sm_before * (1 - fraction):
        return []
    drop = 1 - sm_after / sm_before
    return [("clock_drop", f"GPU {index}: SM clock {sm_before} -> {sm_after} MHz (-{drop:.0%})")]


class Monitor:
    """The runner's ``GpuMonitor``: NVML snapshots of ``indices`` (None = every GPU)."""

    def __init__(self, indices: Sequence[int] | None = None, backend: Any = None) -> None:
        self.indices = indices
        self.backend = backend

    def snapshot(self) -> dict[str, Any] | None:
        return snapshot(self.indices, self.backend)

    def assess(
        self, before: Mapping[str, Any], after: Mapping[str, Any], own_pids: Iterable[int]
    ) -> list[tuple[str, str]]:
        return assess(before, after, own_pids)
