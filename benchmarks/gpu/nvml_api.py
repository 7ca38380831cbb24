"""The part of nvidia-ml-py (``pynvml``) that graphbench calls, as a typed interface, and the
NVML constants it passes or compares (nvml.h values).

The real backend is the ``pynvml`` module; ``tests/fakes/nvml.py`` implements the same methods
over a recorded reading, and mypy checks both against this Protocol. Structs are ``Any``: pynvml
returns ctypes structures whose fields the adapter reads by name.
"""

from __future__ import annotations

from typing import Any, Protocol

# NVML return codes (nvml.h; stable ABI, checked against pynvml in tests/unit/test_nvml.py).
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18
NVML_CLOCK_SM = 1
NVML_CLOCK_MEM = 2
NVML_TEMPERATURE_GPU = 0
NVML_MEMORY_ERROR_TYPE_CORRECTED = 0
NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1
NVML_VOLATILE_ECC = 0
NVML_GPU_VIRTUALIZATION_MODE_VGPU = 2
NVML_PSTATE_UNKNOWN = 32


class NvmlBackend(Protocol):
    """pynvml's module surface as the adapter uses it (same names: N802 allowed)."""

    @property
    def NVMLError(self) -> type[Exception]: ...  # noqa: N802

    def nvmlInit(self) -> None: ...  # noqa: N802
    def nvmlShutdown(self) -> None: ...  # noqa: N802
    def nvmlSystemGetDriverVersion(self) -> str: ...  # noqa: N802
    def nvmlSystemGetCudaDriverVersion(self) -> int: ...  # noqa: N802
    def nvmlSystemGetNVMLVersion(self) -> str: ...  # noqa: N802
    def nvmlSystemGetProcessName(self, pid: int) -> str: ...  # noqa: N802
    def nvmlDeviceGetCount(self) -> int: ...  # noqa: N802
    def nvmlDeviceGetHandleByIndex(self, index: int) -> Any: ...  # noqa: N802
    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle: Any, slot: int) -> Any: ...  # noqa: N802
    def nvmlDeviceGetMaxMigDeviceCount(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetMemoryInfo(self, handle: Any) -> Any: ...  # noqa: N802
    def nvmlDeviceGetUtilizationRates(self, handle: Any) -> Any: ...  # noqa: N802
    def nvmlDeviceGetPowerUsage(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetPerformanceState(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetTemperature(self, handle: Any, sensor: int) -> int: ...  # noqa: N802
    def nvmlDeviceGetClockInfo(self, handle: Any, clock: int) -> int: ...  # noqa: N802
    def nvmlDeviceGetMaxClockInfo(self, handle: Any, clock: int) -> int: ...  # noqa: N802
    def nvmlDeviceGetCurrentClocksEventReasons(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetCurrentClocksThrottleReasons(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetComputeRunningProcesses(self, handle: Any) -> list[Any]: ...  # noqa: N802
    def nvmlDeviceGetUUID(self, handle: Any) -> str: ...  # noqa: N802
    def nvmlDeviceGetPciInfo(self, handle: Any) -> Any: ...  # noqa: N802
    def nvmlDeviceGetCudaComputeCapability(self, handle: Any) -> tuple[int, int]: ...  # noqa: N802
    def nvmlDeviceGetEnforcedPowerLimit(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetPersistenceMode(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetComputeMode(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetVirtualizationMode(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetGridLicensableFeatures(self, handle: Any) -> Any: ...  # noqa: N802
    def nvmlDeviceGetEccMode(self, handle: Any) -> list[int]: ...  # noqa: N802
    def nvmlDeviceGetTotalEccErrors(  # noqa: N802
        self, handle: Any, error_type: int, counter_type: int
    ) -> int: ...
    def nvmlDeviceGetMigMode(self, handle: Any) -> list[int]: ...  # noqa: N802
    def nvmlDeviceGetName(self, handle: Any) -> str: ...  # noqa: N802
    def nvmlDeviceGetGpuInstanceId(self, handle: Any) -> int: ...  # noqa: N802
    def nvmlDeviceGetComputeInstanceId(self, handle: Any) -> int: ...  # noqa: N802
