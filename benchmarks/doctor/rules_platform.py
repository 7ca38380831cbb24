"""Rules for the layers below the GPU itself: build, visibility, container, driver, libraries.

Each rule reads log signatures first (what the log alone supports, medium confidence at best
when several classes share a message), then lets fingerprint facts confirm (raise) or rule out
(lower) the class by whole ``codes.Level`` steps.
"""

from __future__ import annotations

import re

from benchmarks.doctor.codes import Code, Level, raised
from benchmarks.doctor.findings import Candidate, checklist, fact
from benchmarks.doctor.logscan import LogLine, ScannedLog, quote
from benchmarks.doctor.registry import rule
from benchmarks.doctor.rules_container import docker_messages
from benchmarks.doctor.signals import (
    DRIVER_BUT_NO_NODE,
    DRIVER_NOT_RUNNING,
    ORDINAL_BEYOND,
    PROBE_PREFIX,
    code_lines,
    container_hostname_hint,
    created_device_lines,
    driver_version_zero,
)
from benchmarks.environment.view import FingerprintView

HIDING_VALUES = ("", "-1", "none", "void", "nodevfiles")


@rule(Code.CPU_ONLY_BUILD_OR_PLATFORM)
def cpu_only_build(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """The TensorFlow build cannot use CUDA (build info, package names)."""
    lines = log.find(
        rf"{PROBE_PREFIX} tensorflow: .*is_built_with_cuda=False",
        r"'is_cuda_build'[:,] False",
        r"Built with CUDA: False",
        r"tensorflow-cpu",
    )
    score = Level.LIKELY if lines else 0
    ev = list(quote(lines))
    build = facts.is_cuda_build()
    if build is True:
        return []
    if build is False:
        # With no GPU device node at all, the missing driver/GPU is the root cause; the
        # CPU-only build is the second thing to fix.
        score = Level.LIKELY if facts.has_gpu_nodes() is False else Level.STRONG
        ev.append(fact("tensorflow.build_info.is_cuda_build", False))
        if facts.package("tensorflow-cpu"):
            ev.append(fact("python.packages.tensorflow-cpu", facts.package("tensorflow-cpu")))
    return [Candidate(Code.CPU_ONLY_BUILD_OR_PLATFORM, score, tuple(ev))] if score else []


@rule(Code.CUDA_VISIBLE_DEVICES_HIDDEN)
def visible_devices_hidden(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES hide the GPU, or an ordinal is missing."""
    score, ev = 0, []
    explicit = log.find(
        r"CUDA_VISIBLE_DEVICES=(-1|none|NoDevFiles|\"\"|''|)(\s|$)",
        r"NVIDIA_VISIBLE_DEVICES=(none|void)",
        r"CUDA_VISIBLE_DEVICES['\"]\]\s*=\s*['\"](-1|)['\"]",  # os.environ[...] = "-1"
    )
    if explicit:
        score, ev = Level.STRONG, list(quote(explicit))
    no_dev = code_lines(log, 100)
    match_dso = log.find(r"kernel version seems to match DSO")
    if no_dev and match_dso:
        score, ev = max(score, Level.LIKELY), ev + list(quote(no_dev + match_dso))
    elif no_dev:
        score, ev = max(score, Level.HINT), ev + list(quote(no_dev, 2))
    ordinal = log.find(
        *ORDINAL_BEYOND,
        r"Could not satisfy explicit device specification "
        r"'/(job:localhost/replica:0/task:0/)?device:GPU",
    )
    if ordinal:  # below MIG's reading (rules_others), above it on a user's own workstation
        score, ev = max(score, Level.PROBABLE.step_down(1)), ev + list(quote(ordinal, 2))
    fewer = log.find(r"\bBut your machine only has: \[[\d, ]*\]")  # Lightning's device check
    if fewer:  # an empty list is also a machine without a working driver
        level = Level.PROBABLE if not re.search(r"\[\s*\]", fewer[0].text) else Level.POSSIBLE
        score, ev = max(score, level), ev + list(quote(fewer, 2))
    cvd, nvd = facts.env("CUDA_VISIBLE_DEVICES"), facts.env("NVIDIA_VISIBLE_DEVICES")
    gpus = facts.gpus()
    if cvd is not None and cvd.strip().lower() in HIDING_VALUES:
        score = max(score, Level.DECISIVE) if (score or not created_device_lines(log)) else score
        ev.append(fact("env.CUDA_VISIBLE_DEVICES", repr(cvd)))
    elif cvd is not None and gpus:
        indices = [p.strip() for p in cvd.split(",") if p.strip().isdigit()]
        if indices and all(int(i) >= len(gpus) for i in indices):
            score = max(score, Level.DECISIVE)
            ev.append(fact("env.CUDA_VISIBLE_DEVICES", repr(cvd)))
            ev.append(f"nvidia.gpus has {len(gpus)} GPU(s)")
    if nvd is not None and nvd.strip().lower() in ("none", "void", ""):
        score = max(score, Level.STRONG) if score else 0
        ev.append(fact("env.NVIDIA_VISIBLE_DEVICES", repr(nvd)))
    if score and facts.env_known() and cvd is None and nvd is None and score < Level.CLEAR:
        score = Level.DOUBTFUL  # nothing hides the GPU
        ev.append("env: CUDA_VISIBLE_DEVICES and NVIDIA_VISIBLE_DEVICES unset")
    return [Candidate(Code.CUDA_VISIBLE_DEVICES_HIDDEN, score, tuple(ev))] if score else []


@rule(Code.DRIVER_MISSING_OR_NOT_LOADED)
def driver_missing(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """libcuda or the kernel module is absent (or the host has no NVIDIA GPU)."""
    strong = log.find(
        r"libcuda\.so\.1: cannot open shared object file",
        r"Could not load dynamic library 'libcuda\.so\.1'",
        r"libcuda\.so: cannot open shared object file",  # the unversioned name, same library
        r"Could not load (dynamic )?library '?libcuda\.so\b",
        r"kernel driver does not appear to be running on this host",
        r"couldn't communicate with the NVIDIA driver",
        r"nvidia-container-cli: initialization error: nvml error: driver not loaded",
        r"NVIDIA kernel module missing",
        r"Module nvidia not found",  # modprobe: the driver's own module, not nvidia-uvm
    )
    # TF prints this only once /proc/driver/nvidia/version exists: the driver is loaded, the
    # device node is missing (a container not given the GPU, rules_container; on a host, the
    # nodes were never created)
    weak = code_lines(log, 303) + log.find(DRIVER_BUT_NO_NODE)
    score = Level.PROBABLE if strong else (Level.POSSIBLE if weak else 0)
    note = ""
    ev = list(quote(strong + weak))
    hint = container_hostname_hint(log)
    if score and (hint or docker_messages(log)[0]):
        score = Level.HINT
    in_c, nodes = facts.in_container(), facts.has_gpu_nodes()
    proc = facts.proc_driver_version()
    kind = facts.nvidia_error_kind()
    kind_says_missing = kind in ("driver_not_loaded", "library_not_found")
    if nodes is False and not in_c and (score or kind_says_missing):
        score = Level.CERTAIN
        ev.append("nvidia.device_nodes: no /dev/nvidia* node")
        if facts.proc_driver_known() and proc is None:
            ev.append("nvidia.proc_driver_version = None (no /proc/driver/nvidia/version)")
        if in_c is False:
            ev.append(fact("host.container.in_container", False))
        if facts.nvidia_error():
            ev.append(fact("nvidia.error", facts.nvidia_error()))
    elif nodes is None and in_c is False and strong:
        score = Level.CLEAR  # libcuda/kernel module absent on a bare host
        ev.append(fact("in_container", False))
    elif in_c and nodes is False and score:
        ev.append(fact("host.container.in_container", True))
        ev.append("nvidia.device_nodes: no /dev/nvidia* node")
        if facts.gpu_intended() or docker_messages(log)[0]:
            score = Level.WEAK  # a GPU setup whose container was not given the GPU
        else:
            # Nothing here was set up for a GPU (CPU build, no NVIDIA_* variables): the
            # simplest reading is a host without an NVIDIA GPU/driver; a container cannot see
            # its host, so container_gpu_not_exposed stays the second candidate.
            score = Level.CLEAR
            note = (
                "Seen from inside a container: if the host does have an NVIDIA GPU, the "
                "container was not given it (container_gpu_not_exposed)."
            )
    elif nodes is True and score:
        score = Level.WEAK if proc else Level.POSSIBLE
        ev.append("nvidia.device_nodes: /dev/nvidia0 present")
    return [Candidate(Code.DRIVER_MISSING_OR_NOT_LOADED, score, tuple(ev), note)] if score else []


def _module_version(proc_text: str) -> str | None:
    m = re.search(r"Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?)", proc_text)
    return m.group(1) if m else None


_REPORTED = {
    "dso": r"libcuda reported version is:\s*(\d+(?:\.\d+)*)",
    "kernel": r"kernel reported version is:\s*(\d+(?:\.\d+)*)",
}
Version = tuple[int, ...]


def _version(text: str) -> Version:
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 2 and parts[-1] == 0:
        parts.pop()  # "384.90.0" is 384.90
    return tuple(parts)


def _reported_versions(
    log: ScannedLog,
) -> tuple[tuple[Version, LogLine], tuple[Version, LogLine]] | None:
    """The user-space (libcuda) and kernel-module versions TF's cuda_diagnostics printed, when
    it printed both as numbers (the research note's "kernel != DSO version")."""
    found: dict[str, tuple[Version, LogLine]] = {}
    for key, pattern in _REPORTED.items():
        for line in log.find(pattern):
            m = re.search(pattern, line.text, re.IGNORECASE)
            if m and key not in found:
                found[key] = (_version(m.group(1)), line)
    if "dso" in found and "kernel" in found:
        return found["dso"], found["kernel"]
    return None


@rule(Code.DRIVER_LIBRARY_VERSION_MISMATCH)
def driver_library_mismatch(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """The kernel module and the user-space driver differ."""
    strong = log.find(
        r"does not match DSO version",
        r"Driver/library version mismatch",
        r"NVRM: API mismatch",
        r"nvml error: driver/library version mismatch",
        r"NVML_ERROR_LIB_RM_VERSION_MISMATCH",
        r"\bnvml(Init\w*| vram init)\W.{0,20}\b(err|failure)\b:? 18\b",  # the same by number
        r"\bCUDA Version: ERR!",  # nvidia-smi's header when libcuda and the module disagree
    )
    s803 = code_lines(log, 803)
    s804 = code_lines(log, 804)
    score = Level.DECISIVE if strong else (Level.PROBABLE if s803 else (Level.WEAK if s804 else 0))
    ev = list(quote(strong + s803 + s804))
    reported = _reported_versions(log)
    if reported is not None:  # TF's cuda_diagnostics: libcuda's and the kernel's versions
        (dso, dso_line), (kernel, kernel_line) = reported
        if dso != kernel:  # with error 804 the compat libcuda differs too: compat first
            score = max(score, Level.POSSIBLE if s804 else Level.DECISIVE)
            ev += [dso_line.text, kernel_line.text]
        elif score and score < Level.DECISIVE:
            score = Level.DOUBTFUL
            ev.append(f"libcuda and the kernel module both report {'.'.join(map(str, dso))}")
    kind = facts.nvidia_error_kind()
    if kind == "driver_library_mismatch":
        score = Level.CERTAIN
        ev.append(fact("nvidia.error_kind", kind))
        if facts.nvidia_error():
            ev.append(fact("nvidia.error", facts.nvidia_error()))
    proc, user = facts.proc_driver_version(), facts.driver_version()
    module = _module_version(proc) if proc else None
    if module and user and module != user:
        score = max(score, Level.DECISIVE)
        ev.append(f"kernel module {module} (/proc/driver/nvidia/version) != driver {user}")
    elif module and user and module == user and score and score < Level.DECISIVE:
        score = Level.DOUBTFUL
        ev.append(f"kernel module {module} == user-space driver {user}")
    return [Candidate(Code.DRIVER_LIBRARY_VERSION_MISMATCH, score, tuple(ev))] if score else []


@rule(Code.CUDA_FORWARD_COMPAT_UNSUPPORTED)
def forward_compat(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """Error 804: cuda-compat libraries on a GPU that does not support them."""
    lines = code_lines(log, 804) + log.find(r"forward compatibility was attempted")
    if not lines:
        s803 = code_lines(log, 803)  # the same version family: mismatch, too old, compat
        if not s803:
            return []
        note = (
            "Error 803 can also come from cuda-compat libraries loaded on a GPU that does not "
            "support them: check LD_LIBRARY_PATH for /usr/local/cuda/compat."
        )
        return [Candidate(Code.CUDA_FORWARD_COMPAT_UNSUPPORTED, Level.HINT, quote(s803), note)]
    score, ev = Level.LIKELY, list(quote(lines))
    if facts.nvidia_error_kind() == "driver_library_mismatch":
        score = Level.WEAK
    ld = facts.env("LD_LIBRARY_PATH") or ""
    if "compat" in ld:
        score = max(score, Level.CLEAR)
        ev.append(fact("env.LD_LIBRARY_PATH", ld))
    for gpu in facts.gpus():
        name = str(gpu.get("name") or "")
        if any(k in name for k in ("GeForce", "RTX", "Quadro", "TITAN")):
            score = max(score, Level.STRONG)
            ev.append(fact(gpu.path("name"), name) + " (not a datacenter GPU)")
            break
    return [Candidate(Code.CUDA_FORWARD_COMPAT_UNSUPPORTED, score, tuple(ev))]


@rule(Code.FABRIC_MANAGER_NOT_READY)
def fabric_manager(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """Error 802: an NVSwitch system whose Fabric Manager is not ready."""
    lines = code_lines(log, 802) + log.find(
        r"system not yet initialized",
        r"Error 802",
        # nv-fabricmanager refuses to start when its version is not the driver's
        r"driver interface version \S+ (don't|doesn't|does not) match with driver version",
    )
    if not lines:
        return []
    score, ev = Level.STRONG, list(quote(lines))
    for gpu in facts.gpus():
        name = str(gpu.get("name") or "")
        if "SXM" in name or "HBM" in name or "HGX" in name:
            score = Level.CERTAIN
            ev.append(fact(gpu.path("name"), name) + " (NVSwitch-class board)")
            break
        if "PCIe" in name:
            score = Level.POSSIBLE
            ev.append(fact(gpu.path("name"), name))
            break
    return [Candidate(Code.FABRIC_MANAGER_NOT_READY, score, tuple(ev))]


@rule(Code.DRIVER_TOO_OLD_FOR_CUDA)
def driver_too_old(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """The driver is older than the CUDA runtime or PTX needs."""
    strong = log.find(
        r"CUDA driver version is insufficient for CUDA runtime version",
        r"CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        r"the provided PTX was compiled with an unsupported toolchain",
        r"possibly insufficient driver version",
        r"requirement error: unsatisfied condition: cuda\s*>=",  # "cuda>=" and "cuda >= 9.2"
        r"\(35 vs\. 0\)",
        r"cudaErrorInsufficientDriver",
        r"unsupported CUDA version: (driver )?[\d.]+ < (image )?[\d.]+",  # nvidia-docker 1.0
        r"\bcudaErrorUnsupportedPtxVersion\b",
        r"This container was built for NVIDIA Driver Release [\d.]+ or later",  # NGC banner
        r"CUDA driver \d+(\.\d+)* is not compatible with any supported CUDA toolkit",  # CUDA.jl
        r"libcuda\.so[\d.]*: undefined symbol: cu\w+_v\d\b",  # a driver without the newer API
        r"\bcuda\w+(\(\))? returned 35\b",  # the runtime API: cudaErrorInsufficientDriver
        r"\bCUDA initialization failure with error:? 35\b",  # TensorRT, the runtime's number
        # FFmpeg's NVENC (HandBrake, OBS, Jellyfin, Plex): the encoder API the driver lacks
        r"Driver does not support the required nvenc API version",
    )
    if not log.first(r"Cannot load libnvidia-encode"):  # then the library is missing, not old
        strong += log.find(r"\bminimum required Nvidia driver (for nvenc )?is \d[\d.]* or newer")
    s803 = code_lines(log, 803)
    score = Level.STRONG if strong else (Level.POSSIBLE if s803 else 0)
    if strong and driver_version_zero(log):
        score = Level.WEAK  # a driver version of 0 is no driver, not an old one
    ev = list(quote(strong + s803))
    drv, build = facts.cuda_driver_version(), facts.build_cuda_version()
    if drv and build:
        shown = f"nvidia.cuda_driver_version = {'.'.join(map(str, drv))}, " + (
            f"tensorflow.build_info.cuda_version = {'.'.join(map(str, build))}"
        )
        if drv[:2] < build[:2] and (score or facts.nvidia_ok()):
            score = max(score, Level.DECISIVE) if score else Level.PROBABLE
            ev.append(shown + " (driver older)")
        elif score and drv[:2] >= build[:2] and not strong:
            score = Level.DOUBTFUL
            ev.append(shown)
    return [Candidate(Code.DRIVER_TOO_OLD_FOR_CUDA, score, tuple(ev))] if score else []


_CUDA_LIBS = (
    r"lib(cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse|cudnn\w*|nvJitLink|nccl|nvrtc)"
)


@rule(Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR)
def cuda_libs(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """CUDA runtime/math libraries or cuDNN could not be loaded."""
    dso = log.find(
        rf"Could not load dynamic library '{_CUDA_LIBS}\.so",
        rf"{_CUDA_LIBS}\S*\.so\S*: cannot open shared object file",
        rf"Could not load library {_CUDA_LIBS}\S*\.so",
        r"Could not locate (cudnn|cublas|cudart)\w*64_\d+\.dll",
        rf"Could not load library {_CUDA_LIBS.removeprefix('lib')}\w*64_\d+\.dll",  # Windows
        r"could not find cudnn\w+ in cudnn DSO",  # TF 1.x: the cuDNN it found is not one it can use
        rf"^\s*{_CUDA_LIBS}\S*\.so[\d.]* => not found",  # ldd of a CUDA program
        rf"Unable to load any of \{{{_CUDA_LIBS}\.so",  # CTranslate2
        r"Unable to load (CUDA|cuSPARSE|cuDNN|cuBLAS|cuFFT|cuSOLVER|cuPTI|cuRAND|NCCL|NVRTC)\. "
        r"Is it installed\?",  # JAX's CUDA plugin: "CUDA" is the runtime (libcudart)
        r"\bThe (cu[A-Z]\w+|CUDA|NCCL|NVRTC|nvJitLink) library (was|is) not found",  # JAX
        rf"Could not find '{_CUDA_LIBS.removeprefix('lib')}64_\d+\.dll'",
        rf"Could not load dynamic library '{_CUDA_LIBS.removeprefix('lib')}64_\d+\.dll'",
        r"nvrtc: error: failed to open (lib)?nvrtc-builtins\S*\.(so|dll)",  # NVRTC's own part
        r"CUDA SDK Toolkit (installation NOT detected|not installed or incorrectly installed)",
        r"Outdated NVIDIA CUDA Toolkit version '?\d+'? detected",  # hashcat's NVRTC check
        r"NVRTC_ERROR_BUILTIN_OPERATION_FAILURE|NVRTC_ERROR unknown \(7\)",
        # JAX's version check of every CUDA library beside cuDNN
        r"Found (cuBLAS|cuSPARSE|cuFFT|cuSOLVER|cuPTI|CUDA|NCCL|NVRTC|nvJitLink) version \d+, "
        r"but (JAX|jaxlib) was built against version \d+",
        r"CUDA backend failed to initiali[sz]e: Unable to load (CUDA|cu[A-Z]\w+|NCCL|NVRTC)\.",
    )
    summary = log.find(r"Cannot dlopen some GPU libraries", r"Skipping registering GPU devices")
    stub = log.find(r"Could not find cuda drivers on your machine, GPU will not be used")
    score = Level.STRONG if dso else (Level.CLEAR if summary else (Level.PROBABLE if stub else 0))
    if not score:
        return []
    ev = list(quote(dso + summary + stub))
    if facts.is_cuda_build() is False:
        return [Candidate(Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR, Level.RULED_OUT, tuple(ev))]
    if facts.has_gpu_nodes():
        score = min(raised(score), Level.DECISIVE)
        ev.append("nvidia.device_nodes: /dev/nvidia0 present (the driver is there)")
    if stub and facts.nvidia_ok():
        ev.append("nvidia.status = ok: the driver works; it is libcudart that is missing")
    for pkg in ("nvidia-cuda-runtime-cu11", "nvidia-cudnn-cu11"):
        if facts.package(pkg):
            ev.append(fact(f"python.packages.{pkg}", facts.package(pkg)) + " (CUDA 11 libs)")
    return [Candidate(Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR, score, tuple(ev))]


@rule(Code.CUDNN_VERSION_MISMATCH)
def cudnn_mismatch(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """The loaded cuDNN is older than the one TensorFlow was built with."""
    lines = log.find(
        r"Loaded runtime CuDNN library: .* but source was compiled with",
        r"cuDNN version incompatibility: .* compiled against .* but found runtime version",
        r"cuDNN version (mismatch|incompatib)",
        r"Found cuDNN version \d+, but .* built against version \d+",  # JAX
        r"Outdated cuDNN installation found",  # JAX's version check
        r"CUDNN_STATUS_(SUBLIBRARY_)?VERSION_MISMATCH",  # cuDNN 9's sub-libraries disagree
        r"compiled with CUDNN [\d.]+, but CUDNN version in your machine is [\d.]+",  # Paddle
    )
    if not lines:
        return []
    ev = list(quote(lines))
    if facts.build_cudnn_version():
        ev.append(fact("tensorflow.build_info.cudnn_version", facts.build_cudnn_version()))
    return [Candidate(Code.CUDNN_VERSION_MISMATCH, Level.CERTAIN, tuple(ev))]


@rule(
    Code.CUDA_VISIBLE_DEVICES_HIDDEN,
    Code.DRIVER_MISSING_OR_NOT_LOADED,
    Code.CONTAINER_GPU_NOT_EXPOSED,
    Code.MIG_MISCONFIGURED,
    Code.UVM_DEVICE_NODE_OR_SUSPEND,
)
def no_device_candidates(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """CUDA_ERROR_NO_DEVICE (100) alone has five causes; without facts, list them in the order
    to check, each with the fact that settles it. With facts the specific rules decide."""
    lines = code_lines(log, 100)
    if not lines or facts.present:
        return []
    ev = quote(lines, 2)
    driver_fine = bool(log.find(r"kernel version seems to match DSO"))
    driver_down = log.find(*DRIVER_NOT_RUNNING)
    in_container = bool(container_hostname_hint(log) or docker_messages(log)[0])
    steps = [
        (
            Code.CUDA_VISIBLE_DEVICES_HIDDEN,
            "Check first: `echo $CUDA_VISIBLE_DEVICES` (empty, -1 or a missing index hides "
            "the GPU); NVIDIA_VISIBLE_DEVICES=none/void in containers.",
        ),
        (
            Code.DRIVER_MISSING_OR_NOT_LOADED,
            "Check second: does /proc/driver/nvidia/version exist and does `nvidia-smi` "
            "work? If not, the kernel module is not loaded.",
        ),
        (
            Code.CONTAINER_GPU_NOT_EXPOSED,
            "Check third: inside a container with no /dev/nvidia0 node, the container was "
            "started without --gpus.",
        ),
        (
            Code.MIG_MISCONFIGURED,
            "Check fourth: `nvidia-smi` shows 'MIG M.: Enabled' and 'No MIG devices found'.",
        ),
        (
            Code.UVM_DEVICE_NODE_OR_SUSPEND,
            "Check fifth: if it works with sudo, the /dev/nvidia* nodes are not accessible to "
            "this user (`ls -l /dev/nvidia*`).",
        ),
    ]
    if driver_fine:
        steps = [s for s in steps if s[0] != Code.DRIVER_MISSING_OR_NOT_LOADED]
    if driver_down:
        # No /proc/driver/nvidia: the kernel module is not running here, or this container was
        # not given the driver. Hidden devices, MIG and the uvm node leave that file in place.
        keep = (Code.CONTAINER_GPU_NOT_EXPOSED, Code.DRIVER_MISSING_OR_NOT_LOADED)
        steps = sorted(
            (s for s in steps if s[0] in keep),
            key=lambda s: keep.index(s[0]) if in_container else -keep.index(s[0]),
        )
        ev = quote(lines + driver_down, 3)
    elif in_container:  # inside a container the engine not passing the GPU in comes first
        steps.sort(key=lambda s: s[0] != Code.CONTAINER_GPU_NOT_EXPOSED)
    return checklist(Level.POSSIBLE, ev, steps)
