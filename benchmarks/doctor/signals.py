"""Signatures shared by several rules: CUDA result codes as TF, XLA and the probe print them.

XLA prints a named CUresult as ``Failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable
device is detected`` and an unnamed one as ``UNKNOWN ERROR (303)``; the CUDA runtime prints its
error string (``Status: out of memory``); CHECK failures print ``(46 vs. 0)``. ``code_lines``
finds a code in any of these spellings.
"""

from __future__ import annotations

import re

from benchmarks.doctor.logscan import LogLine, ScannedLog
from benchmarks.gpu.cuda_errors import CURESULT_NAMES, CURESULT_STRINGS

PROBE_PREFIX = "graphbench-probe:"

# Runtime (cudaError) values differ from CUresult values for a few codes seen at init.
_RUNTIME_ALIASES: dict[int, tuple[str, ...]] = {
    2: ("cudaErrorMemoryAllocation",),
    3: ("cudaErrorInitializationError",),
    35: ("cudaErrorInsufficientDriver", "CUDA driver version is insufficient"),
    218: ("CUDA_ERROR_INVALID_PTX", "cudaErrorInvalidPtx", r"a PTX JIT compilation failed"),
    46: ("cudaErrorDevicesUnavailable", "busy or unavailable"),
    100: (
        "cudaErrorNoDevice",
        r"\bno CUDA-capable device is detected",
        r"\(38 vs\. 0\)",  # CUDA <= 10 runtime numbered it 38
        r"No CUDA GPUs are available",  # PyTorch
    ),
    999: (
        "cudaErrorUnknown",
        r"\(30 vs\. 0\)",
        r"error code: 30\b",
        r"\bTHCudaCheck FAIL\b.*\berror=30 :",  # the runtime's own number for it
        r"\b(error|failure|code|status)[ :=(]+999\b",  # "init failure: 999", "error 999"
        r"\(error: [^)]*\bunknown error\)",  # Theano: "device gpu is not available (error: ..."
    ),
}


# Result strings specific enough to name their code without a prefix.
_DISTINCT_STRINGS = (46, 100, 200, 209, 214, 216, 222, 802, 803, 804)
# Result numbers that no other common code shares, so a program's own "error 804", "init
# failure: 802" or "cuInit failed : 804" (Ollama, DeepStream, LAMMPS) names them.
_DISTINCT_NUMBERS = (802, 803, 804)


def code_patterns(code: int) -> list[str]:
    pats = [rf"UNKNOWN ERROR \({code}\)", rf"\({code} vs\. 0\)", rf"\(0 vs\. {code}\)"]
    pats.append(rf"cuda runtime error \({code}\)")
    pats.append(rf"\bCUDA error \({code}\)")  # old PyTorch: "CUDA error (3): initialization error"
    pats.append(rf"\bCUDA error:? error code:? {code}\b")  # miners and other C programs
    pats.append(rf"\bTHCudaCheck FAIL\b.*\berror={code} :")  # Lua Torch, old PyTorch
    pats.append(rf"-> {code} ")
    pats.append(rf"CUDA failure {code}\b")  # onnxruntime
    pats.append(rf"\(code {code}, ERROR_")  # Julia's CUDA.jl
    pats.append(rf"\bcuInit\(\d*\) returned {code}\b")  # NGC banners, Geekbench, C programs
    pats.append(rf"\bReturn value {code} from '")  # Charm++/NAMD: "Return value 46 from 'cu...'"
    if code in _DISTINCT_NUMBERS:
        pats.append(rf"\b(error|failure|failed|code|status)\s*[ :=(]+\s*{code}\b")
    name = CURESULT_NAMES.get(code)
    if name:
        pats.append(rf"\b{name}\b")
    pats.extend(_RUNTIME_ALIASES.get(code, ()))
    text = CURESULT_STRINGS.get(code)
    if text and code not in (0, 999):
        pats.append(rf"Status: {re.escape(text)}")
    # MXNet/Caffe print "CUDA: <string>", PyTorch "CUDA error: <string>"
    if text and code not in (0, 999):
        pats.append(rf"\bCUDA(?: error)?: {re.escape(text)}\b")
    if text and code in _DISTINCT_STRINGS:  # CuPy, PyCUDA, Caffe print the string alone
        pats.append(re.escape(text))
    return pats


def code_lines(log: ScannedLog, code: int) -> list[LogLine]:
    return log.find(*code_patterns(code))


# The nvidia_uvm kernel module (named nvidia-uvm, nvidia_uvm or nvidia_<branch>_uvm) could not
# be found or inserted: /dev/nvidia-uvm never appears.
_UVM_MODULE = (
    r"(could not insert|Failed to insert module|could not find module by name=|Module not found"
    r"|FATAL: Module)"
    r"\s*'?nvidia[-_](\d+[-_](updates[-_])?)?uvm",
    r"Module nvidia[-_](\d+[-_](updates[-_])?)?uvm not found",
    r"Could not load UVM kernel module",  # nvidia-docker 1.x's plugin
)
# A process asked for a device index beyond those it sees, in CUDA's, Dorado's and PyTorch's
# words (a process sees one MIG device however many exist, or fewer devices than it was told:
# rules_others.ordinal_beyond_visible orders the two readings by the setting).
ORDINAL_BEYOND = (
    r"invalid device ordinal",
    r"Invalid CUDA device index .* there (are|is) \d+ visible CUDA devices?",
    r"device >= 0 && device < num_gpus INTERNAL ASSERT FAILED",
    r"what\(\):\s+Invalid device ids\b",  # Dorado: more ids than the GPUs it sees
)
# Where a log shows a data-centre setting, where MIG is the likelier reading of an ordinal
# error: a system Python's site-packages (what container images run), Kubernetes' kubelet or
# device plugin.
DATA_CENTRE_SETTING = (
    r"/usr/(local/)?lib(64)?/python3\.\d+/(site|dist)-packages/",
    r"\bkubelet\b|nvidia-device-plugin",
)
# A program that asked the driver for its version got 0: there is no driver (libcuda) at all,
# although the error beside it (35) reads "driver version is insufficient".
DRIVER_VERSION_ZERO = r"\b(CUDA )?driver version:? 0(?![.\d])"
# The driver's own kernel module is not running (TF's cuda_diagnostics, nvidia-smi).
DRIVER_NOT_RUNNING = (
    r"kernel driver does not appear to be running",
    r"/proc/driver/nvidia/version does not exist",
)


# The driver is not running at all: TF's cuda_diagnostics, nvidia-smi, or modprobe that cannot
# find the driver's own module (not the uvm module). The uvm class needs a running driver
# (nvidia-smi works without UVM), so these lines put driver_missing above it.
_DRIVER_DOWN = (
    *DRIVER_NOT_RUNNING,
    r"couldn't communicate with the NVIDIA driver",
    r"Module nvidia not found",
)


def driver_version_zero(log: ScannedLog) -> list[LogLine]:
    """Lines where a program read a driver version of 0: no driver at all, whatever the error
    beside it says (35 "insufficient" reads as too old, but there is nothing to update)."""
    return log.find(DRIVER_VERSION_ZERO)


def driver_down_lines(log: ScannedLog) -> list[LogLine]:
    """Lines saying the NVIDIA kernel driver itself is not loaded or not reachable."""
    return log.find(*_DRIVER_DOWN)


def uvm_module_lines(log: ScannedLog) -> list[LogLine]:
    """modprobe (or a loader script) says the nvidia_uvm module is missing or would not load."""
    return log.find(*_UVM_MODULE)


def cuinit_lines(log: ScannedLog) -> list[LogLine]:
    return log.find(r"failed call to cuInit", rf"{PROBE_PREFIX} driver: cuInit")


CREATED_DEVICE = (
    r"Created device /job:.*device:GPU:\d+ with \d+ MB memory",
    r"Created TensorFlow device \(.*GPU:\d+ with \d+ MB memory\)",
)


def created_device_lines(log: ScannedLog) -> list[LogLine]:
    return log.find(*CREATED_DEVICE)


def created_memory_mb(log: ScannedLog) -> list[tuple[LogLine, int]]:
    out: list[tuple[LogLine, int]] = []
    for line in created_device_lines(log):
        m = re.search(r"with (\d+) MB memory", line.text)
        if m:
            out.append((line, int(m.group(1))))
    return out


def probe_gpu_ok_lines(log: ScannedLog) -> list[LogLine]:
    return log.find(rf"{PROBE_PREFIX} tensorflow: matmul on /GPU:\d+ ok")


def probe_gpu_failed_lines(log: ScannedLog) -> list[LogLine]:
    return log.find(
        rf"{PROBE_PREFIX} tensorflow: matmul on /GPU:\d+ (failed|ran on .*CPU)",
        rf"{PROBE_PREFIX} tensorflow: no GPU visible",
    )


# TensorFlow's cuda_diagnostics prints this only after finding /proc/driver/nvidia/version: the
# kernel driver is loaded (a container sees its host's /proc), but no device node was made or
# passed in, which is what a container started without the GPU looks like.
DRIVER_BUT_NO_NODE = r"no NVIDIA GPU device is present: /dev/nvidia0 does not exist"


def container_hostname_hint(log: ScannedLog) -> LogLine | None:
    """TF names the host in cuda_diagnostics lines, and a shell prompt names it too; a 12-hex
    host name is a docker container id. docker-compose names the container it starts. A loader
    path that only a container has says so too: the CUDA images' LD_LIBRARY_PATH entry
    /usr/local/nvidia/lib, where the NVIDIA runtime mounts the driver, and Singularity's
    /.singularity.d/libs, where `--nv` binds it."""
    return log.first(
        r"running on this host \([0-9a-f]{12}\)",
        r"LD_LIBRARY_PATH\W+\S*/usr/local/nvidia/lib",
        r"LD_LIBRARY_PATH\W+\S*/\.singularity\.d/libs",
        r"cuda_diagnostics\.cc:\d+\] hostname: [0-9a-f]{12}$",  # TF 1.x names the host alone
        r"^\w+@[0-9a-f]{12}:\S*[#$] ",
        r"^(Creating|Starting|Recreating) [\w.-]+ \.\.\. done$",  # docker-compose v1
        r"^[a-z0-9][\w.-]*[-_]\d+\s+\| \S",  # docker compose's per-container log prefix
    )
