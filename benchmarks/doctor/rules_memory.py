"""Rules for a GPU that is enumerated but refuses work: busy/unavailable (error 46),
memory held by others, and TensorFlow's own pre-allocation starving cuDNN/cuBLAS.

Error 46 ("busy or unavailable") has four causes. Without fingerprint facts the rule lists them
in the order to check, each saying which fact settles it; with facts it confirms one and rules
the others out (research note section 1).
"""

from __future__ import annotations

import re

from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.findings import Candidate, checklist, fact
from benchmarks.doctor.logfacts import (
    VGPU_NAME,
    smi_compute_modes,
    smi_gpu_names,
    smi_memory_full,
)
from benchmarks.doctor.logscan import LogLine, ScannedLog, quote
from benchmarks.doctor.registry import rule
from benchmarks.doctor.signals import code_lines, created_memory_mb
from benchmarks.doctor.success import success_lines
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


@rule(
    Code.VGPU_UNLICENSED,
    Code.EXCLUSIVE_COMPUTE_MODE,
    Code.DRIVER_MISSING_OR_NOT_LOADED,
    Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS,
    Code.UNEXPLAINED,
)
def busy_or_unavailable(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """Error 46 / 216: the GPU is listed but refuses a context."""
    e46 = code_lines(log, 46)
    if not e46 and not success_lines(log)[1]:  # a user's "the GPUs are busy", with no success
        e46 = log.find(r"\b(GPUs?|devices?) (are|is) busy\b")
    # (TF 1.x's "creating context when one is currently active" is a benign multi-GPU warning)
    e216 = log.find(r"CONTEXT_ALREADY_IN_USE", r"\(0 vs\. 216\)")
    if not (e46 or e216):
        return []
    ev = quote(e46 + e216)
    gpus = facts.gpus()
    if not gpus:
        ex = Level.STRONG if e216 else Level.POSSIBLE
        vgpu_hint = log.find(
            r"License Status\s*:\s*Unlicensed", r"name: GRID ", r"name: NVIDIA \w+-\d+[QC]\b"
        ) + [line for name, line in smi_gpu_names(log) if re.search(VGPU_NAME, f"GRID {name}")]
        if vgpu_hint:
            vg = Level.DECISIVE if "nlicensed" in vgpu_hint[0].text else Level.LIKELY
            return [
                Candidate(Code.VGPU_UNLICENSED, vg, quote(e46 + vgpu_hint)),
                Candidate(Code.EXCLUSIVE_COMPUTE_MODE, Level.HINT, ev),
            ]
        seen = _seen_in_smi(log, ev)
        if any(c.score >= Level.POSSIBLE for c in seen):
            return seen
        steps = [
            (
                Code.EXCLUSIVE_COMPUTE_MODE,
                "Check first: nvidia.gpus[*].compute_mode (`nvidia-smi -q -d COMPUTE`); "
                "Exclusive_Process/Prohibited with another process on the GPU settles it.",
            ),
            (
                Code.VGPU_UNLICENSED,
                "Check second: is this a vGPU guest (`nvidia-smi -q`: Virtualization Mode "
                "VGPU, vGPU License Status)? 'Unlicensed' settles it.",
            ),
            (
                Code.DRIVER_MISSING_OR_NOT_LOADED,
                "Check third: does nvidia-smi work? If it fails or a driver reinstall is "
                "pending, the driver install is broken.",
            ),
            (
                Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS,
                "Check fourth: memory.used close to memory.total with other PIDs "
                "(`nvidia-smi --query-compute-apps=pid,used_memory --format=csv`) "
                "settles it.",
            ),
        ]
        if seen:  # nvidia-smi shows compute mode Default: exclusive mode is ruled out
            return seen + checklist(Level.POSSIBLE, ev, steps[1:])
        return checklist(ex, ev, steps)
    out: list[Candidate] = []
    ex_score, ex_ev = Level.RULED_OUT, list(ev)
    vg_score, vg_ev = Level.RULED_OUT, list(ev)
    mem_score, mem_ev = Level.RULED_OUT, list(ev)
    for gpu in gpus:
        mode = gpu.get("compute_mode")
        foreign = _foreign(gpu)
        if mode in EXCLUSIVE_MODES:
            ex_ev.append(fact(gpu.path("compute_mode"), mode))
            if foreign or mode == "Prohibited":
                ex_score = max(ex_score, Level.CERTAIN)
                ex_ev += foreign
            else:
                ex_score = max(ex_score, Level.CLEAR)
                ex_ev.append(
                    f"{gpu.path('processes')}: none visible (another context in this "
                    "process, or a PID namespace hiding the owner)"
                )
        elif mode == "Default":
            ex_ev.append(fact(gpu.path("compute_mode"), "Default"))
        if e216:
            ex_score = max(ex_score, Level.STRONG)
        if _is_vgpu(gpu):
            lic = str(gpu.get("vgpu_license") or "")
            vg_ev.append(fact(gpu.path("virtualization_mode"), gpu.get("virtualization_mode")))
            vg_ev.append(fact(gpu.path("vgpu_license"), lic or None))
            vg_score = max(vg_score, Level.CERTAIN if "unlicensed" in lic.lower() else Level.WEAK)
        frac = gpu.memory_fraction_used()
        if frac is not None and frac >= 0.9:
            mem_ev.append(f"{gpu.path('memory_used_bytes')} / memory_total_bytes = {frac:.0%} used")
            mem_score = max(mem_score, Level.DECISIVE if foreign else Level.LIKELY)
            mem_ev += foreign
    out += [
        Candidate(Code.EXCLUSIVE_COMPUTE_MODE, ex_score, tuple(ex_ev)),
        Candidate(Code.VGPU_UNLICENSED, vg_score, tuple(vg_ev)),
        Candidate(Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS, mem_score, tuple(mem_ev)),
    ]
    if facts.nvidia_ok() is False:
        out.append(
            Candidate(
                Code.DRIVER_MISSING_OR_NOT_LOADED,
                Level.PROBABLE,
                (*ev, fact("nvidia.error", facts.nvidia_error())),
                "nvidia-smi/NVML itself fails: the driver install is broken.",
            )
        )
    if max(ex_score, vg_score, mem_score) < Level.POSSIBLE and facts.nvidia_ok() is not False:
        out.append(
            Candidate(
                Code.UNEXPLAINED,
                Level.PROBABLE,
                (*ev, "compute_mode Default, no foreign processes, not a vGPU, memory free"),
                "Error 46 with every known cause ruled out: the GPU or driver is in a bad "
                "state. Look for Xid in `dmesg`, check nvidia-persistenced, reset or reboot.",
            )
        )
    return out


def _seen_in_smi(log: ScannedLog, ev: tuple[str, ...]) -> list[Candidate]:
    """Error 46 read with nvidia-smi's table in the same log: its compute mode and memory."""
    modes, full = smi_compute_modes(log), smi_memory_full(log)
    out: list[Candidate] = []
    exclusive = [line for mode, line in modes if mode != "Default"]
    if exclusive:
        out.append(Candidate(Code.EXCLUSIVE_COMPUTE_MODE, Level.CLEAR, ev + quote(exclusive, 1)))
    elif modes:
        out.append(Candidate(Code.EXCLUSIVE_COMPUTE_MODE, Level.WEAK, ev + quote([modes[0][1]])))
    if full:
        out.append(
            Candidate(Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS, Level.LIKELY, ev + quote(full, 1))
        )
    return out


_SIZE = r"([\d.]+)\s*([GM])i?B"


def _little_free(log: ScannedLog, fraction: float = 0.1) -> list[LogLine]:
    """TF1's device properties ("Total memory: 2.94GiB" then "Free memory: 105.88MiB", or
    "totalMemory: 10.73GiB freeMemory: 64.56MiB" on one line) with less than ``fraction`` free
    before TensorFlow allocated anything: the lines that give the free memory."""
    out: list[LogLine] = []
    total: float | None = None
    for line in log.lines:
        if m := re.search(rf"Total ?memory:\s*{_SIZE}", line.text, re.IGNORECASE):
            total = _mib(m)
        if (m := re.search(rf"Free ?memory:\s*{_SIZE}", line.text, re.IGNORECASE)) and total:
            if _mib(m) < fraction * total:
                out.append(line)
            total = None
    return out


def _mib(m: re.Match[str]) -> float:
    return float(m.group(1)) * (1024 if m.group(2) == "G" else 1)


_MIB = 2**20


@rule(Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS)
def memory_held(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """Context creation or the allocator ran out of memory held by others."""
    oom = log.find(
        r"implicit initialization on GPU:\d+ failed\. Status: out of memory",
        r"cuDevicePrimaryCtxRetain: CUDA_ERROR_OUT_OF_MEMORY",
        r"cuCtxCreate.*CUDA_ERROR_OUT_OF_MEMORY",
        r"failed to allocate .* from device: CUDA_ERROR_OUT_OF_MEMORY",
        r"driver: cuDevicePrimaryCtxRetain.* -> 2 CUDA_ERROR_OUT_OF_MEMORY",
        # the first call that creates a context, failing for memory (OptiX, C++ programs)
        r"\b(cudaFree\(0\s*\)|PrimaryCtxRetain|cuCtxCreate|cudaSetDevice)\W.{0,80}out of memory",
        # vLLM V1 measures the free memory before it loads anything: others hold the rest
        r"Free memory on device \([\d.]+/[\d.]+ GiB\) on startup is less than desired",
        # PyTorch's bare OOM (no "Tried to allocate"): the context or first buffer, not training
        r"^\W*RuntimeError: CUDA error: out of memory\s*$",
    )
    score, ev = (Level.LIKELY if oom else 0), list(quote(oom))
    nearly_full = _little_free(log)
    if nearly_full:
        score = max(score, Level.LIKELY)
        ev += quote(nearly_full)
    gpus = facts.gpus()
    for line, mb in created_memory_mb(log):
        total = max((g.get("memory_total_bytes") or 0 for g in gpus), default=0)
        if (total and mb * _MIB < 0.25 * total) or (not total and mb < 1024):
            score = max(score, Level.LIKELY)
            ev.append(line.text)
            # a device that came up with almost no memory is no healthy start, even when a
            # later device of the same run came up whole: said as a fact, so it stands
            ev.append(
                f"device created with {mb} MB; nvidia.gpus memory_total = {int(total) // _MIB} MiB"
                if total
                else f"a GPU device created with only {mb} MB: the rest was already taken"
            )
    if not score:
        return []
    for gpu in gpus:
        foreign = _foreign(gpu)
        frac = gpu.memory_fraction_used()
        if foreign:
            score = Level.CERTAIN
            ev += foreign
        if frac is not None:
            ev.append(f"{gpu.path('memory_used_bytes')} / memory_total_bytes = {frac:.0%} used")
            if frac < 0.5 and not foreign:
                score = min(score, Level.WEAK)
    return [Candidate(Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS, score, tuple(ev))]


@rule(Code.TF_ALLOCATOR_OOM_HANDLE_FAILURE)
def allocator_handles(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """TensorFlow's pre-allocation starved cuDNN/cuBLAS handles."""
    lines = log.find(
        r"Could not create cudnn handle: "
        r"CUDNN_STATUS_(INTERNAL_ERROR|NOT_INITIALIZED|ALLOC_FAILED)",
        r"failed to create cublas handle",
        r"Failed to get convolution algorithm",
        r"DNN library initialization failed",
        r"Blas (GEMM|xGEMM|SGEMM) launch failed",
    )
    if not lines or log.find(r"possibly insufficient driver version", r"Loaded runtime CuDNN"):
        return []
    score, ev = Level.CLEAR, list(quote(lines))
    m = log.search(r"Memory usage: (\d+) bytes free, (\d+) bytes total")
    if m and int(m.group(2)) and int(m.group(1)) / int(m.group(2)) < 0.1:
        score = Level.STRONG
        ev.append(m.group(0))
    for gpu in facts.gpus():
        if _foreign(gpu):
            score = Level.HINT
        elif gpu.raw.get("processes"):
            score = max(score, Level.DECISIVE)
            ev.append(f"{gpu.path('processes')}: only our own process holds memory")
    if (facts.env("TF_FORCE_GPU_ALLOW_GROWTH") or "").lower() == "true":
        score = min(score, Level.POSSIBLE)
        ev.append(fact("env.TF_FORCE_GPU_ALLOW_GROWTH", "true"))
    return [Candidate(Code.TF_ALLOCATOR_OOM_HANDLE_FAILURE, score, tuple(ev))]


@rule(Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS, Code.TF_ALLOCATOR_OOM_HANDLE_FAILURE)
def allocator_ran_out(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """TensorFlow's allocator ran out of GPU memory and nothing stronger says why: the memory
    family's two classes as weak candidates (HINT), in the research note's order of checks
    (another process's memory first, TF's own pre-allocation second)."""
    lines = log.find(r"Ran out of memory trying to allocate", r"\bOOM when allocating tensor")
    if not lines:
        return []
    return checklist(
        Level.HINT,
        quote(lines, 2),
        [
            (
                Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS,
                "Check `nvidia-smi` for other processes holding this GPU's memory.",
            ),
            (
                Code.TF_ALLOCATOR_OOM_HANDLE_FAILURE,
                "Or TensorFlow's own pre-allocation left too little: set "
                "TF_FORCE_GPU_ALLOW_GROWTH=true.",
            ),
        ],
    )
