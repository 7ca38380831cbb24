"""The one adapter around nvidia-ml-py (``pynvml``): NVML readings as plain dicts.

Why an adapter: NVML is hardware we usually do not have (CI, laptops), so every caller gets the
same plain-dict shape (the ``nvidia`` section of fingerprint.json, docs/fingerprint.md) and tests
hand :func:`read` a *backend*: an :class:`~benchmarks.gpu.nvml_api.NvmlBackend` (pynvml's function
names, ``NVMLError`` and the same return formats). The real backend is the ``pynvml`` module
itself, imported only when a reading is asked for (nothing happens at import time).
``tests/fakes/nvml.py`` replays recorded readings; :func:`benchmarks.gpu.record.record` makes
such recordings on a real machine.

A failure is a value: NVML that cannot start yields ``status: unavailable`` with pynvml's exact
error text and a stable ``error_kind``; a single field a GPU does not support becomes ``None``
(other per-field failures are listed under the GPU's ``errors``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.gpu import nvml_api as api
from benchmarks.gpu.nvml_api import NvmlBackend

T = TypeVar("T")
Getter = Callable[[str, Callable[[], Any]], Any]  # one field of one GPU, failures noted

ERROR_KINDS = {
    api.NVML_ERROR_LIBRARY_NOT_FOUND: "library_not_found",
    api.NVML_ERROR_DRIVER_NOT_LOADED: "driver_not_loaded",
    api.NVML_ERROR_LIB_RM_VERSION_MISMATCH: "driver_library_mismatch",
    api.NVML_ERROR_NO_PERMISSION: "no_permission",
}
# nvmlClocksEventReason* / nvmlClocksThrottleReason* bits (same values in both families).
THROTTLE_REASONS: tuple[tuple[int, str], ...] = (
    (0x001, "gpu_idle"),
    (0x002, "applications_clocks_setting"),
    (0x004, "sw_power_cap"),
    (0x008, "hw_slowdown"),
    (0x010, "sync_boost"),
    (0x020, "sw_thermal_slowdown"),
    (0x040, "hw_thermal_slowdown"),
    (0x080, "hw_power_brake_slowdown"),
    (0x100, "display_clock_setting"),
    (0x200, "board_limit"),
    (0x400, "reliability"),
)
COMPUTE_MODES = {0: "Default", 1: "Exclusive_Thread", 2: "Prohibited", 3: "Exclusive_Process"}
VIRTUALIZATION_MODES = {
    0: "None",
    1: "Passthrough",
    2: "VGPU",
    3: "Host_VGPU",
    4: "Host_VSGA",
}
# Fields a cheap before/after snapshot reads (the contract's gpu_state subset).
DYNAMIC_FIELDS = (
    "index",
    "memory_used_bytes",
    "utilization_gpu_pct",
    "temperature_c",
    "power_draw_w",
    "clocks",
    "pstate",
    "throttle_reasons",
    "processes",
)


def load_backend() -> NvmlBackend:
    """The real backend: the pynvml module (importing it loads no library)."""
    import pynvml

    backend: NvmlBackend = pynvml
    return backend


def decode_throttle_reasons(mask: int) -> list[str]:
    """Names of the set bits; unknown bits are kept as ``unknown_0x...`` rather than dropped."""
    names = [name for bit, name in THROTTLE_REASONS if mask & bit]
    known = 0
    for bit, _ in THROTTLE_REASONS:
        known |= bit
    rest = mask & ~known
    bit = 1
    while rest:
        if rest & bit:
            names.append(f"unknown_{bit:#x}")
            rest &= ~bit
        bit <<= 1
    return names


def hash_uuid(uuid: str) -> str:
    """GPU/MIG UUIDs identify a physical board: publish only a short stable hash."""
    return hashlib.sha256(uuid.encode()).hexdigest()[:12]


def own_pids(pid: int | None = None) -> frozenset[int]:
    """``pid`` (default: this process) and all its live descendants."""
    import psutil

    root = os.getpid() if pid is None else pid
    pids = {root}
    with suppress(psutil.Error):  # the process ended meanwhile: it has no children either
        pids.update(p.pid for p in psutil.Process(root).children(recursive=True))
    return frozenset(pids)


def failure(exc: BaseException) -> dict[str, Any]:
    """The ``unavailable`` record for NVML that could not start (exact text, stable kind)."""
    code = getattr(exc, "value", None)
    code = code if isinstance(code, int) else None
    return {
        "status": "unavailable",
        "error": str(exc),
        "error_kind": ERROR_KINDS.get(code, "unknown") if code is not None else "unknown",
        "error_code": code,
        "error_class": type(exc).__name__,
    }


@contextmanager
def session(nv: NvmlBackend) -> Iterator[None]:
    """nvmlInit ... nvmlShutdown (init errors propagate; shutdown errors are irrelevant)."""
    nv.nvmlInit()
    try:
        yield
    finally:
        with suppress(nv.NVMLError):
            nv.nvmlShutdown()


def read(
    backend: NvmlBackend | None = None,
    *,
    indices: Sequence[int] | None = None,
    own: Collection[int] | None = None,
    dynamic_only: bool = False,
) -> dict[str, Any]:
    """One NVML reading: system facts and one dict per GPU (``indices`` are NVML indices).

    ``own`` is the set of PIDs counted as ours (default: this process and its descendants).
    ``dynamic_only`` reads only :data:`DYNAMIC_FIELDS` (the cheap before/after snapshot).
    """
    try:
        nv = load_backend() if backend is None else backend
    except ImportError as exc:
        return {**failure(exc), "error_kind": "unknown"}
    try:
        with session(nv):
            return _read_initialised(nv, indices, own, dynamic_only)
    except nv.NVMLError as exc:
        return failure(exc)


def _read_initialised(
    nv: NvmlBackend, indices: Sequence[int] | None, own: Collection[int] | None, dynamic_only: bool
) -> dict[str, Any]:
    mine = own_pids() if own is None else frozenset(own)
    out: dict[str, Any] = {"status": "ok", "error": None, "error_kind": None}
    if not dynamic_only:
        errors: dict[str, str] = {}
        cuda = _get(nv, errors, "cuda_driver_version", lambda: nv.nvmlSystemGetCudaDriverVersion())
        out["driver_version"] = _get(
            nv, errors, "driver_version", lambda: nv.nvmlSystemGetDriverVersion()
        )
        out["cuda_driver_version"] = (
            f"{cuda // 1000}.{cuda % 1000 // 10}" if isinstance(cuda, int) else None
        )
        out["nvml_version"] = _get(
            nv, errors, "nvml_version", lambda: nv.nvmlSystemGetNVMLVersion()
        )
        if errors:
            out["errors"] = errors
    count = int(nv.nvmlDeviceGetCount())
    wanted = range(count) if indices is None else [i for i in indices if 0 <= i < count]
    out["device_count"] = count
    out["gpus"] = [_read_gpu_softly(nv, i, mine, dynamic_only) for i in wanted]
    return out


def _read_gpu_softly(
    nv: NvmlBackend, index: int, mine: frozenset[int], dynamic_only: bool
) -> dict[str, Any]:
    """One GPU that cannot be opened (lost, reset required) must not hide the others."""
    try:
        return _read_gpu(nv, index, mine, dynamic_only)
    except nv.NVMLError as exc:
        return {"index": index, "status": "unavailable", "error": str(exc)}


def _get(nv: NvmlBackend, errors: dict[str, str], field: str, call: Callable[[], T]) -> T | None:
    """``call()`` (one NVML query); an unsupported field is None, any other failure is noted."""
    try:
        return call()
    except nv.NVMLError as exc:
        if getattr(exc, "value", None) != api.NVML_ERROR_NOT_SUPPORTED:
            errors[field] = str(exc)
        return None
    except AttributeError as exc:  # an older nvidia-ml-py without this function
        errors[field] = f"nvidia-ml-py has no {exc.name or exc}"
        return None


def _read_gpu(
    nv: NvmlBackend, index: int, mine: frozenset[int], dynamic_only: bool
) -> dict[str, Any]:
    h = nv.nvmlDeviceGetHandleByIndex(index)
    errors: dict[str, str] = {}
    g: dict[str, Any] = {"index": index}

    def get(field: str, call: Callable[[], Any]) -> Any:
        return _get(nv, errors, field, call)

    mem = get("memory", lambda: nv.nvmlDeviceGetMemoryInfo(h))
    util = get("utilization_gpu_pct", lambda: nv.nvmlDeviceGetUtilizationRates(h))
    power = get("power_draw_w", lambda: nv.nvmlDeviceGetPowerUsage(h))
    pstate = get("pstate", lambda: nv.nvmlDeviceGetPerformanceState(h))
    g["memory_used_bytes"] = None if mem is None else int(mem.used)
    g["utilization_gpu_pct"] = None if util is None else int(util.gpu)
    g["temperature_c"] = get(
        "temperature_c", lambda: nv.nvmlDeviceGetTemperature(h, api.NVML_TEMPERATURE_GPU)
    )
    g["power_draw_w"] = None if power is None else power / 1000.0
    g["clocks"] = {
        "sm_mhz": get("clocks.sm_mhz", lambda: nv.nvmlDeviceGetClockInfo(h, api.NVML_CLOCK_SM)),
        "sm_max_mhz": get(
            "clocks.sm_max_mhz", lambda: nv.nvmlDeviceGetMaxClockInfo(h, api.NVML_CLOCK_SM)
        ),
        "mem_mhz": get("clocks.mem_mhz", lambda: nv.nvmlDeviceGetClockInfo(h, api.NVML_CLOCK_MEM)),
        "mem_max_mhz": get(
            "clocks.mem_max_mhz", lambda: nv.nvmlDeviceGetMaxClockInfo(h, api.NVML_CLOCK_MEM)
        ),
    }
    g["pstate"] = None if pstate in (None, api.NVML_PSTATE_UNKNOWN) else f"P{pstate}"
    mask = _throttle_mask(nv, h, errors)
    g["throttle_reasons"] = None if mask is None else decode_throttle_reasons(mask)
    g["processes"] = _processes(nv, h, mine, errors)
    if not dynamic_only:
        g["memory_total_bytes"] = None if mem is None else int(mem.total)
        _static_fields(nv, h, g, get)
    if errors:
        g["errors"] = errors
    return g


def _throttle_mask(nv: NvmlBackend, h: Any, errors: dict[str, str]) -> int | None:
    """ClocksEventReasons (driver >= 535) with a fallback to the older ThrottleReasons name."""
    scratch: dict[str, str] = {}
    mask = _get(
        nv, scratch, "throttle_reasons", lambda: nv.nvmlDeviceGetCurrentClocksEventReasons(h)
    )
    if mask is None and scratch:
        mask = _get(
            nv, errors, "throttle_reasons", lambda: nv.nvmlDeviceGetCurrentClocksThrottleReasons(h)
        )
    return None if mask is None else int(mask)


def _processes(
    nv: NvmlBackend, h: Any, mine: frozenset[int], errors: dict[str, str]
) -> list[dict[str, Any]] | None:
    procs = _get(nv, errors, "processes", lambda: nv.nvmlDeviceGetComputeRunningProcesses(h))
    if procs is None:
        return None
    out = []
    for p in procs:
        pid = int(p.pid)
        used = getattr(p, "usedGpuMemory", None)
        out.append(
            {
                "pid": pid,
                "name": _process_name(nv, pid),
                "used_memory_bytes": None if used is None else int(used),
                "ours": pid in mine,
            }
        )
    return out


def _process_name(nv: NvmlBackend, pid: int) -> str | None:
    """NVML's name for the PID (its view survives PID namespaces), else psutil's; base name only
    so that no home path is carried along."""
    scratch: dict[str, str] = {}
    name = _get(nv, scratch, "name", lambda: nv.nvmlSystemGetProcessName(pid))
    if not name:
        try:
            import psutil

            name = psutil.Process(pid).name()
        except Exception:  # psutil.Error, or a PID from another namespace
            return None
    return Path(str(name)).name or None


def _static_fields(nv: NvmlBackend, h: Any, g: dict[str, Any], get: Getter) -> None:
    uuid = get("uuid_hash", lambda: nv.nvmlDeviceGetUUID(h))
    pci = get("pci_bus_id", lambda: nv.nvmlDeviceGetPciInfo(h))
    cc = get("compute_capability", lambda: nv.nvmlDeviceGetCudaComputeCapability(h))
    limit = get("power_limit_w", lambda: nv.nvmlDeviceGetEnforcedPowerLimit(h))
    persistence = get("persistence_mode", lambda: nv.nvmlDeviceGetPersistenceMode(h))
    compute = get("compute_mode", lambda: nv.nvmlDeviceGetComputeMode(h))
    virt = get("virtualization_mode", lambda: nv.nvmlDeviceGetVirtualizationMode(h))
    g["name"] = get("name", lambda: nv.nvmlDeviceGetName(h))
    g["uuid_hash"] = None if uuid is None else hash_uuid(str(uuid))
    g["pci_bus_id"] = None if pci is None else str(pci.busId)
    g["compute_capability"] = None if cc is None else f"{cc[0]}.{cc[1]}"
    g["power_limit_w"] = None if limit is None else limit / 1000.0
    g["persistence_mode"] = None if persistence is None else bool(persistence)
    g["compute_mode"] = None if compute is None else COMPUTE_MODES.get(compute, str(compute))
    g["virtualization_mode"] = None if virt is None else VIRTUALIZATION_MODES.get(virt, str(virt))
    g["vgpu_license"] = (
        _vgpu_license(get("vgpu_license", lambda: nv.nvmlDeviceGetGridLicensableFeatures(h)))
        if virt == api.NVML_GPU_VIRTUALIZATION_MODE_VGPU
        else None
    )
    g["ecc"] = _ecc(nv, h, get)
    mig = get("mig_mode", lambda: nv.nvmlDeviceGetMigMode(h))
    g["mig_mode"] = None if mig is None else {"current": bool(mig[0]), "pending": bool(mig[1])}
    g["mig_devices"] = _mig_devices(nv, h, get) if mig is not None and mig[0] else []


def _ecc(nv: NvmlBackend, h: Any, get: Getter) -> dict[str, Any] | None:
    mode = get("ecc", lambda: nv.nvmlDeviceGetEccMode(h))
    if mode is None:
        return None

    def errors(kind: int) -> Any:
        return lambda: nv.nvmlDeviceGetTotalEccErrors(h, kind, api.NVML_VOLATILE_ECC)

    return {
        "enabled": bool(mode[0]),
        "pending": bool(mode[1]),
        "uncorrected_volatile": get(
            "ecc.uncorrected_volatile", errors(api.NVML_MEMORY_ERROR_TYPE_UNCORRECTED)
        ),
        "corrected_volatile": get(
            "ecc.corrected_volatile", errors(api.NVML_MEMORY_ERROR_TYPE_CORRECTED)
        ),
    }


def _vgpu_license(features: Any) -> str | None:
    """``Licensed (<product>)`` / ``Unlicensed (<product>)`` from the licensable features."""
    if features is None or not features.isGridLicenseSupported:
        return None
    states = []
    for f in list(features.gridLicensableFeatures)[: int(features.licensableFeaturesCount)]:
        if not f.featureEnabled:
            continue
        state = "Licensed" if f.featureState else "Unlicensed"
        states.append(f"{state} ({f.productName})" if f.productName else state)
    return "; ".join(states) or "Unlicensed"


def _mig_devices(nv: NvmlBackend, h: Any, get: Getter) -> list[dict[str, Any]]:
    count = get("mig_devices", lambda: nv.nvmlDeviceGetMaxMigDeviceCount(h)) or 0
    out = []
    for slot in range(int(count)):
        try:
            m = nv.nvmlDeviceGetMigDeviceHandleByIndex(h, slot)
        except nv.NVMLError as exc:
            if getattr(exc, "value", None) == api.NVML_ERROR_NOT_FOUND:
                continue  # an empty slot
            out.append({"slot": slot, "error": str(exc)})
            continue
        out.append(_mig_device(nv, slot, m))
    return out


def _mig_device(nv: NvmlBackend, slot: int, m: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    mem = _get(nv, errors, "memory", lambda: nv.nvmlDeviceGetMemoryInfo(m))
    uuid = _get(nv, errors, "uuid_hash", lambda: nv.nvmlDeviceGetUUID(m))
    d: dict[str, Any] = {
        "slot": slot,
        "name": _get(nv, errors, "name", lambda: nv.nvmlDeviceGetName(m)),
        "uuid_hash": None if uuid is None else hash_uuid(str(uuid)),
        "gpu_instance_id": _get(
            nv, errors, "gpu_instance_id", lambda: nv.nvmlDeviceGetGpuInstanceId(m)
        ),
        "compute_instance_id": _get(
            nv, errors, "compute_instance_id", lambda: nv.nvmlDeviceGetComputeInstanceId(m)
        ),
        "memory_total_bytes": None if mem is None else int(mem.total),
        "memory_used_bytes": None if mem is None else int(mem.used),
    }
    if errors:
        d["errors"] = errors
    return d
