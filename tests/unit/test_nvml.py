"""The NVML adapter against recorded-format readings replayed by a fake backend."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
from typing import Any

import pynvml
import pytest

from benchmarks.gpu import nvml as _nvml
from benchmarks.gpu import nvml_api
from benchmarks.gpu import record as _nvml_record
from tests.fakes.nvml import DATA, FakeNvml, NotRecordedError

OURS = frozenset({31337})


def read(name: str, **kwargs: Any) -> dict[str, Any]:
    return _nvml.read(FakeNvml.load(name), own=OURS, **kwargs)


def test_constants_match_pynvml() -> None:
    names = [n for n in vars(nvml_api) if n.startswith("NVML_")]  # every one the adapter uses
    assert len(names) >= 14
    for name in names:
        assert getattr(nvml_api, name) == getattr(pynvml, name), name
    assert _nvml.COMPUTE_MODES[pynvml.NVML_COMPUTEMODE_EXCLUSIVE_PROCESS] == "Exclusive_Process"
    assert _nvml.COMPUTE_MODES[pynvml.NVML_COMPUTEMODE_PROHIBITED] == "Prohibited"


def test_throttle_bits_match_pynvml() -> None:
    names = dict(_nvml.THROTTLE_REASONS)
    assert names[pynvml.nvmlClocksThrottleReasonSwPowerCap] == "sw_power_cap"
    assert names[pynvml.nvmlClocksThrottleReasonHwThermalSlowdown] == "hw_thermal_slowdown"
    assert names[pynvml.nvmlClocksThrottleReasonHwPowerBrakeSlowdown] == "hw_power_brake_slowdown"
    assert names[pynvml.nvmlClocksThrottleReasonGpuIdle] == "gpu_idle"
    if hasattr(pynvml, "nvmlClocksEventReasonSwThermalSlowdown"):
        assert names[pynvml.nvmlClocksEventReasonSwThermalSlowdown] == "sw_thermal_slowdown"


def test_decode_throttle_reasons_keeps_unknown_bits() -> None:
    assert _nvml.decode_throttle_reasons(0) == []
    assert _nvml.decode_throttle_reasons(0x4 | 0x40) == ["sw_power_cap", "hw_thermal_slowdown"]
    assert _nvml.decode_throttle_reasons(0x1 | 0x1000) == ["gpu_idle", "unknown_0x1000"]


def test_healthy_multi_gpu() -> None:
    r = read("healthy_multi_gpu")
    assert r["status"] == "ok" and r["error"] is None and r["error_kind"] is None
    assert r["driver_version"] == "580.95.05"
    assert r["cuda_driver_version"] == "13.0"
    assert r["nvml_version"] == "13.580.95.05"
    gpus = r["gpus"]
    assert isinstance(gpus, list) and len(gpus) == 2
    g0, g1 = gpus
    assert g0["name"] == "NVIDIA H100 80GB HBM3"
    assert g0["compute_capability"] == "9.0"
    assert g0["pci_bus_id"] == "00000000:18:00.0"
    assert g0["memory_total_bytes"] == 85520809984
    assert g0["power_limit_w"] == 700.0 and g0["power_draw_w"] == pytest.approx(412.345)
    assert g0["clocks"] == {
        "sm_mhz": 1980,
        "sm_max_mhz": 1980,
        "mem_mhz": 2619,
        "mem_max_mhz": 2619,
    }
    assert g0["pstate"] == "P0"
    assert g0["throttle_reasons"] == []
    assert g0["persistence_mode"] is True
    assert g0["compute_mode"] == "Default"
    assert g0["mig_mode"] == {"current": False, "pending": False} and g0["mig_devices"] == []
    assert g0["ecc"] == {
        "enabled": True,
        "pending": True,
        "uncorrected_volatile": 0,
        "corrected_volatile": 0,
    }
    assert g0["virtualization_mode"] == "None" and g0["vgpu_license"] is None
    assert g0["processes"] == [
        {"pid": 31337, "name": "python3.11", "used_memory_bytes": 2 * 2**30, "ours": True}
    ]
    assert g1["throttle_reasons"] == ["gpu_idle"] and g1["processes"] == []
    assert "errors" not in g0


def test_uuids_are_hashed_never_published() -> None:
    fake = FakeNvml.load("healthy_multi_gpu")
    raw = fake.fixture["devices"][0]["nvmlDeviceGetUUID"]
    r = _nvml.read(fake, own=OURS)
    text = json.dumps(r)
    assert raw not in text
    g0 = r["gpus"][0]
    assert g0["uuid_hash"] == _nvml.hash_uuid(raw) and len(g0["uuid_hash"]) == 12
    assert r["gpus"][0]["uuid_hash"] != r["gpus"][1]["uuid_hash"]


@pytest.mark.parametrize(
    ("name", "error", "kind", "cls"),
    [
        (
            "driver_not_loaded",
            "Driver Not Loaded",
            "driver_not_loaded",
            "NVMLError_DriverNotLoaded",
        ),
        (
            "library_not_found",
            "NVML Shared Library Not Found",
            "library_not_found",
            "NVMLError_LibraryNotFound",
        ),
        (
            "driver_library_mismatch",
            "RM has detected an NVML/RM version mismatch.",
            "driver_library_mismatch",
            "NVMLError_LibRmVersionMismatch",
        ),
    ],
)
def test_init_failures_say_exactly_why(name: str, error: str, kind: str, cls: str) -> None:
    r = read(name)
    assert r == {
        "status": "unavailable",
        "error": error,
        "error_kind": kind,
        "error_code": r["error_code"],
        "error_class": cls,
    }
    assert isinstance(r["error_code"], int)


def test_mig_enabled_lists_instances_and_skips_empty_slots() -> None:
    g = read("mig_enabled")["gpus"][0]
    assert g["mig_mode"] == {"current": True, "pending": True}
    assert [m["slot"] for m in g["mig_devices"]] == [0, 1]
    m0 = g["mig_devices"][0]
    assert m0["name"] == "NVIDIA H100 80GB HBM3 MIG 3g.40gb"
    assert (m0["gpu_instance_id"], m0["compute_instance_id"]) == (1, 0)
    assert m0["memory_total_bytes"] == 42144366592
    assert len(m0["uuid_hash"]) == 12
    # NVML does not report utilization for a MIG parent: None, and not an error
    assert g["utilization_gpu_pct"] is None and "errors" not in g


def test_exclusive_process_with_a_foreign_process() -> None:
    g = read("exclusive_process_foreign")["gpus"][0]
    assert g["compute_mode"] == "Exclusive_Process"
    assert g["processes"] == [
        {"pid": 4242, "name": "python", "used_memory_bytes": 79872 * 2**20, "ours": False}
    ]
    # the base name only: NVML's full path carried another user's home directory
    assert "someone" not in json.dumps(g)


def test_throttling_gpu() -> None:
    g = read("throttling")["gpus"][0]
    assert g["throttle_reasons"] == ["hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown"]
    assert g["temperature_c"] == 88
    assert g["clocks"]["sm_mhz"] == 1155


def test_vgpu_unlicensed() -> None:
    g = read("vgpu_unlicensed")["gpus"][0]
    assert g["virtualization_mode"] == "VGPU"
    assert g["vgpu_license"] == "Unlicensed (NVIDIA Virtual Compute Server)"
    assert g["ecc"] is None and g["mig_mode"] is None and g["power_draw_w"] is None
    assert "errors" not in g  # NOT_SUPPORTED fields are facts, not errors


def test_a_failing_field_is_noted_not_fatal() -> None:
    fake = FakeNvml.load("healthy_multi_gpu")
    fake.fixture["devices"][1]["nvmlDeviceGetTemperature"] = {
        "nvml_error": pynvml.NVML_ERROR_GPU_IS_LOST
    }
    fake.fixture["devices"][0] = {"nvml_error": pynvml.NVML_ERROR_GPU_IS_LOST}
    r = _nvml.read(fake, own=OURS)
    assert r["status"] == "ok"
    assert r["gpus"][0] == {"index": 0, "status": "unavailable", "error": "GPU is lost"}
    assert r["gpus"][1]["temperature_c"] is None
    assert r["gpus"][1]["errors"] == {"temperature_c": "GPU is lost"}


def test_older_drivers_fall_back_to_throttle_reasons() -> None:
    fake = FakeNvml.load("throttling")
    dev = fake.fixture["devices"][0]
    dev["nvmlDeviceGetCurrentClocksThrottleReasons"] = dev.pop(
        "nvmlDeviceGetCurrentClocksEventReasons"
    )
    dev["nvmlDeviceGetCurrentClocksEventReasons"] = {
        "nvml_error": pynvml.NVML_ERROR_FUNCTION_NOT_FOUND
    }
    g = _nvml.read(fake, own=OURS)["gpus"][0]
    assert g["throttle_reasons"] == ["hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown"]
    assert "errors" not in g


def test_dynamic_only_reads_the_snapshot_fields_and_indices() -> None:
    fake = FakeNvml.load("healthy_multi_gpu")
    r = _nvml.read(fake, own=OURS, dynamic_only=True, indices=[1, 7])
    assert [g["index"] for g in r["gpus"]] == [1]
    assert set(r["gpus"][0]) == set(_nvml.DYNAMIC_FIELDS)
    assert "nvmlDeviceGetUUID" not in fake.calls and "nvmlSystemGetDriverVersion" not in fake.calls
    assert fake.initialised == 0  # nvmlShutdown was called


def test_fake_refuses_calls_that_were_not_recorded() -> None:
    fake = FakeNvml.load("healthy_multi_gpu")
    del fake.fixture["devices"][0]["nvmlDeviceGetComputeMode"]
    with pytest.raises(NotRecordedError):
        _nvml.read(fake, own=OURS)


def test_own_pids_include_real_children() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in _nvml.own_pids()
        fake = FakeNvml.load("healthy_multi_gpu")
        fake.fixture["devices"][0]["nvmlDeviceGetComputeRunningProcesses"][0]["pid"] = child.pid
        fake.fixture["system"]["nvmlSystemGetProcessName"] = {str(child.pid): "/usr/bin/python3"}
        procs = _nvml.read(fake)["gpus"][0]["processes"]
        assert procs[0]["pid"] == child.pid and procs[0]["ours"] is True
    finally:
        child.kill()
        child.wait()


def test_recorder_round_trip_reproduces_the_reading() -> None:
    for path in sorted(DATA.glob("*.json")):
        original = _nvml.read(FakeNvml.load(path.stem), own=frozenset())
        fixture = _nvml_record.record(FakeNvml.load(path.stem), description=path.stem)
        assert fixture["expected_status"] == json.loads(path.read_text())["expected_status"]
        replayed = _nvml.read(FakeNvml(json.loads(json.dumps(fixture))), own=frozenset())
        for g in (*original.get("gpus", []), *replayed.get("gpus", [])):
            g.pop("uuid_hash", None)
            for m in g.get("mig_devices", []):
                m.pop("uuid_hash", None)
        assert replayed == original, path.stem


def test_recorder_scrubs_uuids() -> None:
    fixture = {
        "a": "GPU-12345678-1234-1234-1234-123456789abc",
        "b": ["MIG-12345678-1234-1234-1234-123456789abc"],
    }
    out = _nvml_record.scrub_uuids(fixture)
    assert out == {
        "a": "GPU-00000000-0000-0000-0000-000000000000",
        "b": ["MIG-00000000-0000-0000-0000-000000000001"],
    }


def test_real_nvml_on_this_machine_says_why() -> None:
    """The real pynvml, no fake: on a machine without the NVIDIA library it must say so."""
    r = _nvml.read()
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        assert r["status"] == "unavailable"
        assert r["error"] == "NVML Shared Library Not Found"
        assert r["error_kind"] == "library_not_found"
    else:  # a machine with the driver library: a full reading, or a classified failure
        if r["status"] == "ok":
            assert r["error"] is None and r["error_kind"] is None
            assert r["device_count"] == len(r["gpus"]) and r["driver_version"]
        else:
            assert r["status"] == "unavailable" and r["error"]
            assert r["error_kind"] in {*_nvml.ERROR_KINDS.values(), "unknown"}


def test_the_typed_backend_names_only_functions_pynvml_has() -> None:
    """The Protocol mypy checks the fake against must describe the real module, name by name."""
    import inspect

    import pynvml

    from benchmarks.gpu.nvml_api import NvmlBackend

    names = [n for n, _ in inspect.getmembers(NvmlBackend) if n.startswith("nvml")]
    assert len(names) >= 30
    missing = [n for n in names if not callable(getattr(pynvml, n, None))]
    assert missing == []
