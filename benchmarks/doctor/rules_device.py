"""Rules for failures at the device itself or after it came up: hardware faults, ECC,
architecture (too old / no kernels), MIG, the UVM node, fork, and the XLA toolchain.
"""

from __future__ import annotations

import re

from benchmarks.doctor.findings import Candidate, fact
from benchmarks.doctor.logscan import ScannedLog, quote
from benchmarks.doctor.signals import (
    code_lines,
    created_device_lines,
    cuinit_lines,
)
from benchmarks.environment.view import FingerprintView, Gpu


def hardware_fault(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = log.find(
        r"fallen off the bus",
        r"Xid \([^)]*\): 79\b",
        r"GPU is lost",
        r"Unable to determine the device handle for GPU",
        r"RmInitAdapter failed",
        r"Surprise Down",
    )
    score, ev = (90 if lines else 0), list(quote(lines))
    err = facts.nvidia_error() or ""
    if "GPU is lost" in err or "Unable to determine the device handle" in err:
        score = 92
        ev.append(fact("nvidia.error", err))
    return [Candidate("gpu_fell_off_bus_hw_fault", score, tuple(ev))] if score else []


def ecc(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = log.find(
        r"CUDA_ERROR_ECC_UNCORRECTABLE",
        r"uncorrectable ECC error",
        r"Xid \([^)]*\): (48|63|64|94|95)\b",
    )
    score, ev = (90 if lines else 0), list(quote(lines))
    for gpu in facts.gpus():
        ecc_info = gpu.get("ecc")
        if isinstance(ecc_info, dict) and (ecc_info.get("uncorrected_volatile") or 0) > 0:
            score = max(score, 60) if not score else 95
            ev.append(fact(gpu.path("ecc.uncorrected_volatile"), ecc_info["uncorrected_volatile"]))
    return [Candidate("ecc_uncorrectable", score, tuple(ev))] if score else []


def capability_below_minimum(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = log.find(r"Ignoring visible gpu device .* minimum required Cuda capability")
    return [Candidate("compute_capability_below_minimum", 93, quote(lines))] if lines else []


def _cc(gpu: Gpu) -> tuple[int, int] | None:
    m = re.match(r"(\d+)\.(\d+)", str(gpu.get("compute_capability") or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


def kernel_image(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    errors = log.find(
        r"device kernel image is invalid",
        r"no kernel image is available for execution on the device",
        r"CUDA_ERROR_NO_BINARY_FOR_GPU",
        r"CUDA_ERROR_INVALID_IMAGE",
    )
    jit = log.find(r"CUDA kernels will be jit-compiled from PTX")
    score = 88 if errors else (70 if jit else 0)
    ev = list(quote(errors + jit))
    elapsed = facts.probe_elapsed_s()
    note = ""
    if elapsed is not None and elapsed > 120 and created_device_lines(log):
        score = max(score, 55)
        ev.append(f"context.probe_elapsed_s = {elapsed:.0f} (minutes to a first matmul: PTX JIT)")
    slow = log.find(r"graphbench-probe: probe: (slow start|timed out after)")
    if slow:
        score = max(score, 50)
        ev += quote(slow, 1)
        note = (
            "A start that takes minutes (or runs past the probe timeout) is typically PTX JIT "
            "compilation; a hung driver is the other possibility (look for Xid in dmesg)."
        )
    if facts.ctx.get("timed_out") is True and not slow:
        score = max(score, 50)
        ev.append("context.timed_out = True")
    if not score:
        return []
    built = facts.build_compute_capabilities()
    for gpu in facts.gpus():
        cc = _cc(gpu)
        if cc and built and cc not in built and cc > max(built):
            score = min(score + 5, 95)
            ev.append(
                fact(gpu.path("compute_capability"), f"{cc[0]}.{cc[1]}")
                + f" > newest in build ({max(built)[0]}.{max(built)[1]})"
            )
    return [Candidate("no_kernel_image_for_arch", score, tuple(ev), note)]


def fork_after_init(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = log.find(
        r"CUDA_ERROR_NOT_INITIALIZED",
        r"Cannot re-initialize CUDA in forked subprocess",
        r"implicit initialization on GPU:\d+ failed\. Status: initialization error",
        r"UNKNOWN ERROR \(3\)",
    )
    if not lines:
        return []
    score, ev = 68, list(quote(lines))
    method = facts.start_method()
    if method == "fork":
        score = 92
        ev.append("context.start_method = fork")
    elif method == "spawn":
        score = 25
        ev.append("context.start_method = spawn")
    return [Candidate("fork_after_cuda_init", score, tuple(ev))]


def xla_toolchain(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = log.find(
        r"Can't find libdevice directory",
        r"libdevice not found at",
        r"Couldn't invoke ptxas",
        r"Couldn't get ptxas version",
        r"ptxas.*(not found|No such file)",
        r"JIT compilation failed",
    )
    return [Candidate("xla_toolchain_missing", 88, quote(lines))] if lines else []


def uvm_or_suspend(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    init_unknown = [
        ln for ln in cuinit_lines(log) if re.search(r"CUDA_ERROR_UNKNOWN|-> 999 ", ln.text)
    ]
    other = log.find(r"\(30 vs\. 0\)", r"error code: 30\b", r"/dev/nvidia-uvm")
    if not (init_unknown or other):
        return []
    score, ev = 62, list(quote(init_unknown + other))
    nodes = facts.device_nodes()
    if nodes is not None:
        uvm = facts.node("/dev/nvidia-uvm")
        if uvm is None:
            score = 93
            ev.append("nvidia.device_nodes: /dev/nvidia-uvm missing")
        elif not (uvm.get("readable") and uvm.get("writable")):
            score = 92
            ev.append(fact("nvidia.device_nodes[/dev/nvidia-uvm].mode", uvm.get("mode")))
        else:
            score = 25
            ev.append("nvidia.device_nodes: /dev/nvidia-uvm present and rw")
    return [Candidate("uvm_device_node_or_suspend", score, tuple(ev))]


def mig(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = log.find(r"No MIG devices found", r"MIG M\.: Enabled")
    score, ev = (70 if lines else 0), list(quote(lines))
    failing = bool(code_lines(log, 100)) or bool(
        log.find(r"no supported devices found for platform CUDA")
    )
    for gpu in facts.gpus():
        mode = gpu.get("mig_mode")
        if isinstance(mode, dict) and mode.get("current"):
            devices = gpu.get("mig_devices") or []
            ev.append(fact(gpu.path("mig_mode.current"), True))
            if not devices and (failing or score):
                score = 93
                ev.append(f"{gpu.path('mig_devices')}: none created")
            elif failing:
                score = max(score, 70)
    cvd = facts.env("CUDA_VISIBLE_DEVICES") or ""
    if cvd.count("MIG-") > 1 and failing:
        score = max(score, 85)
        ev.append(fact("env.CUDA_VISIBLE_DEVICES", cvd) + " (several MIG devices)")
    return [Candidate("mig_misconfigured", score, tuple(ev))] if score else []


RULES = (
    hardware_fault,
    ecc,
    capability_below_minimum,
    kernel_image,
    fork_after_init,
    xla_toolchain,
    uvm_or_suspend,
    mig,
)
