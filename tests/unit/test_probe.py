"""The probe service: device parsing, result parsing, log handling, and a real driver-only child.

The driver-only child runs for real (a fresh interpreter, real ctypes load of libcuda.so.1);
here there is no driver, so it must end cleanly with ok=False and the exact dlerror.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from benchmarks.gpu import probe
from benchmarks.gpu.probe import RESULT_MARKER, parse_devices

NO_GPU_HERE = not Path("/dev/nvidia0").exists()


@pytest.mark.parametrize(
    ("devices", "expected"),
    [
        (["gpu"], [0]),
        (["cpu", "gpu"], [0]),
        (["gpu:1"], [1]),
        (["/GPU:0,/GPU:2"], [0, 2]),
        (["GPU:0", "gpu:0"], [0]),
        (["cpu"], []),
    ],
)
def test_parse_devices(devices: list[str], expected: list[int]) -> None:
    assert parse_devices(devices) == expected


def test_payload_is_found_among_noise() -> None:
    out = "noise\n" + RESULT_MARKER + json.dumps({"driver_stage": {"ok": True}}) + "\n"
    assert probe._payload(out) == {"driver_stage": {"ok": True}}
    assert probe._payload("no marker\n") is None
    assert probe._payload(RESULT_MARKER + "{broken\n") is None


def test_device_table_prefers_the_driver_error() -> None:
    payload = {
        "driver_stage": {
            "ok": False,
            "load_error": None,
            "calls": [{"function": "cuInit", "code": 0}],
            "devices": [{"ordinal": 0, "error": "cuDevicePrimaryCtxRetain(GPU:0) -> 46 X"}],
        },
        "tf_stage": {"devices": {"GPU:0": {"ok": False, "error": "InternalError: busy"}}},
    }
    table = probe._device_table([0], payload, "unused")
    assert table == {
        "GPU:0": {"ok": False, "error": "driver: cuDevicePrimaryCtxRetain(GPU:0) -> 46 X"}
    }
    ok_payload = {
        "driver_stage": {"ok": True, "calls": [], "devices": [{"ordinal": 0, "error": None}]},
        "tf_stage": {"devices": {"GPU:0": {"ok": True, "error": None}}},
    }
    assert probe._device_table([0], ok_payload, "x") == {"GPU:0": {"ok": True, "error": None}}
    assert probe._device_table([0], None, "timed out") == {
        "GPU:0": {"ok": False, "error": "timed out"}
    }


@pytest.mark.skipif(not NO_GPU_HERE, reason="this check is for a machine without an NVIDIA GPU")
def test_driver_only_child_runs_for_real_and_fails_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "run" / "probe.log"
    result = probe.run_probe(["cpu", "gpu"], log_path=log, timeout_s=60, tf_stage=False)
    assert result.ok is False and result.returncode == 0 and not result.timed_out
    assert result.devices["GPU:0"]["ok"] is False
    assert "libcuda.so.1" in (result.devices["GPU:0"]["error"] or "")
    assert result.driver_stage["load_error"]
    assert log.read_text() == result.log_text
    assert "graphbench-probe: driver: dlopen libcuda.so.1 failed:" in result.log_text
    ctx = result.diagnosis_context()
    assert ctx["start_method"] == "spawn" and ctx["requested_devices"] == ["GPU:0"]
    assert json.loads(json.dumps(result.to_dict()))["ok"] is False


def test_timeout_is_a_value(tmp_path: Path) -> None:
    result = probe.run_probe(["gpu"], log_path=tmp_path / "p.log", timeout_s=0.001, tf_stage=False)
    assert result.timed_out and not result.ok
    assert result.devices["GPU:0"] == {"ok": False, "error": "timed out"}
    assert "timed out" in (tmp_path / "p.log").read_text()


def test_probe_env_forces_full_logging() -> None:
    assert probe.PROBE_ENV["TF_CPP_MIN_LOG_LEVEL"] == "0"
    assert "dso_loader=1" in probe.PROBE_ENV["TF_CPP_VMODULE"]
    assert os.environ.get("TF_CPP_VMODULE") != probe.PROBE_ENV["TF_CPP_VMODULE"]


def test_driver_result_survives_a_crash_in_the_tf_stage() -> None:
    stdout = probe.DRIVER_MARKER + json.dumps({"ok": False, "load_error": "x"}) + "\n"
    assert probe._payload(stdout) is None
    assert probe._marked(stdout, probe.DRIVER_MARKER) == {"ok": False, "load_error": "x"}


@pytest.mark.skipif(not NO_GPU_HERE, reason="this check is for a machine without an NVIDIA GPU")
def test_check_gpu_writes_probe_log_and_diagnosis(tmp_path: Path) -> None:
    fingerprint = {
        "host": {"container": {"in_container": False}},
        "nvidia": {"status": "unavailable", "device_nodes": [], "proc_driver_version": None},
    }
    check = probe.check_gpu(["gpu"], run_dir=tmp_path, fingerprint=fingerprint, tf_stage=False)
    assert not check.ok
    doc = json.loads((tmp_path / "diagnosis.json").read_text())
    assert doc["schema_version"] == 1
    assert doc["findings"][0]["code"] == "driver_missing_or_not_loaded"
    assert check.skip_reason == (
        "GPU unavailable: No NVIDIA driver is loaded (or no NVIDIA GPU is present) "
        "(driver_missing_or_not_loaded)"
    )
    assert "1. [high] No NVIDIA driver" in check.explanation()
    assert (tmp_path / "probe.log").read_text() == check.probe.log_text


def test_skip_reasons_per_requested_device() -> None:
    from benchmarks.doctor import diagnose

    result = probe.ProbeResult(
        ok=False,
        devices={"GPU:0": {"ok": True, "error": None}, "GPU:1": {"ok": False, "error": "x"}},
        driver_stage={},
        tf_stage={},
        log_text="",
        elapsed_s=1.0,
        returncode=0,
        timed_out=False,
    )
    findings = tuple(diagnose("failed call to cuInit: CUDA_ERROR_ECC_UNCORRECTABLE\n"))
    check = probe.GpuCheck(result, findings)
    assert check.skip_reasons(["cpu", "gpu:0", "gpu:1"]) == {
        "gpu:1": "GPU unavailable: Uncorrectable ECC memory error on the GPU (ecc_uncorrectable)"
    }
