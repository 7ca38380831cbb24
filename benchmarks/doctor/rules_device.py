"""Rules for failures at the device itself or after it came up: hardware faults, ECC,
architecture (too old / no kernels), MIG, the UVM node, fork, and the XLA toolchain.
"""

from __future__ import annotations

import re

from benchmarks.doctor import archfacts
from benchmarks.doctor.codes import Code, Level, raised
from benchmarks.doctor.findings import Candidate, checklist, fact
from benchmarks.doctor.logfacts import (
    MIG_INSTANCE,
    MIG_MODE_ON,
    answers_of,
    device_nodes_listed,
    device_setup_pause,
    slow_start,
)
from benchmarks.doctor.logscan import LogLine, ScannedLog, quote
from benchmarks.doctor.registry import rule
from benchmarks.doctor.signals import (
    code_lines,
    created_device_lines,
    cuinit_lines,
    driver_down_lines,
    uvm_module_lines,
)
from benchmarks.environment.view import FingerprintView, Gpu

SLOW_START_S = 120.0  # a first op this much later than the device is not a normal start
_PTX_JIT = (
    "typically the driver JIT-compiling the build's PTX for an architecture the build has no "
    "kernels for (degraded, not healthy: every fresh process pays it again unless the JIT cache "
    "is kept)."
)


@rule(Code.GPU_FELL_OFF_BUS_HW_FAULT)
def hardware_fault(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """Xid 79 and friends: the GPU fell off the bus."""
    lines = log.find(
        r"fallen off the bus",
        r"Xid \([^)]*\): (79|62|119)\b",
        r"GPU is lost",
        r"Unable to determine the device handle for GPU",
        r"RmInitAdapter failed",
        r"Surprise Down",
        r"\bNVML\b.*\berror code 15\b",  # NVML_ERROR_GPU_IS_LOST by its number (miners)
    )
    score, ev = (Level.DECISIVE if lines else 0), list(quote(lines))
    err = facts.nvidia_error() or ""
    if "GPU is lost" in err or "Unable to determine the device handle" in err:
        score = Level.DECISIVE
        ev.append(fact("nvidia.error", err))
    return [Candidate(Code.GPU_FELL_OFF_BUS_HW_FAULT, score, tuple(ev))] if score else []


@rule(Code.ECC_UNCORRECTABLE)
def ecc(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """An uncorrectable ECC error poisoned the GPU."""
    lines = log.find(
        r"CUDA_ERROR_ECC_UNCORRECTABLE",
        r"uncorrectable ECC error",
        r"Double Bit ECC Error",
        r"Xid \([^)]*\): (48|63|64|94|95)\b",
    )
    score, ev = (Level.DECISIVE if lines else 0), list(quote(lines))
    for gpu in facts.gpus():
        ecc_info = gpu.get("ecc")
        if isinstance(ecc_info, dict) and (ecc_info.get("uncorrected_volatile") or 0) > 0:
            score = max(score, Level.PROBABLE) if not score else Level.CERTAIN
            ev.append(fact(gpu.path("ecc.uncorrected_volatile"), ecc_info["uncorrected_volatile"]))
    return [Candidate(Code.ECC_UNCORRECTABLE, score, tuple(ev))] if score else []


@rule(Code.COMPUTE_CAPABILITY_BELOW_MINIMUM)
def capability_below_minimum(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """TensorFlow ignores a GPU below its minimum compute capability."""
    # PyTorch's own words, except under ROCm, where they are about HIP's stand-in capability
    pytorch = () if archfacts.is_rocm(log) else (_PYTORCH_TOO_OLD,)
    lines = log.find(
        *pytorch,
        r"Ignoring (visible )?gpu device .* minimum required Cuda capability",
        r"Ignoring (visible )?gpu device .*with Cuda compute capability",
        r"Ignoring gpu device .* minimum required",
        r"minimum (cuda|compute) capability (supported|required).* is \d",
        r"minimum required (cuda |compute )+capability:? \d\.\d",  # "... found with minimum ..."
        r"(does not|no longer) supports? (devices|GPUs) with compute capability",
        r"requires (CUDA )?compute capability \d\.\d or (higher|newer)",
        r"\brequires \d\.\d capability\b",  # "the 't' kernel requires 5.0 capability!"
        r"\bdevices with SM \d\.\d and (higher|above|newer) are supported",
        r"\bDetected NVIDIA .+ GPU, which is not supported by this container",  # NGC images
        r"\(Compute Capability \d+\.\d\) or newer architecture is required",  # RAPIDS
        r"too old to be supported by the triton GPU compiler",  # torch.compile (Inductor)
        r"Triton only supports devices of CUDA Capability >= \d+\.\d",
        r"\bCUDA GPU is too old\b",  # Ollama's discovery
        r"FlashAttention only supports Ampere GPUs or newer",
        r"This hardware has outdated CUDA compute capability \(\d+\.\d\)",  # hashcat
        r"minimum required (cuda |compute )+capability is:? \d+\.\d",
    )
    lines += [ln for ln in _pytorch_arch(log) if not _pytorch_too_new(log, ln)]
    lines += [ln for ln in _unsupported_capability(log) if _capability(ln) < _NEWEST_OLD]
    return (
        [Candidate(Code.COMPUTE_CAPABILITY_BELOW_MINIMUM, Level.CERTAIN, quote(lines))]
        if lines
        else []
    )


# "compute capability X.Y (is) not supported" serves both ways: below a framework's minimum
# (3.x-6.x: the GPU is too old) or above its newest build target (8.x and up: no kernels).
_UNSUPPORTED_CC = (
    r"(unsupported|not supported)\W.{0,30}compute capability:? (\d+)\.(\d)",
    r"compute capability:? (\d+)\.(\d)\W.{0,30}(unsupported|not supported)",
)
_NEWEST_OLD = (7, 0)  # below this a capability is too old for today's builds, not too new


def _unsupported_capability(log: ScannedLog) -> list[LogLine]:
    return log.find(*_UNSUPPORTED_CC)


def _capability(line: LogLine) -> tuple[int, int]:
    m = re.search(r"compute capability:? (\d+)\.(\d)", line.text, re.IGNORECASE)
    return (int(m.group(1)), int(m.group(2))) if m else _NEWEST_OLD


_PYTORCH_TOO_OLD = r"PyTorch no longer supports this GPU because it is too old"
_PYTORCH_ARCH = r"with CUDA capability sm_(\d+) is not compatible with the current PyTorch"


def _pytorch_arch(log: ScannedLog) -> list[LogLine]:
    return log.find(_PYTORCH_ARCH)


def _pytorch_too_new(log: ScannedLog, line: LogLine) -> bool:
    """PyTorch's message serves both ways: below its oldest or above its newest sm_ (the
    supported list follows on the same or the next lines)."""
    m = re.search(_PYTORCH_ARCH, line.text)
    after = " ".join(ln.text for ln in log.lines[line.number : line.number + 2])
    listed = line.text.split("compatible", 1)[-1] + " " + after
    built = [int(s) for s in re.findall(r"\bsm_(\d+)", listed)]
    return m is not None and (not built or int(m.group(1)) > max(built))


def _cc(gpu: Gpu) -> tuple[int, int] | None:
    m = re.match(r"(\d+)\.(\d+)", str(gpu.get("compute_capability") or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


@rule(Code.NO_KERNEL_IMAGE_FOR_ARCH)
def kernel_image(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """No kernels for this architecture: PTX JIT or an invalid image."""
    errors = log.find(
        r"device kernel image is invalid",
        r"no kernel image is available for execution on the device",
        r"CUDA_ERROR_NO_BINARY_FOR_GPU",
        r"CUDA_ERROR_INVALID_IMAGE",
        r"invalid device function",  # cudaErrorInvalidDeviceFunction: no kernel for this sm_
        r"\bNo_?Binary_?For_?Gpu\b",  # the same code as Rust's cust names it
        # NVRTC asked to compile for an architecture it does not know (hashcat, CuPy)
        r"invalid value for --gpu-architecture|NVRTC_ERROR_INVALID_OPTION",
        r"PTX version [\d.]+ does not support target '?sm_\d+",  # LLVM's NVPTX back end
        r"skipping CUDA device\W+compute capability not in compiled architectures",  # Ollama
        r"Mismatched GPU Architecture: The installed PaddlePaddle package was compiled for",
    )
    errors += [ln for ln in _pytorch_arch(log) if _pytorch_too_new(log, ln)]
    errors += [ln for ln in _unsupported_capability(log) if _capability(ln) >= (8, 0)]
    jit = log.find(r"CUDA kernels will be jit-compiled from PTX")
    score = Level.STRONG if errors else (Level.LIKELY if jit else 0)
    ev = list(quote(errors + jit))
    elapsed = facts.probe_elapsed_s()
    note = ""
    if elapsed is not None and elapsed > 120 and created_device_lines(log):
        score = max(score, Level.PROBABLE)
        ev.append(f"context.probe_elapsed_s = {elapsed:.0f} (minutes to a first matmul: PTX JIT)")
    created = created_device_lines(log)
    paused = slow_start(log, created[0], SLOW_START_S) if created else None
    setup = device_setup_pause(log)
    pauses: list[tuple[LogLine, LogLine, float, str]] = []
    if paused:
        pauses.append(
            (created[0], *paused, "The GPU came up, but its first GPU work came minutes later")
        )
    if setup:
        pauses.append((*setup, "TensorFlow took minutes to create its GPU context"))
    for before, after, gap, what in pauses:
        score = max(score, Level.PROBABLE)
        ev += [before.text, after.text, f"{gap:.0f} s between these two lines"]
        note = f"{what}: {_PTX_JIT}"
    slow = log.find(r"graphbench-probe: probe: (slow start|timed out after)")
    if slow:
        score = max(score, Level.POSSIBLE)
        ev += quote(slow, 1)
        note = (
            "A start that takes minutes (or runs past the probe timeout) is typically PTX JIT "
            "compilation; a hung driver is the other possibility (look for Xid in dmesg)."
        )
    if facts.ctx.get("timed_out") is True and not slow:
        score = max(score, Level.POSSIBLE)
        ev.append("context.timed_out = True")
    if not score:
        return []
    built = facts.build_compute_capabilities()
    for gpu in facts.gpus():
        cc = _cc(gpu)
        if cc and built and cc not in built and cc > max(built):
            score = raised(score)
            ev.append(
                fact(gpu.path("compute_capability"), f"{cc[0]}.{cc[1]}")
                + f" > newest in build ({max(built)[0]}.{max(built)[1]})"
            )
    return [Candidate(Code.NO_KERNEL_IMAGE_FOR_ARCH, score, tuple(ev), note)]


@rule(Code.NO_KERNEL_IMAGE_FOR_ARCH, Code.DRIVER_TOO_OLD_FOR_CUDA)
def invalid_ptx(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """Error 218 (CUDA_ERROR_INVALID_PTX): the driver could not JIT the build's PTX for this
    GPU. The build has no SASS for the GPU's architecture (and its PTX does not fit it) first;
    a driver too old for the PTX's toolkit second (its own code, 222, says so more often)."""
    lines = code_lines(log, 218)
    if not lines:
        return []
    return checklist(
        Level.PROBABLE,
        quote(lines),
        [
            (
                Code.NO_KERNEL_IMAGE_FOR_ARCH,
                "The GPU is newer than the kernels the build ships: use a build with this "
                "architecture (a newer release or a nightly).",
            ),
            (
                Code.DRIVER_TOO_OLD_FOR_CUDA,
                "Or the PTX came from a newer CUDA than the driver supports: compare "
                "nvidia-smi's 'CUDA Version' with the build's CUDA.",
            ),
        ],
    )


@rule(Code.FORK_AFTER_CUDA_INIT)
def fork_after_init(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """CUDA used in a child forked after CUDA was initialised."""
    lines = code_lines(log, 3) + log.find(
        r"Cannot re-initialize CUDA in forked subprocess",
        r"\bcu\w+ failed: initialization error",  # PyCUDA: "<call> failed: <result string>"
        r"CUDA initialized before forking",  # Numba
        r"can.t create new processes if CUDA is already initiali[sz]ed",  # Lightning
        r"cuda env is set before the forked (thread|process) starts",  # MegEngine
    )
    if not lines:
        return []
    score, ev = Level.LIKELY, list(quote(lines))
    method = facts.start_method()
    if method == "fork":
        score = Level.DECISIVE
        ev.append("context.start_method = fork")
    elif method == "spawn":
        score = Level.WEAK
        ev.append("context.start_method = spawn")
    return [Candidate(Code.FORK_AFTER_CUDA_INIT, score, tuple(ev))]


@rule(Code.XLA_TOOLCHAIN_MISSING)
def xla_toolchain(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """XLA cannot find ptxas or libdevice."""
    lines = log.find(
        r"Can't find libdevice directory",
        r"libdevice not found at",
        r"Couldn't invoke ptxas",
        r"Couldn't get ptxas version",
        r"ptxas.*(not found|No such file)",
        r"(Couldn't|Unable to|could not) find ptxas",
        r"Failed to launch ptxas",
        r"libdevice(\.10\.bc)? (not found|is missing)",
        r"No PTX compilation provider is available",  # XLA: neither ptxas/nvlink nor nvjitlink
        r"JIT compilation failed",
        r"ptxas exited with non-zero error code",
        r"Couldn't find a suitable version of ptxas",
        r"ptxas\b.*fatal\s*:\s*Unsupported \.version \d+\.\d+; current version is",  # too old
    )
    return [Candidate(Code.XLA_TOOLCHAIN_MISSING, Level.STRONG, quote(lines))] if lines else []


@rule(Code.UVM_DEVICE_NODE_OR_SUSPEND)
def uvm_or_suspend(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """cuInit unknown error: /dev/nvidia-uvm missing, not accessible, or after suspend."""
    init_unknown = [
        ln for ln in cuinit_lines(log) if re.search(r"CUDA_ERROR_UNKNOWN|-> 999 ", ln.text)
    ]
    other = log.find(r"\(30 vs\. 0\)", r"error code: 30\b", r"/dev/nvidia-uvm")
    other = [ln for ln in other if not re.match(r"c[rwx-]{9}\s", ln.message)]  # ls: node is there
    module = uvm_module_lines(log)
    listed = device_nodes_listed(log) or set()
    no_uvm_node = {"nvidia0", "nvidiactl"} <= listed and "nvidia-uvm" not in listed
    failed = code_lines(log, 100) + code_lines(log, 999) + answers_of(log, "no_gpu")
    if no_uvm_node and failed:
        other += sorted(failed, key=lambda ln: ln.number)[:1]
    if not (init_unknown or other or module):
        return []
    score, ev = Level.PROBABLE, list(quote(module + init_unknown + other))
    if no_uvm_node and failed:
        score = Level.STRONG
        ev.append("ls /dev/nvidia*: nvidia0 and nvidiactl listed, no nvidia-uvm")
    down = driver_down_lines(log)
    if module and not down:
        score = Level.STRONG  # the uvm module would not load while the driver itself runs
    if down:
        score = Level.HINT  # the driver itself is down: uvm is a symptom, not the cause
        ev.append(f"the driver itself is not running: {down[0].text}")
    nodes = facts.device_nodes()
    if nodes is not None:
        uvm = facts.node("/dev/nvidia-uvm")
        if uvm is None:
            score = Level.CERTAIN
            ev.append("nvidia.device_nodes: /dev/nvidia-uvm missing")
        elif not (uvm.get("readable") and uvm.get("writable")):
            score = Level.DECISIVE
            ev.append(fact("nvidia.device_nodes[/dev/nvidia-uvm].mode", uvm.get("mode")))
        else:
            score = Level.WEAK
            ev.append("nvidia.device_nodes: /dev/nvidia-uvm present and rw")
    return [Candidate(Code.UVM_DEVICE_NODE_OR_SUSPEND, score, tuple(ev))]


# What to do once MIG is in play (rules_others.mig_in_log says it too).
ONE_MIG_DEVICE = (
    "With MIG on, a process sees only MIG devices and can use one of them: name a single "
    "MIG-<uuid> in CUDA_VISIBLE_DEVICES."
)


@rule(Code.MIG_MISCONFIGURED)
def mig(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """MIG enabled without a usable MIG device."""
    lines = log.find(
        r"No MIG devices (were )?found",
        r"MIG M\.: Enabled",
        r"No MIG devices associated with",  # the k8s device plugin's MIG strategy
        r"migEnabled=true was not configured correctly",
        r"device error: MIG-\S+: unknown device",  # nvidia-container-cli, old MIG-GPU- names
    )
    score = Level.LIKELY if lines else 0
    # MIG mode on and no instance listed: nvidia-smi shows the parent GPU, CUDA sees none
    # (POSSIBLE, so an nvidia-smi table is no healthy start against it: rulebook._health)
    mode_on = [] if log.find(*MIG_INSTANCE) else log.find(*MIG_MODE_ON)
    if mode_on and not lines:
        lines, score = mode_on, Level.POSSIBLE
    note = ONE_MIG_DEVICE if mode_on else ""
    ev = list(quote(lines))
    failing = bool(code_lines(log, 100)) or bool(
        log.find(r"no supported devices found for platform CUDA")
    )
    for gpu in facts.gpus():
        mode = gpu.get("mig_mode")
        if isinstance(mode, dict) and mode.get("current"):
            devices = gpu.get("mig_devices") or []
            ev.append(fact(gpu.path("mig_mode.current"), True))
            if not devices and (failing or score):
                score = Level.CERTAIN
                ev.append(f"{gpu.path('mig_devices')}: none created")
            elif failing:
                score = max(score, Level.LIKELY)
    cvd = facts.env("CUDA_VISIBLE_DEVICES") or ""
    if cvd.count("MIG-") > 1 and failing:
        score = max(score, Level.STRONG)
        ev.append(fact("env.CUDA_VISIBLE_DEVICES", cvd) + " (several MIG devices)")
    return [Candidate(Code.MIG_MISCONFIGURED, score, tuple(ev), note)] if score else []


@rule(Code.NO_KERNEL_IMAGE_FOR_ARCH, Code.COMPUTE_CAPABILITY_BELOW_MINIMUM)
def architecture_outside_build(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """The GPU the log names is outside what the log's build supports (archfacts), even where
    no error says so yet: a newer architecture than the build's CUDA has kernels for, or one
    below the build's minimum."""
    out: list[Candidate] = []
    for gap in archfacts.gaps(log):
        code = (
            Code.NO_KERNEL_IMAGE_FOR_ARCH if gap.too_new else Code.COMPUTE_CAPABILITY_BELOW_MINIMUM
        )
        ev = [gap.gpu_line.text] + ([gap.build.line.text] if gap.build else []) + [gap.reason]
        out.append(Candidate(code, Level.PROBABLE, tuple(dict.fromkeys(ev))))
    return out
