"""Rules for failures at or after the device: busy/unavailable (46), memory, hardware,
architecture, fork and XLA toolchain.

Error 46 ("busy or unavailable") has four causes. Without fingerprint facts the rule lists them
in the order to check, each saying which fact settles it; with facts it confirms one and rules
the others out (research note section 1).
"""

from __future__ import annotations

import re

from benchmarks.diagnose.facts import Facts, Gpu, fact
from benchmarks.diagnose.logscan import ScannedLog, quote
from benchmarks.diagnose.model import Candidate
from benchmarks.diagnose.signals import (
    code_lines,
    created_device_lines,
    created_memory_mb,
    cuinit_lines,
)

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


def busy_or_unavailable(log: ScannedLog, facts: Facts) -> list[Candidate]:
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


def memory_held(log: ScannedLog, facts: Facts) -> list[Candidate]:
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


def allocator_handles(log: ScannedLog, facts: Facts) -> list[Candidate]:
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


def hardware_fault(log: ScannedLog, facts: Facts) -> list[Candidate]:
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


def ecc(log: ScannedLog, facts: Facts) -> list[Candidate]:
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


def capability_below_minimum(log: ScannedLog, facts: Facts) -> list[Candidate]:
    lines = log.find(r"Ignoring visible gpu device .* minimum required Cuda capability")
    return [Candidate("compute_capability_below_minimum", 93, quote(lines))] if lines else []


def _cc(gpu: Gpu) -> tuple[int, int] | None:
    m = re.match(r"(\d+)\.(\d+)", str(gpu.get("compute_capability") or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


def kernel_image(log: ScannedLog, facts: Facts) -> list[Candidate]:
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
    if elapsed is not None and elapsed > 120 and created_device_lines(log):
        score = max(score, 55)
        ev.append(f"context.probe_elapsed_s = {elapsed:.0f} (minutes to a first matmul: PTX JIT)")
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
    return [Candidate("no_kernel_image_for_arch", score, tuple(ev))]


def fork_after_init(log: ScannedLog, facts: Facts) -> list[Candidate]:
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


def xla_toolchain(log: ScannedLog, facts: Facts) -> list[Candidate]:
    lines = log.find(
        r"Can't find libdevice directory",
        r"libdevice not found at",
        r"Couldn't invoke ptxas",
        r"Couldn't get ptxas version",
        r"ptxas.*(not found|No such file)",
        r"JIT compilation failed",
    )
    return [Candidate("xla_toolchain_missing", 88, quote(lines))] if lines else []


def uvm_or_suspend(log: ScannedLog, facts: Facts) -> list[Candidate]:
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


def mig(log: ScannedLog, facts: Facts) -> list[Candidate]:
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
    busy_or_unavailable,
    memory_held,
    allocator_handles,
    hardware_fault,
    ecc,
    capability_below_minimum,
    kernel_image,
    fork_after_init,
    xla_toolchain,
    uvm_or_suspend,
    mig,
)
