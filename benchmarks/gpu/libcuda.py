"""The one adapter for the CUDA driver API (libcuda.so.1, via ctypes).

Why a driver-level stage at all: TensorFlow folds many driver answers into one status string;
asking the driver directly (cuInit, device count, a context per GPU) records the exact CUresult
code and name for each step, with no TensorFlow in the way. Nothing is loaded at import time.
``probe_driver(..., loader=...)`` takes any object offering the same functions, so unit tests
drive it with a fake libcuda that returns recorded real codes (we have no GPU here).
Every pointer argument is a ``ctypes.pointer`` (not ``byref``) so a fake can write through it.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.gpu.cuda_errors import CURESULT_STRINGS, curesult_name

LIBRARY = "libcuda.so.1"
ATTR_CC_MAJOR = 75  # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
ATTR_CC_MINOR = 76

Loader = Callable[[str], Any]


@dataclass(frozen=True)
class Call:
    """One driver call and its CUresult."""

    function: str
    code: int
    name: str
    description: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    def line(self) -> str:
        return f"{self.function} -> {self.code} {self.name}: {self.description}"


@dataclass(frozen=True)
class DeviceReport:
    ordinal: int
    calls: tuple[Call, ...]
    name: str | None = None
    compute_capability: str | None = None
    memory_free_bytes: int | None = None
    memory_total_bytes: int | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.calls) and bool(self.calls)

    def error(self) -> str | None:
        bad = [c for c in self.calls if not c.ok]
        return bad[0].line() if bad else None


@dataclass(frozen=True)
class DriverReport:
    library: str
    load_error: str | None  # the exact dlerror text when libcuda.so.1 could not be loaded
    calls: tuple[Call, ...] = ()
    driver_version: int | None = None
    device_count: int | None = None
    devices: tuple[DeviceReport, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return (
            self.load_error is None
            and all(c.ok for c in self.calls)
            and all(d.ok for d in self.devices)
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        for dev, raw in zip(self.devices, data["devices"], strict=True):
            raw["ok"] = dev.ok
            raw["error"] = dev.error()
        return data


def load(path: str = LIBRARY, loader: Loader = ctypes.CDLL) -> tuple[Any | None, str | None]:
    """(library, None) or (None, dlerror text). ctypes puts dlerror() in the OSError message."""
    try:
        return loader(path), None
    except OSError as exc:
        return None, str(exc)


class _Driver:
    def __init__(self, lib: Any) -> None:
        self.lib = lib

    def _fn(self, *names: str) -> Any:
        for name in names:
            fn = getattr(self.lib, name, None)
            if fn is not None:
                return fn
        return None

    def describe(self, code: int) -> tuple[str, str]:
        """Name and text via cuGetErrorName/String, falling back to our table (a stub libcuda
        answers every call, these included, with CUDA_ERROR_STUB_LIBRARY)."""
        name, text = curesult_name(code), CURESULT_STRINGS.get(code, "")
        get_name, get_string = self._fn("cuGetErrorName"), self._fn("cuGetErrorString")
        if get_name is not None:
            out = ctypes.pointer(ctypes.c_char_p())
            if get_name(code, out) == 0 and out.contents.value:
                name = out.contents.value.decode("ascii", "replace")
        if get_string is not None:
            out = ctypes.pointer(ctypes.c_char_p())
            if get_string(code, out) == 0 and out.contents.value:
                text = out.contents.value.decode("utf-8", "replace")
        return name, text

    def call(self, label: str, names: Sequence[str], *args: Any) -> Call:
        fn = self._fn(*names)
        if fn is None:
            return Call(label, -1, "SYMBOL_NOT_FOUND", f"{names[0]} not exported by libcuda")
        code = int(fn(*args))
        name, text = self.describe(code)
        return Call(label, code, name, text)


def _probe_device(drv: _Driver, ordinal: int) -> DeviceReport:
    calls: list[Call] = []
    dev = ctypes.pointer(ctypes.c_int())
    got = drv.call(f"cuDeviceGet(GPU:{ordinal})", ["cuDeviceGet"], dev, ordinal)
    calls.append(got)
    if not got.ok:
        return DeviceReport(ordinal, tuple(calls))
    handle = dev.contents.value
    buf = ctypes.create_string_buffer(256)
    name = None
    if drv.call("cuDeviceGetName", ["cuDeviceGetName"], buf, 256, handle).ok:
        name = buf.value.decode("utf-8", "replace")
    major, minor = ctypes.pointer(ctypes.c_int()), ctypes.pointer(ctypes.c_int())
    cc = None
    if (
        drv.call("cuDeviceGetAttribute", ["cuDeviceGetAttribute"], major, ATTR_CC_MAJOR, handle).ok
        and drv.call(
            "cuDeviceGetAttribute", ["cuDeviceGetAttribute"], minor, ATTR_CC_MINOR, handle
        ).ok
    ):
        cc = f"{major.contents.value}.{minor.contents.value}"
    ctx = ctypes.pointer(ctypes.c_void_p())
    retain = drv.call(
        f"cuDevicePrimaryCtxRetain(GPU:{ordinal})", ["cuDevicePrimaryCtxRetain"], ctx, handle
    )
    calls.append(retain)
    free = total = None
    if retain.ok:
        current = drv.call("cuCtxSetCurrent", ["cuCtxSetCurrent"], ctx.contents)
        calls.append(current)
        if current.ok:
            f, t = ctypes.pointer(ctypes.c_size_t()), ctypes.pointer(ctypes.c_size_t())
            mem = drv.call("cuMemGetInfo", ["cuMemGetInfo_v2", "cuMemGetInfo"], f, t)
            calls.append(mem)
            if mem.ok:
                free, total = f.contents.value, t.contents.value
            drv.call("cuCtxSetCurrent", ["cuCtxSetCurrent"], ctypes.c_void_p())
        calls.append(
            drv.call(
                f"cuDevicePrimaryCtxRelease(GPU:{ordinal})",
                ["cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease"],
                handle,
            )
        )
    return DeviceReport(ordinal, tuple(calls), name, cc, free, total)


def probe_driver(
    ordinals: Sequence[int], *, path: str = LIBRARY, loader: Loader = ctypes.CDLL
) -> DriverReport:
    """cuInit, driver version, device count, then a context per requested ordinal."""
    lib, error = load(path, loader)
    if lib is None:
        return DriverReport(path, error)
    drv = _Driver(lib)
    calls = [drv.call("cuInit", ["cuInit"], 0)]
    if not calls[0].ok:
        return DriverReport(path, None, tuple(calls))
    version = ctypes.pointer(ctypes.c_int())
    calls.append(drv.call("cuDriverGetVersion", ["cuDriverGetVersion"], version))
    count = ctypes.pointer(ctypes.c_int())
    counted = drv.call("cuDeviceGetCount", ["cuDeviceGetCount"], count)
    calls.append(counted)
    n = count.contents.value if counted.ok else None
    devices = tuple(_probe_device(drv, i) for i in ordinals) if counted.ok else ()
    return DriverReport(
        path,
        None,
        tuple(calls),
        version.contents.value if calls[1].ok else None,
        n,
        devices,
    )
