"""A fake NVML backend that replays a recorded reading (``tests/data/nvml/*.json``).

It looks like the ``pynvml`` module to ``benchmarks.gpu.nvml``: the same function names, the same
return shapes (structs become attribute objects, ``[current, pending]`` lists stay lists) and the
*real* pynvml exception classes (``pynvml.NVMLError(code)`` builds ``NVMLError_DriverNotLoaded``
and friends). A call the fixture did not record fails the test loudly instead of guessing.
See ``benchmarks/gpu/record.py`` for the format and how to record a real machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pynvml

DATA = Path(__file__).resolve().parents[1] / "data" / "nvml"


class NotRecordedError(AssertionError):
    pass


class _Handle:
    def __init__(self, record: dict[str, Any], where: str) -> None:
        self.record = record
        self.where = where


def _obj(value: Any) -> Any:
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _obj(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_obj(v) for v in value]
    return value


def _check(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"nvml_error"}:
        raise pynvml.NVMLError(value["nvml_error"])
    return value


class FakeNvml:
    NVMLError = pynvml.NVMLError

    def __init__(self, fixture: dict[str, Any]) -> None:
        self.fixture = fixture
        self.calls: list[str] = []
        self.initialised = 0

    @classmethod
    def load(cls, name: str) -> FakeNvml:
        return cls(json.loads((DATA / f"{name}.json").read_text()))

    # --- lifecycle and enumeration
    def nvmlInit(self) -> None:  # noqa: N802 (pynvml names)
        self.calls.append("nvmlInit")
        _check(self.fixture.get("init"))
        self.initialised += 1

    def nvmlShutdown(self) -> None:  # noqa: N802 (pynvml names)
        self.calls.append("nvmlShutdown")
        self.initialised -= 1

    def nvmlDeviceGetCount(self) -> int:  # noqa: N802 (pynvml names)
        self._require_init("nvmlDeviceGetCount")
        system = self.fixture.get("system", {})
        return int(_check(system.get("nvmlDeviceGetCount", len(self.fixture["devices"]))))

    def nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:  # noqa: N802 (pynvml names)
        self._require_init("nvmlDeviceGetHandleByIndex")
        return _Handle(_check(self.fixture["devices"][index]), f"device {index}")

    def nvmlDeviceGetMigDeviceHandleByIndex(  # noqa: N802 (pynvml names)
        self, handle: _Handle, slot: int
    ) -> _Handle:
        mig = handle.record.get("mig", {})
        if str(slot) not in mig:
            raise NotRecordedError(f"{handle.where}: MIG slot {slot} not recorded")
        return _Handle(_check(mig[str(slot)]), f"{handle.where} MIG {slot}")

    # --- every other call is replayed from the recording (one method per NvmlBackend call, so
    # that mypy checks this fake against the real adapter's interface)
    def _replay(self, name: str, *args: Any) -> Any:
        self._require_init(name)
        self.calls.append(name)
        if args and isinstance(args[0], _Handle):
            record, where, extra = args[0].record, args[0].where, args[1:]
        else:
            record, where, extra = self.fixture.get("system", {}), "system", args
        if name not in record:
            raise NotRecordedError(f"{where}: {name} not recorded")
        value = _check(record[name])
        if extra:
            key = ",".join(str(a) for a in extra)
            if key not in value:
                raise NotRecordedError(f"{where}: {name}({key}) not recorded")
            value = _check(value[key])
        return _obj(value)

    def nvmlSystemGetDriverVersion(self) -> Any:  # noqa: N802
        return self._replay("nvmlSystemGetDriverVersion")

    def nvmlSystemGetCudaDriverVersion(self) -> Any:  # noqa: N802
        return self._replay("nvmlSystemGetCudaDriverVersion")

    def nvmlSystemGetNVMLVersion(self) -> Any:  # noqa: N802
        return self._replay("nvmlSystemGetNVMLVersion")

    def nvmlSystemGetProcessName(self, pid: int) -> Any:  # noqa: N802
        return self._replay("nvmlSystemGetProcessName", pid)

    def nvmlDeviceGetMaxMigDeviceCount(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetMaxMigDeviceCount", handle)

    def nvmlDeviceGetMemoryInfo(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetMemoryInfo", handle)

    def nvmlDeviceGetUtilizationRates(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetUtilizationRates", handle)

    def nvmlDeviceGetPowerUsage(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetPowerUsage", handle)

    def nvmlDeviceGetPerformanceState(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetPerformanceState", handle)

    def nvmlDeviceGetTemperature(self, handle: Any, sensor: int) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetTemperature", handle, sensor)

    def nvmlDeviceGetClockInfo(self, handle: Any, clock: int) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetClockInfo", handle, clock)

    def nvmlDeviceGetMaxClockInfo(self, handle: Any, clock: int) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetMaxClockInfo", handle, clock)

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetCurrentClocksEventReasons", handle)

    def nvmlDeviceGetCurrentClocksThrottleReasons(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetCurrentClocksThrottleReasons", handle)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetComputeRunningProcesses", handle)

    def nvmlDeviceGetUUID(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetUUID", handle)

    def nvmlDeviceGetPciInfo(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetPciInfo", handle)

    def nvmlDeviceGetCudaComputeCapability(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetCudaComputeCapability", handle)

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetEnforcedPowerLimit", handle)

    def nvmlDeviceGetPersistenceMode(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetPersistenceMode", handle)

    def nvmlDeviceGetComputeMode(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetComputeMode", handle)

    def nvmlDeviceGetVirtualizationMode(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetVirtualizationMode", handle)

    def nvmlDeviceGetGridLicensableFeatures(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetGridLicensableFeatures", handle)

    def nvmlDeviceGetEccMode(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetEccMode", handle)

    def nvmlDeviceGetTotalEccErrors(self, handle: Any, error_type: int, counter_type: int) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetTotalEccErrors", handle, error_type, counter_type)

    def nvmlDeviceGetMigMode(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetMigMode", handle)

    def nvmlDeviceGetName(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetName", handle)

    def nvmlDeviceGetGpuInstanceId(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetGpuInstanceId", handle)

    def nvmlDeviceGetComputeInstanceId(self, handle: Any) -> Any:  # noqa: N802
        return self._replay("nvmlDeviceGetComputeInstanceId", handle)

    def _require_init(self, name: str) -> None:
        if self.initialised <= 0:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_UNINITIALIZED)
