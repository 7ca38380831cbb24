"""The doctor's rules, table-driven over the labelled corpus, plus the contracts around it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.doctor import CODES, FAILURE_CODES, Finding, diagnose, to_json_document

DATA = Path(__file__).resolve().parent.parent / "data"
MANIFEST: list[dict[str, Any]] = json.loads((DATA / "logs" / "manifest.json").read_text())


def _log(name: str) -> str:
    return (DATA / "logs" / name).read_text()


def _fp(name: str | None) -> dict[str, Any] | None:
    return json.loads((DATA / "fingerprints" / name).read_text()) if name else None


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def _id(entry: dict[str, Any]) -> str:
    return f"{entry['expected']}:{entry['log'].rsplit('/', 1)[-1]}:{entry.get('fingerprint')}"


@pytest.mark.parametrize("entry", MANIFEST, ids=_id)
def test_corpus_with_facts_top1(entry: dict[str, Any]) -> None:
    findings = diagnose(_log(entry["log"]), _fp(entry["fingerprint"]), context=entry["context"])
    assert _codes(findings)[0] == entry["expected"], [(f.code, f.evidence) for f in findings]


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e["log_alone"] != "undecidable"], ids=_id)
def test_corpus_log_alone(entry: dict[str, Any]) -> None:
    codes = _codes(diagnose(_log(entry["log"])))
    if entry["log_alone"] == "top1":
        assert codes[0] == entry["expected"], codes
    else:
        assert entry["expected"] in codes[:3], codes


def test_corpus_covers_every_class_twice_and_four_healthy() -> None:
    logs_per_class: dict[str, set[str]] = {}
    for entry in MANIFEST:
        logs_per_class.setdefault(entry["expected"], set()).add(entry["log"])
    for code in FAILURE_CODES:
        assert len(logs_per_class.get(code, ())) >= 2, code
    assert len(logs_per_class["healthy"]) >= 4
    on_disk = {str(p.relative_to(DATA / "logs")) for p in (DATA / "logs").rglob("*.log")}
    assert on_disk == {e["log"] for e in MANIFEST}


def test_findings_quote_exact_log_lines() -> None:
    for entry in MANIFEST:
        text = _log(entry["log"])
        lines = {ln.strip() for ln in text.splitlines()}
        top = diagnose(text, _fp(entry["fingerprint"]), context=entry["context"])[0]
        assert top.evidence, entry["log"]
        quoted = [e for e in top.evidence if e in lines]
        facts = [e for e in top.evidence if e not in lines]
        assert quoted or facts
        for e in facts:  # anything not quoted from the log must be a named fact
            assert "=" in e or ":" in e, e


# Known-harmless lines as TensorFlow 2.21 prints them (absl and TSL prefixes).
HARMLESS = (DATA / "harmless_noise.txt").read_text()
CREATED = (
    "I0000 00:00:1795611731.2 48213 gpu_device.cc:2020] Created device "
    "/job:localhost/replica:0/task:0/device:GPU:0 with 79078 MB memory:  -> device: 0, "
    "name: NVIDIA H100 80GB HBM3, pci bus id: 0000:19:00.0, compute capability: 9.0\n"
)


def test_harmless_lines_never_yield_a_failure() -> None:
    findings = diagnose(HARMLESS + CREATED)
    assert _codes(findings) == ["healthy"]
    assert findings[0].confidence == "high"
    alone = diagnose(HARMLESS)
    # The noise includes a NUMA read, printed only once a device was enumerated: at most a
    # medium-confidence "healthy", never a failure, and no failure quotes a harmless line.
    assert all(f.code in ("unexplained", "healthy") for f in alone), _codes(alone)
    assert all(f.confidence != "high" for f in alone)
    for f in alone:
        for ev in f.evidence:
            assert f.code == "healthy" or ev not in HARMLESS


LOG46 = "exclusive_compute_mode/tf221_probe_runtime_init_46.log"


def test_error_46_without_facts_lists_candidates_in_checking_order() -> None:
    findings = diagnose(_log(LOG46))
    assert _codes(findings)[:4] == [
        "exclusive_compute_mode",
        "vgpu_unlicensed",
        "driver_missing_or_not_loaded",
        "gpu_memory_held_by_other_process",
    ]
    for f, word in zip(findings[:4], ("first", "second", "third", "fourth"), strict=True):
        assert f"Check {word}" in f.explanation
        assert f.confidence in ("medium", "low")
    assert "compute_mode" in findings[0].explanation
    assert "License Status" in findings[1].explanation


@pytest.mark.parametrize(
    ("fingerprint", "expected"),
    [
        ("exclusive_process_foreign.json", "exclusive_compute_mode"),
        ("vgpu_unlicensed.json", "vgpu_unlicensed"),
        ("memory_full_foreign.json", "gpu_memory_held_by_other_process"),
        ("default_idle.json", "unexplained"),
    ],
)
def test_facts_flip_the_error_46_decision(fingerprint: str, expected: str) -> None:
    findings = diagnose(_log(LOG46), _fp(fingerprint))
    assert findings[0].code == expected
    assert findings[0].confidence in ("high", "medium")
    if expected != "unexplained":
        assert findings[0].confidence == "high"
        assert any("nvidia.gpus[0]" in e for e in findings[0].evidence)


def test_exclusive_fact_quotes_mode_and_foreign_process() -> None:
    top = diagnose(_log(LOG46), _fp("exclusive_process_foreign.json"))[0]
    assert "nvidia.gpus[0].compute_mode = Exclusive_Process" in top.evidence
    assert any("pid 3140" in e for e in top.evidence)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'docker: Error response from daemon: could not select device driver "" with '
            "capabilities: [[gpu]].",
            "container_gpu_not_exposed",
        ),
        (
            "nvidia-container-cli: initialization error: load library failed: libnvidia-ml.so.1: "
            "cannot open shared object file: no such file or directory: unknown.",
            "container_gpu_not_exposed",
        ),
        (
            "docker: Error response from daemon: unknown or invalid runtime name: nvidia.",
            "container_gpu_not_exposed",
        ),
        (
            "nvidia-container-cli: initialization error: nvml error: driver/library version "
            "mismatch: unknown.",
            "driver_library_version_mismatch",
        ),
        (
            "nvidia-container-cli: initialization error: nvml error: driver not loaded: unknown.",
            "driver_missing_or_not_loaded",
        ),
        (
            "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=12.5, please "
            "update your driver to a newer version, or use an earlier cuda container: unknown.",
            "driver_too_old_for_cuda",
        ),
    ],
)
def test_container_engine_messages(line: str, expected: str) -> None:
    assert _codes(diagnose(line + "\n"))[0] == expected


def test_no_driver_on_bare_host_beats_cpu_only_build() -> None:
    log = _log("driver_missing_or_not_loaded/probe_cpu_node_libcuda_missing.log")
    fp = _fp("bare_host_no_driver.json")
    assert fp is not None
    fp["tensorflow"]["build_info"]["is_cuda_build"] = False
    codes = _codes(diagnose(log, fp))
    assert codes[0] == "driver_missing_or_not_loaded"
    assert "cpu_only_build_or_platform" in codes[1:3]


def test_container_without_nodes_depends_on_gpu_intent() -> None:
    log = _log("driver_missing_or_not_loaded/tf221_andcuda_bare_host_303.log")
    in_gpu_image = _fp("container_no_nodes.json")
    assert _codes(diagnose(log, in_gpu_image))[0] == "container_gpu_not_exposed"
    assert in_gpu_image is not None
    cpu_sandbox = json.loads(json.dumps(in_gpu_image))
    cpu_sandbox["env"] = {}
    cpu_sandbox["tensorflow"]["build_info"]["is_cuda_build"] = False
    found = diagnose(log, cpu_sandbox)
    assert found[0].code == "driver_missing_or_not_loaded"
    # proposed by a rule from the container facts, not only listed as the top one's sibling
    assert any(
        f.code == "container_gpu_not_exposed" and "sibling of" not in f.explanation for f in found
    )


def test_fork_context_decides() -> None:
    log = _log("fork_after_cuda_init/keras_multiprocessing_worker.log")
    assert diagnose(log, context={"start_method": "fork"})[0].confidence == "high"
    assert diagnose(log, context={"start_method": "spawn"})[0].code != "fork_after_cuda_init"


def test_slow_start_flags_ptx_jit() -> None:
    codes = _codes(diagnose(CREATED, context={"probe_elapsed_s": 900.0}))
    assert "no_kernel_image_for_arch" in codes


def test_tiny_device_memory_is_flagged_not_healthy() -> None:
    log = CREATED.replace("with 79078 MB", "with 69 MB")
    assert _codes(diagnose(log))[0] == "gpu_memory_held_by_other_process"


def test_missing_fingerprint_sections_are_tolerated() -> None:
    broken = {"nvidia": {"status": "unavailable", "error": "x"}, "tensorflow": "garbage", "env": 3}
    assert diagnose(_log(LOG46), broken)
    assert diagnose("", None)[0].code == "unexplained"


def test_finding_shape_and_json_document() -> None:
    findings = diagnose(_log(LOG46), _fp("vgpu_unlicensed.json"))
    doc = to_json_document(findings)
    assert doc["schema_version"] == 1
    assert set(doc["findings"][0]) == {
        "code",
        "title",
        "confidence",
        "evidence",
        "explanation",
        "fix",
    }
    assert json.loads(json.dumps(doc)) == doc
    with pytest.raises(dataclasses.FrozenInstanceError):
        findings[0].code = "x"  # type: ignore[misc]
    assert all(f.code in CODES for f in findings)


def test_every_code_has_title_and_fix() -> None:
    from benchmarks.doctor import CATALOG

    assert set(CATALOG) == set(CODES)
    assert len(FAILURE_CODES) == 23
    for entry in CATALOG.values():
        assert entry.title and entry.explanation and entry.fix


def test_no_device_without_facts_lists_candidates_with_settling_facts() -> None:
    line = (
        "2026-11-25 10:22:11.467224: E external/local_xla/xla/stream_executor/cuda/"
        "cuda_platform.cc:51] failed call to cuInit: INTERNAL: CUDA error: Failed call to "
        "cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected\n"
    )
    findings = diagnose(line)
    assert _codes(findings)[:5] == [
        "cuda_visible_devices_hidden",
        "driver_missing_or_not_loaded",
        "container_gpu_not_exposed",
        "mig_misconfigured",
        "uvm_device_node_or_suspend",
    ]
    assert all("Check " in f.explanation for f in findings[:5])
    with_env = {"env": {"CUDA_VISIBLE_DEVICES": "-1"}, "nvidia": {"device_nodes": []}}
    assert diagnose(line, with_env)[0].code == "cuda_visible_devices_hidden"
    assert diagnose(line, with_env)[0].confidence == "high"


def test_probe_timeout_points_to_ptx_jit_first() -> None:
    log = "graphbench-probe: probe: timed out after 180 s\n"
    findings = diagnose(log, context={"timed_out": True, "probe_elapsed_s": 180.0})
    assert findings[0].code == "no_kernel_image_for_arch"
    assert "PTX JIT" in findings[0].explanation
    assert findings[0].confidence == "medium"


def test_nodes_passed_by_hand_without_driver_libraries() -> None:
    log = _log("driver_missing_or_not_loaded/tf221_andcuda_bare_host_303.log")
    fp = {
        "host": {"container": {"in_container": True, "kind": "docker"}},
        "nvidia": {
            "status": "unavailable",
            "device_nodes": [
                {"path": "/dev/nvidia0", "mode": "crw-rw-rw-", "readable": True, "writable": True},
                {
                    "path": "/dev/nvidiactl",
                    "mode": "crw-rw-rw-",
                    "readable": True,
                    "writable": True,
                },
            ],
        },
    }
    top = diagnose(log, fp)[0]
    assert top.code == "container_gpu_not_exposed"
    assert "NVIDIA_DRIVER_CAPABILITIES" in top.explanation
