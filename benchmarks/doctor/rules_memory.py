"""Rules for a GPU that is enumerated but refuses work: busy/unavailable (error 46),
memory held by others, and TensorFlow's own pre-allocation starving cuDNN/cuBLAS.

Error 46 ("busy or unavailable") has four causes. Without fingerprint facts the rule lists them
in the order to check, each saying which fact settles it; with facts it confirms one and rules
the others out (research note section 1).
"""

from __future__ import annotations

import re

from benchmarks.doctor.findings import Candidate, fact
from benchmarks.doctor.logscan import ScannedLog, quote
from benchmarks.doctor.signals import code_lines, created_memory_mb
from benchmarks.environment.view import FingerprintView, Gpu

EXCLUSIVE_MODES = ("Exclusive_Process", "Exclusive_Thread", "Prohibited")


def _foreign(gpu: Gpu) -> list[str]:
    return [
        f"{gpu.path('processes')}: pid {p.get('pid')} {p.get('name', '?')} "
        f"({int(p.get('used_memory_bytes') or 0) // 2**20} MiB, not ours)"
        for p in gpu.foreign_processes()
    ]


def _is_vgpu(gpu: Gpu) -> bool:
    name = str(gpu.get("name") or "")
    return (
        gpu.get("virtualization_mode") == "VGPU"
        or name.startswith("GRID")
        or bool(re.search(r"-\d+[QC]\b", name))
    )


def busy_or_unavailable(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    e46 = code_lines(log, 46)
    e216 = log.find(
        r"CONTEXT_ALREADY_IN_USE", r"\(0 vs\. 216\)", r"creating context when one is currently"
    )
    if not (e46 or e216):
        return []
    ev = quote(e46 + e216)
    gpus = facts.gpus()
    if not gpus:
        ex = 85 if e216 else 50
        vgpu_hint = log.find(
            r"License Status\s*:\s*Unlicensed", r"name: GRID ", r"name: NVIDIA \w+-\d+[QC]\b"
        )
        if vgpu_hint:
            vg = 90 if "nlicensed" in vgpu_hint[0].text else 70
            return [
                Candidate("vgpu_unlicensed", vg, quote(e46 + vgpu_hint)),
                Candidate("exclusive_compute_mode", 40, ev),
            ]
        return [
            Candidate(
                "exclusive_compute_mode",
                ex,
                ev,
                "Check first: nvidia.gpus[*].compute_mode (`nvidia-smi -q -d COMPUTE`); "
                "Exclusive_Process/Prohibited with another process on the GPU settles it.",
            ),
            Candidate(
                "vgpu_unlicensed",
                46,
                ev,
                "Check second: is this a vGPU guest (`nvidia-smi -q`: Virtualization Mode VGPU, "
                "vGPU License Status)? 'Unlicensed' settles it.",
            ),
            Candidate(
                "driver_missing_or_not_loaded",
                42,
                ev,
                "Check third: does nvidia-smi work? If it fails or a driver reinstall is "
                "pending, the driver install is broken.",
            ),
            Candidate(
                "gpu_memory_held_by_other_process",
                40,
                ev,
                "Check fourth: memory.used close to memory.total with other PIDs "
                "(`nvidia-smi --query-compute-apps=pid,used_memory --format=csv`) settles it.",
            ),
        ]
    out: list[Candidate] = []
    ex_score, ex_ev = 8, list(ev)
    vg_score, vg_ev = 5, list(ev)
    mem_score, mem_ev = 8, list(ev)
    for gpu in gpus:
        mode = gpu.get("compute_mode")
        foreign = _foreign(gpu)
        if mode in EXCLUSIVE_MODES:
            ex_ev.append(fact(gpu.path("compute_mode"), mode))
            if foreign or mode == "Prohibited":
                ex_score = max(ex_score, 95)
                ex_ev += foreign
            else:
                ex_score = max(ex_score, 78)
                ex_ev.append(
                    f"{gpu.path('processes')}: none visible (another context in this "
                    "process, or a PID namespace hiding the owner)"
                )
        elif mode == "Default":
            ex_ev.append(fact(gpu.path("compute_mode"), "Default"))
        if e216:
            ex_score = max(ex_score, 85)
        if _is_vgpu(gpu):
            lic = str(gpu.get("vgpu_license") or "")
            vg_ev.append(fact(gpu.path("virtualization_mode"), gpu.get("virtualization_mode")))
            vg_ev.append(fact(gpu.path("vgpu_license"), lic or None))
            vg_score = max(vg_score, 95 if "unlicensed" in lic.lower() else 30)
        frac = gpu.memory_fraction_used()
        if frac is not None and frac >= 0.9:
            mem_ev.append(f"{gpu.path('memory_used_bytes')} / memory_total_bytes = {frac:.0%} used")
            mem_score = max(mem_score, 92 if foreign else 70)
            mem_ev += foreign
    out += [
        Candidate("exclusive_compute_mode", ex_score, tuple(ex_ev)),
        Candidate("vgpu_unlicensed", vg_score, tuple(vg_ev)),
        Candidate("gpu_memory_held_by_other_process", mem_score, tuple(mem_ev)),
    ]
    if facts.nvidia_ok() is False:
        out.append(
            Candidate(
                "driver_missing_or_not_loaded",
                60,
                (*ev, fact("nvidia.error", facts.nvidia_error())),
                "nvidia-smi/NVML itself fails: the driver install is broken.",
            )
        )
    if max(ex_score, vg_score, mem_score) < 45 and facts.nvidia_ok() is not False:
        out.append(
            Candidate(
                "unexplained",
                60,
                (*ev, "compute_mode Default, no foreign processes, not a vGPU, memory free"),
                "Error 46 with every known cause ruled out: the GPU or driver is in a bad "
                "state. Look for Xid in `dmesg`, check nvidia-persistenced, reset or reboot.",
            )
        )
    return out


def memory_held(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    oom = log.find(
        r"implicit initialization on GPU:\d+ failed\. Status: out of memory",
        r"cuDevicePrimaryCtxRetain: CUDA_ERROR_OUT_OF_MEMORY",
        r"cuCtxCreate.*CUDA_ERROR_OUT_OF_MEMORY",
        r"failed to allocate .* from device: CUDA_ERROR_OUT_OF_MEMORY",
        r"driver: cuDevicePrimaryCtxRetain.* -> 2 CUDA_ERROR_OUT_OF_MEMORY",
    )
    score, ev = (72 if oom else 0), list(quote(oom))
    gpus = facts.gpus()
    for line, mb in created_memory_mb(log):
        total = max((g.get("memory_total_bytes") or 0 for g in gpus), default=0)
        if (total and mb * 2**20 < 0.25 * total) or (not total and mb < 1024):
            score = max(score, 70)
            ev.append(line.text)
            if total:
                ev.append(
                    f"device created with {mb} MB; nvidia.gpus memory_total = "
                    f"{int(total) // 2**20} MiB"
                )
    if not score:
        return []
    for gpu in gpus:
        foreign = _foreign(gpu)
        frac = gpu.memory_fraction_used()
        if foreign:
            score = 93
            ev += foreign
        if frac is not None:
            ev.append(f"{gpu.path('memory_used_bytes')} / memory_total_bytes = {frac:.0%} used")
            if frac < 0.5 and not foreign:
                score = min(score, 30)
    return [Candidate("gpu_memory_held_by_other_process", score, tuple(ev))]


def allocator_handles(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = log.find(
        r"Could not create cudnn handle: "
        r"CUDNN_STATUS_(INTERNAL_ERROR|NOT_INITIALIZED|ALLOC_FAILED)",
        r"failed to create cublas handle",
        r"Failed to get convolution algorithm",
        r"DNN library initialization failed",
    )
    if not lines or log.find(r"possibly insufficient driver version", r"Loaded runtime CuDNN"):
        return []
    score, ev = 75, list(quote(lines))
    m = log.search(r"Memory usage: (\d+) bytes free, (\d+) bytes total")
    if m and int(m.group(2)) and int(m.group(1)) / int(m.group(2)) < 0.1:
        score = 85
        ev.append(m.group(0))
    for gpu in facts.gpus():
        if _foreign(gpu):
            score = 40
        elif gpu.raw.get("processes"):
            score = max(score, 90)
            ev.append(f"{gpu.path('processes')}: only our own process holds memory")
    if (facts.env("TF_FORCE_GPU_ALLOW_GROWTH") or "").lower() == "true":
        score = min(score, 45)
        ev.append(fact("env.TF_FORCE_GPU_ALLOW_GROWTH", "true"))
    return [Candidate("tf_allocator_oom_handle_failure", score, tuple(ev))]


RULES = (busy_or_unavailable, memory_held, allocator_handles)
