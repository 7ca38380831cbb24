"""The GPU probe service: run ``benchmarks.gpu.probe_child`` in a fresh interpreter and collect what
happened (driver stage, TensorFlow stage, full log, exit status, elapsed time).

The runner calls ``check_gpu`` (= ``run_probe`` + ``diagnose``) before any GPU cell; the
pieces stay public for callers that need only one of them. The log is written to
``log_path`` (the run's ``probe.log``) scrubbed of home paths, user and host names, because run
directories are published.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import _proc
from benchmarks.doctor import Finding, diagnose, render_text, skip_reason, to_json_document
from benchmarks.environment import hostinfo, redact
from benchmarks.rundir.jsonio import write_json_atomic
from benchmarks.rundir.layout import DIAGNOSIS_FILE, ENGINE_LOG, PROBE_LOG

# Surface library-loading and driver diagnostics without flooding the log: dso_loader,
# cuda_diagnostics and cuda_platform log these at VLOG(1) in TF 2.21/XLA.
PROBE_ENV: dict[str, str] = {
    "TF_CPP_MIN_LOG_LEVEL": "0",
    "TF_CPP_VMODULE": "dso_loader=1,cuda_diagnostics=1,cuda_platform=1,cuda_driver=1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}
RESULT_MARKER = "GRAPHBENCH_PROBE_RESULT "
DRIVER_MARKER = "GRAPHBENCH_PROBE_DRIVER "  # printed early: survives a crash in stage 2
LOG_PREFIX = "graphbench-probe:"
SLOW_START_S = 120.0  # a start this slow means kernels were JIT-compiled from PTX


def parse_devices(devices: Sequence[str]) -> list[int]:
    """GPU ordinals from 'gpu', 'gpu:1', '/GPU:1', 'GPU:0,GPU:1'; 'gpu' alone means GPU 0."""
    ordinals: list[int] = []
    for item in devices:
        for part in item.split(","):
            text = part.strip().lower().lstrip("/").removeprefix("device:")
            if not text.startswith("gpu"):
                continue
            _, _, index = text.partition(":")
            ordinal = int(index) if index.isdigit() else 0
            if ordinal not in ordinals:
                ordinals.append(ordinal)
    return ordinals


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    devices: dict[str, dict[str, Any]]  # "GPU:0" -> {"ok": bool, "error": str | None}
    driver_stage: dict[str, Any]
    tf_stage: dict[str, Any]
    log_text: str
    elapsed_s: float
    returncode: int
    timed_out: bool
    in_container: bool | None = None
    requested: tuple[str, ...] = field(default_factory=tuple)
    host_facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["requested"] = list(self.requested)
        return data

    def diagnosis_context(self) -> dict[str, Any]:
        """The ``context`` argument of ``diagnose`` for this probe (plus the cheap host facts
        the probe saw, so a diagnosis without a fingerprint still knows them)."""
        return {
            **self.host_facts,
            "is_cuda_build": self.tf_stage.get("is_built_with_cuda"),
            "in_container": self.in_container,
            "probe_elapsed_s": self.elapsed_s,
            "requested_devices": list(self.requested),
            "start_method": "spawn",
            "timed_out": self.timed_out,
        }


def host_facts() -> dict[str, Any]:
    """Device nodes and the kernel module's version file, as the fingerprint records them."""
    files = hostinfo.nvidia_driver_files()
    return {
        "device_nodes": files["device_nodes"],
        "proc_driver_version": files["proc_driver_version"],
    }


def _marked(stdout: str, marker: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(marker):
            try:
                data = json.loads(line[len(marker) :])
            except json.JSONDecodeError:
                return None
            return data if isinstance(data, dict) else None
    return None


def _payload(stdout: str) -> dict[str, Any] | None:
    return _marked(stdout, RESULT_MARKER)


def _device_table(
    ordinals: Sequence[int], payload: dict[str, Any] | None, fallback_error: str
) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    driver = (payload or {}).get("driver_stage") or {}
    tf_devices = ((payload or {}).get("tf_stage") or {}).get("devices") or {}
    driver_devices = {d.get("ordinal"): d for d in driver.get("devices") or []}
    for ordinal in ordinals:
        key = f"GPU:{ordinal}"
        tf_dev = tf_devices.get(key) or {}
        if payload is None:
            table[key] = {"ok": False, "error": fallback_error}
            continue
        error = None
        if driver.get("load_error"):
            error = f"driver: {driver['load_error']}"
        elif ordinal in driver_devices and driver_devices[ordinal].get("error"):
            error = f"driver: {driver_devices[ordinal]['error']}"
        elif not driver.get("ok", False) and driver.get("calls"):
            bad = [c for c in driver["calls"] if c.get("code") != 0]
            if bad:
                error = f"driver: {bad[0].get('function')} -> {bad[0].get('name')}"
        if error is None and not tf_dev.get("ok", False):
            error = f"tensorflow: {tf_dev.get('error') or 'no result'}"
        table[key] = {"ok": error is None, "error": error}
    return table


def run_probe(
    devices: Sequence[str],
    *,
    log_path: Path,
    timeout_s: float = 180.0,
    env: Mapping[str, str] | None = None,
    tf_stage: bool = True,
) -> ProbeResult:
    """Probe the requested GPUs in a child process; never raises for a GPU failure.

    ``tf_stage=False`` runs the driver stage only (seconds faster: no TensorFlow import).
    """
    ordinals = parse_devices(devices)
    base = dict(env) if env is not None else dict(os.environ)
    base.update(PROBE_ENV)
    base["PYTHONPATH"] = _proc.child_pythonpath(base)
    argv = [sys.executable, "-m", "benchmarks.gpu.probe_child", "--devices"]
    argv.append(",".join(f"gpu:{o}" for o in ordinals) or "none")
    if not tf_stage:
        argv.append("--skip-tf")
    done = _proc.run(argv, timeout_s=timeout_s, env=base, cwd=str(_proc.PACKAGE_PARENT))
    payload = _payload(done.stdout)
    log_text = done.stderr + ("" if done.stderr.endswith("\n") or not done.stderr else "\n")
    log_text += done.stdout
    if done.timed_out:
        log_text += f"\ngraphbench-probe: probe: timed out after {timeout_s:.0f} s\n"
    elif done.returncode < 0:
        log_text += f"\ngraphbench-probe: probe: child killed by signal {-done.returncode}\n"
    elif payload is None:
        log_text += f"\ngraphbench-probe: probe: child exited {done.returncode} without a result\n"
    if done.elapsed_s > SLOW_START_S and not done.timed_out:
        log_text += f"graphbench-probe: probe: slow start ({done.elapsed_s:.0f} s)\n"
    log_text = redact.scrub_text(log_text)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text(log_text, encoding="utf-8")
    why = "timed out" if done.timed_out else f"child exited {done.returncode} without a result"
    table = _device_table(ordinals, payload, why)
    ok = bool(table) and all(d["ok"] for d in table.values()) and payload is not None
    driver = (payload or {}).get("driver_stage") or _marked(done.stdout, DRIVER_MARKER) or {}
    return ProbeResult(
        ok=ok,
        devices=table,
        driver_stage=dict(driver),
        tf_stage=dict((payload or {}).get("tf_stage") or {}),
        log_text=log_text,
        elapsed_s=round(done.elapsed_s, 3),
        returncode=done.returncode,
        timed_out=done.timed_out,
        in_container=bool(hostinfo.detect_container(os.environ)["in_container"]),
        requested=tuple(f"GPU:{o}" for o in ordinals),
        host_facts=host_facts(),
    )


@dataclass(frozen=True)
class GpuCheck:
    """What the runner needs before GPU cells: the probe, its diagnosis, and the skip reason."""

    probe: ProbeResult
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return self.probe.ok

    @property
    def skip_reason(self) -> str:
        return skip_reason(self.findings)

    def explanation(self) -> str:
        return render_text(self.findings)

    def skip_reasons(self, devices: Sequence[str]) -> dict[str, str]:
        """``{device: reason}`` for each requested device (as the matrix names it, e.g. "gpu",
        "gpu:1") that did not pass the probe; the shape of ``RunnerConfig.skip_gpu_reason``."""
        reasons: dict[str, str] = {}
        for device in devices:
            ordinals = parse_devices([device])
            if not ordinals:
                continue
            state = self.probe.devices.get(f"GPU:{ordinals[0]}", {"ok": False})
            if not state.get("ok"):
                reasons[device] = self.skip_reason
        return reasons


def check_gpu(
    devices: Sequence[str],
    *,
    run_dir: Path,
    fingerprint: Mapping[str, Any] | None = None,
    timeout_s: float = 180.0,
    env: Mapping[str, str] | None = None,
    tf_stage: bool = True,
    evidence: str = "",
) -> GpuCheck:
    """Probe, diagnose, and write ``run_dir/probe.log`` and ``run_dir/diagnosis.json``.

    The runner's single call before any GPU cell: if ``not check.ok`` it skips the GPU cells
    with ``check.skip_reason`` and prints ``check.explanation()``. ``evidence`` is text seen
    before the probe could run (e.g. the container engine refusing ``--gpus``); it is diagnosed
    together with the probe's log and kept in ``run_dir/engine.log``.
    """
    result = run_probe(
        devices, log_path=run_dir / PROBE_LOG, timeout_s=timeout_s, env=env, tf_stage=tf_stage
    )
    log_text = result.log_text
    if evidence.strip():
        evidence = redact.scrub_text(evidence)
        (run_dir / ENGINE_LOG).write_text(evidence, encoding="utf-8")
        log_text = evidence.rstrip("\n") + "\n" + log_text
    findings = tuple(diagnose(log_text, fingerprint, context=result.diagnosis_context()))
    document = to_json_document(findings)
    write_json_atomic(run_dir / DIAGNOSIS_FILE, document, sort_keys=False)
    return GpuCheck(result, findings)
