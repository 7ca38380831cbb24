"""The libcuda adapter against a fake libcuda that answers with recorded real CUresult codes.

The fake mimics the C API through ctypes pointers exactly as the real library is called, so the
adapter's code path is the one that runs on an NVIDIA machine; only the return codes and
written values are canned (from real runs: 0 success, 100 no device, 999 unknown, 46 busy,
34 stub, 35/802/803/804, 3 not initialised).
"""

# ruff: noqa: N802  (the fake mirrors the C API names of libcuda)
from __future__ import annotations

import ctypes
from typing import Any, ClassVar

import pytest

from benchmarks.gpu import libcuda as _libcuda


class FakeLibcuda:
    """Same function names and pointer conventions as libcuda.so.1."""

    NAMES: ClassVar[dict[int, tuple[bytes, bytes]]] = {
        0: (b"CUDA_SUCCESS", b"no error"),
        3: (b"CUDA_ERROR_NOT_INITIALIZED", b"initialization error"),
        46: (
            b"CUDA_ERROR_DEVICE_UNAVAILABLE",
            b"CUDA-capable device(s) is/are busy or unavailable",
        ),
        100: (b"CUDA_ERROR_NO_DEVICE", b"no CUDA-capable device is detected"),
        101: (b"CUDA_ERROR_INVALID_DEVICE", b"invalid device ordinal"),
        802: (b"CUDA_ERROR_SYSTEM_NOT_READY", b"system not yet initialized"),
        803: (
            b"CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
            b"system has unsupported display driver / cuda driver combination",
        ),
        804: (
            b"CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
            b"forward compatibility was attempted on non supported HW",
        ),
        999: (b"CUDA_ERROR_UNKNOWN", b"unknown error"),
    }

    def __init__(
        self,
        *,
        init: int = 0,
        count: int = 1,
        retain: int = 0,
        stub: bool = False,
        name: bytes = b"NVIDIA H100 80GB HBM3",
        cc: tuple[int, int] = (9, 0),
    ) -> None:
        self.init, self.count, self.retain, self.stub = init, count, retain, stub
        self.name, self.cc = name, cc
        self.calls: list[str] = []
        self.retained: set[int] = set()

    def _rec(self, name: str) -> int | None:
        self.calls.append(name)
        return 34 if self.stub else None

    def cuGetErrorName(self, code: int, out: Any) -> int:
        if self.stub:
            return 34
        if code not in self.NAMES:
            return 1
        out.contents.value = self.NAMES[code][0]
        return 0

    def cuGetErrorString(self, code: int, out: Any) -> int:
        if self.stub or code not in self.NAMES:
            return 34 if self.stub else 1
        out.contents.value = self.NAMES[code][1]
        return 0

    def cuInit(self, flags: int) -> int:
        return self._rec("cuInit") or self.init

    def cuDriverGetVersion(self, out: Any) -> int:
        self.calls.append("cuDriverGetVersion")
        out.contents.value = 12080
        return 0

    def cuDeviceGetCount(self, out: Any) -> int:
        self.calls.append("cuDeviceGetCount")
        out.contents.value = self.count
        return 0

    def cuDeviceGet(self, out: Any, ordinal: int) -> int:
        self.calls.append(f"cuDeviceGet({ordinal})")
        if ordinal >= self.count:
            return 101
        out.contents.value = ordinal
        return 0

    def cuDeviceGetName(self, buf: Any, size: int, dev: int) -> int:
        buf.value = self.name
        return 0

    def cuDeviceGetAttribute(self, out: Any, attr: int, dev: int) -> int:
        out.contents.value = self.cc[0] if attr == _libcuda.ATTR_CC_MAJOR else self.cc[1]
        return 0

    def cuDevicePrimaryCtxRetain(self, out: Any, dev: int) -> int:
        self.calls.append(f"cuDevicePrimaryCtxRetain({dev})")
        if self.retain:
            return self.retain
        out.contents.value = 0x5EED0000 + dev
        self.retained.add(dev)
        return 0

    def cuCtxSetCurrent(self, ctx: Any) -> int:
        return 0

    def cuMemGetInfo_v2(self, free: Any, total: Any) -> int:
        free.contents.value, total.contents.value = 84387135488, 85045477376
        return 0

    def cuDevicePrimaryCtxRelease_v2(self, dev: int) -> int:
        self.calls.append(f"cuDevicePrimaryCtxRelease({dev})")
        self.retained.discard(dev)
        return 0


def _loader(fake: FakeLibcuda) -> Any:
    return lambda path: fake


def test_library_missing_returns_exact_dlerror() -> None:
    def fail(path: str) -> Any:
        raise OSError(f"{path}: cannot open shared object file: No such file or directory")

    report = _libcuda.probe_driver([0], loader=fail)
    assert not report.ok
    assert (
        report.load_error
        == "libcuda.so.1: cannot open shared object file: No such file or directory"
    )
    assert report.calls == ()


def test_real_load_on_this_machine_is_a_value_not_an_exception() -> None:
    lib, error = _libcuda.load("libgraphbench-does-not-exist.so.1")
    assert lib is None and error is not None and "libgraphbench-does-not-exist" in error


def test_healthy_gpu_context_created_and_released() -> None:
    fake = FakeLibcuda()
    report = _libcuda.probe_driver([0], loader=_loader(fake))
    assert report.ok
    assert report.driver_version == 12080 and report.device_count == 1
    dev = report.devices[0]
    assert (dev.name, dev.compute_capability) == ("NVIDIA H100 80GB HBM3", "9.0")
    assert dev.memory_total_bytes == 85045477376
    assert fake.retained == set()  # every retained context was released
    assert "cuDevicePrimaryCtxRelease(0)" in fake.calls
    data = report.to_dict()
    assert data["ok"] is True and data["devices"][0]["error"] is None


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (100, "CUDA_ERROR_NO_DEVICE"),
        (999, "CUDA_ERROR_UNKNOWN"),
        (802, "CUDA_ERROR_SYSTEM_NOT_READY"),
        (803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"),
        (804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"),
        (3, "CUDA_ERROR_NOT_INITIALIZED"),
    ],
)
def test_cuinit_failures_are_recorded_with_name(code: int, name: str) -> None:
    fake = FakeLibcuda(init=code)
    report = _libcuda.probe_driver([0], loader=_loader(fake))
    assert not report.ok
    assert (report.calls[0].function, report.calls[0].code, report.calls[0].name) == (
        "cuInit",
        code,
        name,
    )
    assert fake.calls == ["cuInit"]  # nothing else is attempted after a failed cuInit
    assert report.calls[0].line().startswith(f"cuInit -> {code} {name}: ")


def test_stub_library_named_from_our_table() -> None:
    report = _libcuda.probe_driver([0], loader=_loader(FakeLibcuda(stub=True)))
    call = report.calls[0]
    assert (call.code, call.name) == (34, "CUDA_ERROR_STUB_LIBRARY")
    assert "stub" in call.description


def test_busy_device_46_on_context() -> None:
    report = _libcuda.probe_driver([0], loader=_loader(FakeLibcuda(retain=46)))
    assert not report.ok
    dev = report.devices[0]
    assert not dev.ok
    assert dev.error() == (
        "cuDevicePrimaryCtxRetain(GPU:0) -> 46 CUDA_ERROR_DEVICE_UNAVAILABLE: "
        "CUDA-capable device(s) is/are busy or unavailable"
    )


def test_requested_ordinal_beyond_count() -> None:
    report = _libcuda.probe_driver([0, 1], loader=_loader(FakeLibcuda(count=1)))
    assert report.devices[0].ok
    assert report.devices[1].calls[0].name == "CUDA_ERROR_INVALID_DEVICE"
    assert not report.ok


def test_missing_symbol_is_reported_not_raised() -> None:
    class NoInit:
        pass

    report = _libcuda.probe_driver([0], loader=lambda p: NoInit())
    assert report.calls[0].name == "SYMBOL_NOT_FOUND"


def test_pointers_are_real_ctypes() -> None:
    seen: list[type] = []

    class Spy(FakeLibcuda):
        def cuDeviceGetCount(self, out: Any) -> int:
            seen.append(type(out))
            return super().cuDeviceGetCount(out)

    _libcuda.probe_driver([], loader=_loader(Spy()))
    assert seen and issubclass(seen[0], ctypes._Pointer)
