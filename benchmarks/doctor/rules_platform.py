"""Rules for the layers below the GPU itself: build, visibility, container, driver, libraries.

Each rule reads log signatures first (what the log alone supports, medium confidence at best
when several classes share a message), then lets fingerprint facts confirm (raise) or rule out
(lower) the class. Scores: >= 75 high, >= 45 medium, else low (see model.confidence_for).
"""

from __future__ import annotations

import re

from benchmarks.doctor.findings import Candidate, fact
from benchmarks.doctor.logscan import ScannedLog, quote
from benchmarks.doctor.rules_container import docker_messages
from benchmarks.doctor.signals import (
    PROBE_PREFIX,
    code_lines,
    container_hostname_hint,
    created_device_lines,
)
from benchmarks.environment.view import FingerprintView

HIDING_VALUES = ("", "-1", "none", "void", "nodevfiles")


def cpu_only_build(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = log.find(
        rf"{PROBE_PREFIX} tensorflow: .*is_built_with_cuda=False",
        r"'is_cuda_build'[:,] False",
        r"Built with CUDA: False",
        r"tensorflow-cpu",
    )
    score = 70 if lines else 0
    ev = list(quote(lines))
    build = facts.is_cuda_build()
    if build is True:
        return []
    if build is False:
        # With no GPU device node at all, the missing driver/GPU is the root cause; the
        # CPU-only build is the second thing to fix.
        score = 70 if facts.has_gpu_nodes() is False else 88
        ev.append(fact("tensorflow.build_info.is_cuda_build", False))
        if facts.package("tensorflow-cpu"):
            ev.append(fact("python.packages.tensorflow-cpu", facts.package("tensorflow-cpu")))
    return [Candidate("cpu_only_build_or_platform", score, tuple(ev))] if score else []


def visible_devices_hidden(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    score, ev = 0, []
    explicit = log.find(
        r"CUDA_VISIBLE_DEVICES=(-1|none|\"\"|''|\s*$)", r"NVIDIA_VISIBLE_DEVICES=(none|void)"
    )
    if explicit:
        score, ev = 85, list(quote(explicit))
    no_dev = code_lines(log, 100)
    match_dso = log.find(r"kernel version seems to match DSO")
    if no_dev and match_dso:
        score, ev = max(score, 72), ev + list(quote(no_dev + match_dso))
    elif no_dev:
        score, ev = max(score, 40), ev + list(quote(no_dev, 2))
    ordinal = log.find(
        r"Invalid device ordinal",
        r"Could not satisfy explicit device specification "
        r"'/(job:localhost/replica:0/task:0/)?device:GPU",
    )
    if ordinal:
        score, ev = max(score, 55), ev + list(quote(ordinal, 2))
    cvd, nvd = facts.env("CUDA_VISIBLE_DEVICES"), facts.env("NVIDIA_VISIBLE_DEVICES")
    gpus = facts.gpus()
    if cvd is not None and cvd.strip().lower() in HIDING_VALUES:
        score = max(score, 92) if (score or not created_device_lines(log)) else score
        ev.append(fact("env.CUDA_VISIBLE_DEVICES", repr(cvd)))
    elif cvd is not None and gpus:
        indices = [p.strip() for p in cvd.split(",") if p.strip().isdigit()]
        if indices and all(int(i) >= len(gpus) for i in indices):
            score = max(score, 90)
            ev.append(fact("env.CUDA_VISIBLE_DEVICES", repr(cvd)))
            ev.append(f"nvidia.gpus has {len(gpus)} GPU(s)")
    if nvd is not None and nvd.strip().lower() in ("none", "void", ""):
        score = max(score, 88) if score else 0
        ev.append(fact("env.NVIDIA_VISIBLE_DEVICES", repr(nvd)))
    if score and facts.env_known() and cvd is None and nvd is None and score < 80:
        score = 12  # nothing hides the GPU
        ev.append("env: CUDA_VISIBLE_DEVICES and NVIDIA_VISIBLE_DEVICES unset")
    return [Candidate("cuda_visible_devices_hidden", score, tuple(ev))] if score else []


def driver_missing(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    strong = log.find(
        r"libcuda\.so\.1: cannot open shared object file",
        r"Could not load dynamic library 'libcuda\.so\.1'",
        r"kernel driver does not appear to be running on this host",
        r"no NVIDIA GPU device is present: /dev/nvidia0 does not exist",
        r"couldn't communicate with the NVIDIA driver",
        r"nvidia-container-cli: initialization error: nvml error: driver not loaded",
        r"NVIDIA kernel module missing",
    )
    weak = code_lines(log, 303)
    score = 62 if strong else (55 if weak else 0)
    note = ""
    ev = list(quote(strong + weak))
    hint = container_hostname_hint(log)
    if score and (hint or docker_messages(log)[0]):
        score = 42
    in_c, nodes = facts.in_container(), facts.has_gpu_nodes()
    proc = facts.proc_driver_version()
    kind = facts.nvidia_error_kind()
    kind_says_missing = kind in ("driver_not_loaded", "library_not_found")
    if nodes is False and not in_c and (score or kind_says_missing):
        score = 95
        ev.append("nvidia.device_nodes: no /dev/nvidia* node")
        if facts.proc_driver_known() and proc is None:
            ev.append("nvidia.proc_driver_version = None (no /proc/driver/nvidia/version)")
        if in_c is False:
            ev.append(fact("host.container.in_container", False))
        if facts.nvidia_error():
            ev.append(fact("nvidia.error", facts.nvidia_error()))
    elif nodes is None and in_c is False and strong:
        score = 80  # libcuda/kernel module absent on a bare host
        ev.append(fact("in_container", False))
    elif in_c and nodes is False and score:
        ev.append(fact("host.container.in_container", True))
        ev.append("nvidia.device_nodes: no /dev/nvidia* node")
        if facts.gpu_intended() or docker_messages(log)[0]:
            score = 30  # a GPU setup whose container was not given the GPU
        else:
            # Nothing here was set up for a GPU (CPU build, no NVIDIA_* variables): the
            # simplest reading is a host without an NVIDIA GPU/driver; a container cannot see
            # its host, so container_gpu_not_exposed stays the second candidate.
            score = 80
            note = (
                "Seen from inside a container: if the host does have an NVIDIA GPU, the "
                "container was not given it (container_gpu_not_exposed)."
            )
    elif nodes is True and score:
        score = 25 if proc else 45
        ev.append("nvidia.device_nodes: /dev/nvidia0 present")
    return [Candidate("driver_missing_or_not_loaded", score, tuple(ev), note)] if score else []


def _module_version(proc_text: str) -> str | None:
    m = re.search(r"Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?)", proc_text)
    return m.group(1) if m else None


def driver_library_mismatch(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    strong = log.find(
        r"does not match DSO version",
        r"Driver/library version mismatch",
        r"NVRM: API mismatch",
        r"nvml error: driver/library version mismatch",
    )
    s803 = code_lines(log, 803)
    s804 = code_lines(log, 804)
    score = 92 if strong else (55 if s803 else (35 if s804 else 0))
    ev = list(quote(strong + s803 + s804))
    kind = facts.nvidia_error_kind()
    if kind == "driver_library_mismatch":
        score = 95
        ev.append(fact("nvidia.error_kind", kind))
        if facts.nvidia_error():
            ev.append(fact("nvidia.error", facts.nvidia_error()))
    proc, user = facts.proc_driver_version(), facts.driver_version()
    module = _module_version(proc) if proc else None
    if module and user and module != user:
        score = max(score, 90)
        ev.append(f"kernel module {module} (/proc/driver/nvidia/version) != driver {user}")
    elif module and user and module == user and score and score < 90:
        score = 15
        ev.append(f"kernel module {module} == user-space driver {user}")
    return [Candidate("driver_library_version_mismatch", score, tuple(ev))] if score else []


def forward_compat(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = code_lines(log, 804) + log.find(r"forward compatibility was attempted")
    if not lines:
        return []
    score, ev = 65, list(quote(lines))
    if facts.nvidia_error_kind() == "driver_library_mismatch":
        score = 35
    ld = facts.env("LD_LIBRARY_PATH") or ""
    if "compat" in ld:
        score = max(score, 80)
        ev.append(fact("env.LD_LIBRARY_PATH", ld))
    for gpu in facts.gpus():
        name = str(gpu.get("name") or "")
        if any(k in name for k in ("GeForce", "RTX", "Quadro", "TITAN")):
            score = max(score, 88)
            ev.append(fact(gpu.path("name"), name) + " (not a datacenter GPU)")
            break
    return [Candidate("cuda_forward_compat_unsupported", score, tuple(ev))]


def fabric_manager(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = code_lines(log, 802) + log.find(r"system not yet initialized", r"Error 802")
    if not lines:
        return []
    score, ev = 82, list(quote(lines))
    for gpu in facts.gpus():
        name = str(gpu.get("name") or "")
        if "SXM" in name or "HBM" in name or "HGX" in name:
            score = 93
            ev.append(fact(gpu.path("name"), name) + " (NVSwitch-class board)")
            break
        if "PCIe" in name:
            score = 50
            ev.append(fact(gpu.path("name"), name))
            break
    return [Candidate("fabric_manager_not_ready", score, tuple(ev))]


def driver_too_old(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    strong = log.find(
        r"CUDA driver version is insufficient for CUDA runtime version",
        r"CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        r"the provided PTX was compiled with an unsupported toolchain",
        r"possibly insufficient driver version",
        r"requirement error: unsatisfied condition: cuda>=",
        r"\(35 vs\. 0\)",
        r"cudaErrorInsufficientDriver",
    )
    s803 = code_lines(log, 803)
    score = 85 if strong else (45 if s803 else 0)
    ev = list(quote(strong + s803))
    drv, build = facts.cuda_driver_version(), facts.build_cuda_version()
    if drv and build:
        shown = f"nvidia.cuda_driver_version = {'.'.join(map(str, drv))}, " + (
            f"tensorflow.build_info.cuda_version = {'.'.join(map(str, build))}"
        )
        if drv[:2] < build[:2] and (score or facts.nvidia_ok()):
            score = max(score, 92) if score else 60
            ev.append(shown + " (driver older)")
        elif score and drv[:2] >= build[:2] and not strong:
            score = 20
            ev.append(shown)
    return [Candidate("driver_too_old_for_cuda", score, tuple(ev))] if score else []


_CUDA_LIBS = r"lib(cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse|cudnn|nvJitLink|nccl)"


def cuda_libs(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    dso = log.find(rf"Could not load dynamic library '{_CUDA_LIBS}\.so")
    summary = log.find(r"Cannot dlopen some GPU libraries", r"Skipping registering GPU devices")
    stub = log.find(r"Could not find cuda drivers on your machine, GPU will not be used")
    score = 82 if dso else (75 if summary else (62 if stub else 0))
    if not score:
        return []
    ev = list(quote(dso + summary + stub))
    if facts.is_cuda_build() is False:
        return [Candidate("cuda_libs_missing_or_wrong_major", 10, tuple(ev))]
    if facts.has_gpu_nodes():
        score = min(score + 8, 92)
        ev.append("nvidia.device_nodes: /dev/nvidia0 present (the driver is there)")
    if stub and facts.nvidia_ok():
        ev.append("nvidia.status = ok: the driver works; it is libcudart that is missing")
    for pkg in ("nvidia-cuda-runtime-cu11", "nvidia-cudnn-cu11"):
        if facts.package(pkg):
            ev.append(fact(f"python.packages.{pkg}", facts.package(pkg)) + " (CUDA 11 libs)")
    return [Candidate("cuda_libs_missing_or_wrong_major", score, tuple(ev))]


def cudnn_mismatch(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    lines = log.find(r"Loaded runtime CuDNN library: .* but source was compiled with")
    if not lines:
        return []
    ev = list(quote(lines))
    if facts.build_cudnn_version():
        ev.append(fact("tensorflow.build_info.cudnn_version", facts.build_cudnn_version()))
    return [Candidate("cudnn_version_mismatch", 93, tuple(ev))]


def no_device_candidates(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """CUDA_ERROR_NO_DEVICE (100) alone has five causes; without facts, list them in the order
    to check, each with the fact that settles it. With facts the specific rules decide."""
    lines = code_lines(log, 100)
    if not lines or facts.present:
        return []
    ev = quote(lines, 2)
    driver_fine = bool(log.find(r"kernel version seems to match DSO"))
    out = [
        Candidate(
            "cuda_visible_devices_hidden",
            48,
            ev,
            "Check first: `echo $CUDA_VISIBLE_DEVICES` (empty, -1 or a missing index hides "
            "the GPU); NVIDIA_VISIBLE_DEVICES=none/void in containers.",
        ),
        Candidate(
            "container_gpu_not_exposed",
            40,
            ev,
            "Check third: inside a container with no /dev/nvidia0 node, the container was "
            "started without --gpus.",
        ),
        Candidate(
            "mig_misconfigured",
            36,
            ev,
            "Check fourth: `nvidia-smi` shows 'MIG M.: Enabled' and 'No MIG devices found'.",
        ),
        Candidate(
            "uvm_device_node_or_suspend",
            32,
            ev,
            "Check fifth: if it works with sudo, the /dev/nvidia* nodes are not accessible to "
            "this user (`ls -l /dev/nvidia*`).",
        ),
    ]
    if not driver_fine:
        out.append(
            Candidate(
                "driver_missing_or_not_loaded",
                44,
                ev,
                "Check second: does /proc/driver/nvidia/version exist and does `nvidia-smi` "
                "work? If not, the kernel module is not loaded.",
            )
        )
    return out


RULES = (
    no_device_candidates,
    cpu_only_build,
    visible_devices_hidden,
    driver_missing,
    driver_library_mismatch,
    forward_compat,
    fabric_manager,
    driver_too_old,
    cuda_libs,
    cudnn_mismatch,
)
