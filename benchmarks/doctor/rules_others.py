"""Rules for what other CUDA programs in the same log say: PyTorch, JAX/XLA, CuPy, JCuda,
nvidia-smi, dmesg (the kernel's NVRM lines), read together with the context they give (MIG
devices, nvidia-smi's table).

These programs reach the same driver as TensorFlow, so their messages name the same classes;
only the wording differs. The CUresult/cudaError spellings they share with TensorFlow are read
by ``signals.code_lines`` in the class's own rule; this module holds the wordings that are
theirs alone.
"""

from __future__ import annotations

import re

from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.findings import Candidate, checklist
from benchmarks.doctor.logfacts import MIG_CAPABLE, answers_of, crash_lines, mig_context
from benchmarks.doctor.logscan import LogLine, ScannedLog, quote
from benchmarks.doctor.registry import rule
from benchmarks.doctor.rules_container import docker_messages
from benchmarks.doctor.rules_device import ONE_MIG_DEVICE
from benchmarks.doctor.signals import (
    DATA_CENTRE_SETTING,
    DRIVER_VERSION_ZERO,
    ORDINAL_BEYOND,
    code_lines,
    container_hostname_hint,
    created_device_lines,
    driver_down_lines,
    driver_version_zero,
    uvm_module_lines,
)
from benchmarks.environment.view import FingerprintView

NO_SUPPORTED_DEVICES = r"no supported devices found for platform CUDA"
_CONTEXT_CREATION = re.compile(
    r"cuCtxCreate|PrimaryCtxRetain|cuInit|cudaSetDevice|context|Discovering CUDA", re.IGNORECASE
)


@rule(Code.UVM_DEVICE_NODE_OR_SUSPEND)
def unknown_error_at_init(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """PyTorch's or CuPy's wording of CUDA_ERROR_UNKNOWN at initialisation, or the code in any
    spelling raised by an initialisation call (the line or its stack names cuInit, a context
    creation, a device count)."""
    lines = log.find(
        r"CUDA initialization: CUDA unknown error",
        r"CUDA unknown error - this may be due to an incorrectly set up environment",
        r"cudaErrorUnknown",
        r"cudaGetDeviceCount returned (30|999)\b",
        r"CUDA error: unknown error",
        r"cuInit failed: unknown\b",  # PyCUDA ("unknown" or "unknown error")
        r"\binit\w* CUDA\b[^|]*: unknown error",  # "failed to initialize CUDA: unknown error"
    )
    if created_device_lines(log):
        return []
    # uvm needs a running driver (nvidia-smi works without it): with the driver down, the
    # unknown error is a symptom of that, and driver_missing ranks first.
    down = bool(driver_down_lines(log))
    if lines:
        level = Level.HINT if down else Level.LIKELY
        return [Candidate(Code.UVM_DEVICE_NODE_OR_SUSPEND, level, quote(lines))]
    bare_name = [ln for ln in log.lines if not ln.harmless and re.match(_BARE_UNKNOWN, ln.message)]
    at_init = [ln for ln in code_lines(log, 999) + bare_name if _near_init(log, ln)]
    if not at_init:
        return []
    level = Level.HINT if down else Level.PROBABLE
    return [Candidate(Code.UVM_DEVICE_NODE_OR_SUSPEND, level, quote(at_init))]


# A binding that raises CUDA_ERROR_UNKNOWN by its short name alone (Go's cu: "panic: Unknown");
# read only together with an initialisation call on the stack right after it.
_BARE_UNKNOWN = r"^(panic|error|Error|CUDA error|CUDAError):\s*Unknown\s*$"
# Initialisation calls in any program's spelling (driver API, runtime API, Go/Julia wrappers).
_INIT_CALL = re.compile(
    r"cuInit|\bInit\b|CtxCreate|PrimaryCtxRetain|initiali[sz]|DeviceCount|cudaSetDevice"
    r"|THCGeneral\.c",  # (Lua) Torch's THCudaInit
    re.IGNORECASE,
)


def _near_init(log: ScannedLog, line: LogLine, reach: int = 8) -> bool:
    """CUDA_ERROR_UNKNOWN raised while the program was initialising CUDA: the line or the
    stack/traceback lines right after it name an initialisation call."""
    window = log.lines[line.number - 1 : line.number + reach]
    return any(_INIT_CALL.search(ln.text) for ln in window)


@rule(Code.DRIVER_MISSING_OR_NOT_LOADED)
def driver_absent_said_by_others(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """PyTorch, modprobe and the kernel say the NVIDIA driver is not there or not loaded."""
    lines = log.find(
        r"Found no NVIDIA driver on your system",
        r"Could not find 'nvcuda\.dll'",
        r"CUDA driver initialization failed, you might not have a CUDA gpu",
        r"NVRM: The NVIDIA probe routine was not called",
        r"NVRM: No NVIDIA (GPU|devices|graphics adapter)",
        r"Couldn't open CUDA library libcuda\.so(\.1)?\b",  # TF 1.x
        r"failed to find libcuda\.so on this system",
        r"NVMLError_DriverNotLoaded|\bnvml\b.{0,30}\bDriver ?Not ?Loaded\b",
        r"NVIDIA: no NVIDIA devices found",  # libcuda's own line (old PyTorch logs)
        r"\bNVIDIA driver is not loaded\b",  # nvidia-settings
        r"modprobe: (FATAL|ERROR): could not insert 'nvidia",
        r"could not insert 'nvidia.*(Required key not available|Key was rejected)",
        DRIVER_VERSION_ZERO,
    )
    uvm = uvm_module_lines(log)  # the uvm module alone: its own class (rules_device)
    lines = [ln for ln in lines if ln not in uvm]
    if not lines:
        return []
    in_container = bool(container_hostname_hint(log) or docker_messages(log)[0])
    zero = driver_version_zero(log)  # settles it over the "insufficient driver" beside it
    score = Level.HINT if in_container else (Level.STRONG if zero else Level.LIKELY)
    return [Candidate(Code.DRIVER_MISSING_OR_NOT_LOADED, score, quote(lines))]


@rule(Code.DRIVER_TOO_OLD_FOR_CUDA)
def driver_too_old_said_by_others(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """PyTorch's and JAX's wording of a driver older than their CUDA runtime."""
    lines = log.find(
        r"The NVIDIA driver on your system is too old",
        r"\bdriver\b[^.;]{0,40}\bis too old\b",  # other programs' wording of the same
        r"driver version is insufficient",
    )
    if not lines:
        return []
    score = Level.WEAK if driver_version_zero(log) else Level.STRONG  # no driver at all
    return [Candidate(Code.DRIVER_TOO_OLD_FOR_CUDA, score, quote(lines))]


def _failing_without_device(log: ScannedLog) -> list[LogLine]:
    return (
        code_lines(log, 100)
        + code_lines(log, 101)
        + log.find(NO_SUPPORTED_DEVICES, *ORDINAL_BEYOND)
        + answers_of(log, "no_gpu")
    )


@rule(Code.MIG_MISCONFIGURED)
def mig_in_log(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """The log shows MIG devices or MIG mode, and CUDA found no usable device."""
    context, failing = mig_context(log), _failing_without_device(log)
    level = Level.STRONG
    if context and not failing:  # with MIG on, any CUDA crash reads as MIG first (its order)
        failing, level = crash_lines(log), Level.PROBABLE
    if not (context and failing):
        return []
    ev = quote(sorted(set(failing[:2] + context[:2]), key=lambda ln: ln.number))
    return [
        Candidate(
            Code.MIG_MISCONFIGURED,
            level,
            ev,
            ONE_MIG_DEVICE,
        )
    ]


@rule(Code.MIG_MISCONFIGURED)
def mig_capable_gpu_without_device(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """CUDA found no usable device on a GPU model that has MIG (A100, A30, H100, ...): MIG on
    without an instance is the second reading after hidden devices."""
    failing = _failing_without_device(log)
    model = log.find(MIG_CAPABLE, flags=0)  # model names are upper case: not "a30" in a hash
    if not (failing and model) or facts.present or mig_context(log):
        return []
    return [
        Candidate(
            Code.MIG_MISCONFIGURED,
            Level.POSSIBLE,
            quote([failing[0], model[0]]),
            "This GPU model has MIG: with MIG mode on, CUDA sees only MIG instances, and none "
            "if none was created (`nvidia-smi`: 'MIG M.' column, `nvidia-smi mig -lgi`).",
        )
    ]


@rule(Code.MIG_MISCONFIGURED)
def ordinal_beyond_visible(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """'invalid device ordinal': a process asked for a device index it does not see. MIG (a
    process sees a single MIG device however many the launcher counts) is the first reading
    where the log shows a data-centre setting: a system Python's site-packages (a container
    image's) or Kubernetes; elsewhere narrowed visibility (CUDA_VISIBLE_DEVICES, or an index
    past the GPUs there are: rules_platform) is first and MIG second. Until round 12 MIG came
    first in a log with no path at all; the three fresh ordinal misses of holdout9 and
    holdout10 were such logs, and all three were hidden devices."""
    lines = log.find(*ORDINAL_BEYOND)
    if not lines or facts.present or mig_context(log):
        return []  # with MIG shown in the log, mig_in_log decides
    first = log.first(*DATA_CENTRE_SETTING) is not None
    return [
        Candidate(
            Code.MIG_MISCONFIGURED,
            Level.PROBABLE if first else Level.PROBABLE.step_down(2),
            quote(lines, 2),
            f"Check {'first' if first else 'second'}: on a MIG-enabled GPU each process sees "
            "only the one MIG device named in CUDA_VISIBLE_DEVICES, so device index 1 and up "
            "do not exist.",
        )
    ]


@rule(Code.EXCLUSIVE_COMPUTE_MODE)
def no_free_gpu_to_take(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """Kaldi waits for a GPU that no other process holds: its GPUs are in exclusive mode and
    taken (Kaldi expects Exclusive_Process and retries until one is free)."""
    lines = log.find(r"Will try again to get a GPU after \d+ seconds", r"no more unused GPUs\?")
    return [Candidate(Code.EXCLUSIVE_COMPUTE_MODE, Level.LIKELY, quote(lines, 2))] if lines else []


@rule(Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS, Code.MIG_MISCONFIGURED, Code.EXCLUSIVE_COMPUTE_MODE)
def no_supported_devices(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """XLA/TF1 'no supported devices found for platform CUDA': every GPU failed to initialise."""
    lines = log.find(NO_SUPPORTED_DEVICES)
    if not lines or facts.present:
        return []
    return checklist(
        Level.POSSIBLE,
        quote(lines, 2),
        [
            (
                Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS,
                "Check first: does nvidia-smi show the memory taken by other processes?",
            ),
            (
                Code.MIG_MISCONFIGURED,
                "Check second: is MIG enabled (`nvidia-smi`: MIG M. Enabled), and were several "
                "MIG devices (or the parent GPU) given to this process?",
            ),
            (
                Code.EXCLUSIVE_COMPUTE_MODE,
                "Check third: is the GPU in Exclusive_Process mode and used by another process?",
            ),
        ],
    )


@rule(Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS)
def out_of_memory_at_context(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """CUDA_ERROR_OUT_OF_MEMORY while creating the context, before any device came up."""
    if created_device_lines(log):
        return []
    oom = log.find(r"CUDA_ERROR_OUT_OF_MEMORY", r"cuCtxCreate failed: out of memory")
    for line in oom:
        near = log.lines[max(0, line.number - 8) : line.number + 8]
        creating = [ln for ln in near if _creates(ln)]
        if creating:
            ev = quote([line, *[ln for ln in creating if ln is not line]], 3)
            return [Candidate(Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS, Level.LIKELY, ev)]
    return []


def _creates(line: LogLine) -> bool:
    return bool(_CONTEXT_CREATION.search(line.text))


@rule(Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS)
def pytorch_out_of_memory(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """PyTorch ran out of GPU memory it had hardly used itself: others hold it."""
    lines = log.find(r"CUDA out of memory\. Tried to allocate")
    if not lines:
        return []
    own = log.search(r"([\d.]+) ([KMG]i?B|bytes) already allocated")
    idle = own is not None and (float(own.group(1)) == 0 or own.group(2) in ("bytes", "KiB"))
    return [
        Candidate(
            Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS,
            Level.LIKELY if idle else Level.POSSIBLE,
            quote(lines, 2),
            ""
            if idle
            else "If this process itself allocated most of the memory, the model "
            "or batch is too large for the GPU instead.",
        )
    ]


@rule(Code.VGPU_UNLICENSED)
def vgpu_license(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """nvidia-smi -q or nvidia-gridd says the vGPU has no license."""
    lines = log.find(
        r"License Status\s*:\s*Unlicensed",
        r"(Failed to acquire|Unable to acquire|License acquisition failed).*licen[cs]e",
        r"vGPU.*(unlicensed|license expired)",
        r"((n't|\bnot?|\bwithout)\b.{0,20}\b|\bin)valid (GRID|vGPU) licen[cs]e",  # CUDA error 102
        r"\bValid (GRID|vGPU) licen[cs]e not found",  # the Windows guest driver's log
    )
    if not lines:
        return []
    return [Candidate(Code.VGPU_UNLICENSED, Level.STRONG, quote(lines))]


@rule(Code.GPU_FELL_OFF_BUS_HW_FAULT, Code.DRIVER_MISSING_OR_NOT_LOADED)
def smi_no_devices(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """nvidia-smi talks to the driver but finds no GPU: a board that dropped off the bus, or
    a driver that does not bind it (not passed through to this VM, nouveau)."""
    lines = log.find(r"(^|> ?)No devices were found\.?\s*$")
    if not lines or facts.present:
        return []
    return checklist(
        Level.HINT,
        quote(lines, 1),
        [
            (
                Code.GPU_FELL_OFF_BUS_HW_FAULT,
                "Check first: `dmesg | grep -E 'NVRM|Xid'` (Xid 79: fell off the bus); "
                "`lspci | grep -i nvidia` still lists the board?",
            ),
            (
                Code.DRIVER_MISSING_OR_NOT_LOADED,
                "Check second: does the driver bind the board (`lspci -k`: 'Kernel driver in "
                "use: nvidia'), or is it not passed through to this VM?",
            ),
        ],
    )
