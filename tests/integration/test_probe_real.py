"""The real probe child (driver stage + TensorFlow stage) on this machine, then the doctor.

Here (no NVIDIA GPU, no driver, tensorflow-cpu) the probe must end cleanly with ok=False and the
diagnosis of its log plus this machine's real facts must put driver_missing_or_not_loaded first.
On a machine with a working NVIDIA GPU and a CUDA build the same test expects ``healthy``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cli import main
from benchmarks.doctor import diagnose
from benchmarks.gpu.probe import ProbeResult, run_probe

pytestmark = pytest.mark.tf

HAS_GPU = Path("/dev/nvidia0").exists() and Path("/proc/driver/nvidia/version").exists()


def _real_facts(result: ProbeResult) -> dict[str, Any]:
    """This machine's fingerprint: the collector when it is merged, else the same facts read
    directly (device nodes, /proc/driver/nvidia/version, container, TF build)."""
    try:
        collect = importlib.import_module("benchmarks.environment.fingerprint").collect
    except (ImportError, AttributeError):
        ctx = result.diagnosis_context()
        return {
            "host": {"container": {"in_container": ctx["in_container"]}},
            "nvidia": {
                "status": "unavailable" if not HAS_GPU else "ok",
                "device_nodes": ctx["device_nodes"],
                "proc_driver_version": ctx["proc_driver_version"],
            },
            "tensorflow": {"build_info": {"is_cuda_build": result.tf_stage["is_built_with_cuda"]}},
        }
    data = collect()
    return data.to_dict() if hasattr(data, "to_dict") else dict(data)


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> ProbeResult:
    log = tmp_path_factory.mktemp("run") / "probe.log"
    return run_probe(["cpu", "gpu"], log_path=log, timeout_s=300)


def test_probe_ends_cleanly(probed: ProbeResult) -> None:
    assert probed.returncode == 0 and not probed.timed_out
    assert probed.tf_stage.get("version")
    assert "GPU:0" in probed.tf_stage["devices"]
    if HAS_GPU:
        return
    assert probed.ok is False
    assert probed.devices["GPU:0"]["ok"] is False
    assert "graphbench-probe: tensorflow: matmul on /GPU:0" in probed.log_text


@pytest.mark.skipif(HAS_GPU, reason="this expectation is for a machine without an NVIDIA driver")
def test_diagnosis_with_real_facts_is_driver_missing(probed: ProbeResult) -> None:
    facts = _real_facts(probed)
    findings = diagnose(probed.log_text, facts, context=probed.diagnosis_context())
    assert findings[0].code == "driver_missing_or_not_loaded", [
        (f.code, f.confidence, f.evidence) for f in findings
    ]
    assert findings[0].confidence == "high"
    assert any("libcuda.so.1" in e for e in findings[0].evidence)


@pytest.mark.skipif(HAS_GPU, reason="this expectation is for a machine without an NVIDIA driver")
def test_cli_probe_mode(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["diagnose", "--probe", "--device", "gpu", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 3
    assert doc["findings"][0]["code"] == "driver_missing_or_not_loaded"
