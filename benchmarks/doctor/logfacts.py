"""Facts that a log states about itself: platform, TensorFlow version, device-list answers,
nvidia-smi's own view, and timestamps (pure).

A user's paste rarely comes with a fingerprint, but it often says enough: a ``C:\\`` path or a
``.dll`` name (native Windows), ``/Users/`` or ``macosx`` (macOS), the TensorFlow version in a
wheel or path name, a printed ``[]`` after ``list_physical_devices('GPU')``, or an nvidia-smi
table with the GPU's name, compute mode and MIG column. The rules read these through the helpers
here so that every rule reads a fact the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from benchmarks.doctor.logscan import LogLine, ScannedLog

WINDOWS = (
    r"\b[A-Z]:\\",
    r"\b\w+64_\d+\.dll\b",
    r"\bnvcuda\.dll\b",
    r"\bwin_amd64\b",
    r"\bwin32\b",
    r"\bWindows (10|11|Server)\b",
    r"\\site-packages\\",
    r"^PS [A-Z]:",
)
MACOS = (
    r"(^|[\s'\"(])/Users/[^/\s]+/",
    r"\bdarwin\b",
    r"\bmacosx?_\d",
    r"\bmacOS\b",
    r"\bApple M\d\b",
    r"\btensorflow-macos\b",
    r"/opt/homebrew/",
)
# Lines that show TensorFlow (or another CUDA program) tried to reach CUDA at all.
CUDA_ATTEMPT = (
    r"dso_loader",
    r"cuda_(driver|diagnostics|platform|executor|gpu_executor|blas|dnn|fft)\.cc",
    r"cudart_stub",
    r"gpu_(device|init)\.cc",
    r"cuInit",
    r"libcuda",
    r"nvcuda",
    r"Could not load dynamic library",
    r"\bCUDA_ERROR_\w+",
    r"\bcudaError\w+",
    r"CUDA (driver|runtime) (version|error)",
    r"CUDA initialization",  # PyTorch's warning when its cudaGetDeviceCount failed
    r"cudaGetDeviceCount",
)

_QUESTION = (
    r"list_physical_devices|list_local_devices|list_logical_devices|get_visible_devices|"
    r"is_gpu_available|gpu_device_name|get_available_gpus|\bgpus\b|\bGPUs?\b"
)
_PROMPT = re.compile(r"^(?:>\s?)*(?:>>>\s*|Out\[\d+\]:\s*|\$\s*|[`'\"]+)?")


@dataclass(frozen=True)
class Answer:
    """A printed answer about GPUs: ``gpu`` (one is usable), ``no_gpu`` (none listed),
    ``no_cuda_build`` / ``cuda_build`` (the build says it has no CUDA / has it). ``program``
    is who answered (``torch``, ``jax`` or ``tf``), read from the answer and the question
    printed just before it."""

    kind: str
    line: LogLine
    program: str = "tf"


# Who printed an answer: PyTorch's and JAX's own calls and wordings; anything else is TF's.
_PROGRAMS = (
    ("torch", r"\btorch\b|cuda\.is_available|cuda\.device_count"),
    ("jax", r"\bjax(lib)?\b|GPU/TPU|\b(Cuda|Gpu|Cpu)Device\(id=|\b(cuda|gpu)\(id=\d"),
    ("tf", r"\btf\.|\btensorflow\b|physical_device:|device_lib|/device:"),
)


def _program(log: ScannedLog, line: LogLine, reach: int = 3) -> str:
    """The program whose answer ``line`` is: its own text first, then the nearest line before
    it that names one (the question it answers)."""
    for ln in (line, *reversed(log.lines[max(0, line.number - 1 - reach) : line.number - 1])):
        for name, pattern in _PROGRAMS:
            if re.search(pattern, ln.text):
                return name
    return "tf"


def _bare(text: str) -> str:
    return _PROMPT.sub("", text.strip()).strip().strip("`'\"").strip()


def _asked_before(log: ScannedLog, index: int, pattern: str, reach: int = 3) -> bool:
    lines = log.lines[max(0, index - reach) : index]
    return any(re.search(pattern, ln.text) for ln in lines)


def device_answers(log: ScannedLog) -> list[Answer]:
    """Device lists, counts and True/False answers that a user's script printed."""
    cached = log.memo.get("device_answers")
    if isinstance(cached, list):
        return cached
    answers = [Answer(a.kind, a.line, _program(log, a.line)) for a in _device_answers(log)]
    log.memo["device_answers"] = answers
    return answers


def _device_answers(log: ScannedLog) -> list[Answer]:
    out: list[Answer] = []
    has_gpu_entry = False
    cpu_only_lists: list[LogLine] = []
    for i, line in enumerate(log.lines):
        text = line.text
        bare = _bare(text)
        commented = _comment_answer(bare)
        if commented is not None:
            out.append(Answer(commented, line))
        elif re.search(r"physical_device:GPU:\d|device_type: \"GPU\"|name: \"/device:GPU:\d", text):
            has_gpu_entry = True
            out.append(Answer("gpu", line))
        elif re.search(r"(CudaDevice|GpuDevice|\bcuda|\bgpu)\(id=\d+", text):
            out.append(Answer("gpu", line))
        elif re.search(r"physical_device:CPU:\d|device_type: \"CPU\"|\bCpuDevice\(id=", text):
            cpu_only_lists.append(line)
        elif (bare == "[]" and _asked_before(log, i + 1, _QUESTION, reach=4)) or re.search(
            r"\bGPUs?\b[^:\[\]]*:\s*\[\]$",
            bare,  # a printed label: "Is GPU Available: []"
        ):
            out.append(Answer("no_gpu", line))
        elif m := re.search(r"(?:Num(?:ber of)? GPUs?(?: Available)?|GPUs? count)\W*(\d+)", text):
            out.append(Answer("gpu" if int(m.group(1)) else "no_gpu", line))
        elif re.match(r"Is CUDA available\s*:\s*(True|Yes)\b", bare) and log.first(*COLLECT_ENV):
            pass  # collect_env's report, wherever the error is: success.py's enumerated level
        elif m := re.search(r"(?:GPU|CUDA) (?:is )?available:?\s*(True|False)", text, re.I):
            out.append(Answer("gpu" if m.group(1).lower() == "true" else "no_gpu", line))
        elif m := re.search(rf"(?:{_BUILT_WITH_CUDA})\W*(True|False)$", bare, re.I):
            # a printed label: "Is TensorFlow built with CUDA?: False"
            said = m.group(1).lower()
            out.append(Answer("no_cuda_build" if said == "false" else "cuda_build", line))
        elif m := re.search(
            r"\b(\d+) Physical GPUs?, \d+ Logical GPUs?|\bn_gpu\W{1,3}(\d+)\b", text
        ):
            out.append(Answer("gpu" if int(m.group(1) or m.group(2)) else "no_gpu", line))
        elif re.search(r"Default GPU Device:\s*/device:GPU:\d|_CudaDeviceProperties\(name=", text):
            out.append(Answer("gpu", line))  # TF's sample script; torch get_device_properties
        elif re.search(
            r"GPU is NOT AVAILABLE|No GPU/TPU found|Device mapping: no known devices"
            r"|inference compute\b.*\blibrary=cpu\b"  # Ollama fell back to the CPU
            r"|but CUDA is not available"  # torch.autocast / amp falling back
            r"|^Is CUDA available\s*:\s*(False|No)\b"  # PyTorch's collect_env
            r"|CUDA device is not set properly\. CPU device will be used"  # PaddlePaddle
            r"|\bno (compatible |supported |usable )?(NVIDIA |CUDA )?GPUs? (were |was )?"
            r"(found|discovered|detected)",
            text,
            re.IGNORECASE,
        ):
            out.append(Answer("no_gpu", line))
        elif re.fullmatch(r"/device:GPU:\d+", bare) and _asked_before(
            log, i + 1, "gpu_device_name"
        ):
            out.append(Answer("gpu", line))
        elif re.fullmatch(r"''|\"\"", text.strip().removeprefix("Out[1]: ")) and _asked_before(
            log, i + 1, "gpu_device_name", 2
        ):
            out.append(Answer("no_gpu", line))  # tf.test.gpu_device_name() found none
        elif re.fullmatch(r"\d+", bare) and _asked_before(log, i + 1, r"cuda\.device_count\(", 2):
            out.append(Answer("gpu" if int(bare) else "no_gpu", line))
        elif re.fullmatch(r"\d+", bare) and _asked_before(log, i + 1, r"current_device\(", 2):
            out.append(Answer("gpu", line))  # an index: a current device exists
        elif bare == "None" and _asked_before(log, i + 1, r"\bversion\.cuda\b", 2):
            out.append(Answer("no_cuda_build", line))  # torch.version.cuda of a CPU build
        elif bare.lower() in ("cpu", "gpu", "cuda") and _asked_before(
            log, i + 1, "default_backend"
        ):
            out.append(Answer("no_gpu" if bare.lower() == "cpu" else "gpu", line))
        elif re.search(_GPU_NAME, bare) and _asked_before(log, i + 1, r"get_device_name\(", 2):
            out.append(Answer("gpu", line))
        elif bare in ("True", "False"):
            if _asked_before(log, i + 1, _BUILT_WITH_CUDA, reach=3):
                out.append(Answer("no_cuda_build" if bare == "False" else "cuda_build", line))
            elif _asked_before(log, i + 1, r"is_gpu_available|cuda\.is_available", reach=3):
                out.append(Answer("gpu" if bare == "True" else "no_gpu", line))
    if cpu_only_lists and not has_gpu_entry:
        out.append(Answer("no_gpu", cpu_only_lists[0]))
    return sorted(out, key=lambda a: a.line.number)


# The other fields of PyTorch's collect_env report (pasted by vLLM's and SGLang's issue
# templates): its "Is CUDA available" is an environment's, not the failing run's answer.
COLLECT_ENV = (
    r"^GPU models and configuration\s*:",
    r"^Is debug build\s*:",
    r"^PyTorch version\s*:",
)
# NVIDIA's product-line words that start a GPU's name (the one home; success.py reads them too)
GPU_BRAND = "NVIDIA|GeForce|Tesla|Quadro|TITAN"
# A GPU's marketing name, as get_device_name() prints it.
_GPU_NAME = rf"\b({GPU_BRAND}|RTX|GTX)\b|^'?[AHLTV]\d{{1,3}}\b"
_BUILT_WITH_CUDA = r"is_buil[td]_with_cuda|Built with CUDA"  # "is_build_" is a common typo
# A call with its answer written as a comment: ``tf.test.is_built_with_cuda()  # False``,
# ``tf.config.list_physical_devices('GPU') # [] is returned``.
_COMMENTED = re.compile(r"^(?P<call>[^#]*\w\([^#]*\)[^#]*?)\s*#\s*(?P<said>.+)$")


def _comment_answer(bare: str) -> str | None:
    """The answer kind a ``call()  # answer`` line states, or None."""
    m = _COMMENTED.match(bare)
    if m is None:
        return None
    call, said = m.group("call"), m.group("said")
    truth = re.search(r"\b(true|false)\b", said, re.IGNORECASE)
    if truth and re.search(_BUILT_WITH_CUDA, call):
        return "no_cuda_build" if truth.group(1).lower() == "false" else "cuda_build"
    if truth and re.search(r"is_gpu_available|cuda\.is_available", call):
        return "gpu" if truth.group(1).lower() == "true" else "no_gpu"
    listed = re.search(r"list_physical_devices|list_local_devices|get_visible_devices", call)
    if listed and re.search(r"\[\]|\bempty\b", said, re.IGNORECASE):
        return "no_gpu"
    return None


def answers_of(log: ScannedLog, kind: str) -> list[LogLine]:
    return [a.line for a in device_answers(log) if a.kind == kind]


def gpu_answers_of_others(log: ScannedLog) -> list[LogLine]:
    """GPU answers printed by another program than one that found no GPU (PyTorch sees the
    GPU, TensorFlow or JAX does not): they show the driver works, not that the failing program
    got the GPU."""
    answers = device_answers(log)
    failing = {a.program for a in answers if a.kind in ("no_gpu", "no_cuda_build")}
    return [a.line for a in answers if a.kind == "gpu" and failing - {a.program}]


def xla_gpu_listed(log: ScannedLog) -> list[LogLine]:
    """TF 2.0-2.3 list an ``XLA_GPU`` device once the CUDA build reached the driver; listed
    without a ``GPU`` device, TensorFlow's own GPU device failed to register (its libraries)."""
    return log.find(
        r"physical_device:XLA_GPU:\d", r"device_type: \"XLA_GPU\"", r"/device:XLA_GPU:\d"
    )


def platform(log: ScannedLog) -> tuple[str, LogLine] | None:
    """``("windows" | "macos", the line that says so)`` when the log shows its platform."""
    win = log.first(*WINDOWS)
    if win is not None:
        return "windows", win
    mac = log.first(*MACOS)
    if mac is not None:
        return "macos", mac
    return None


def tf_version(log: ScannedLog) -> tuple[tuple[int, int], LogLine] | None:
    """TensorFlow's major.minor as a wheel/path name, pip line or version print gives it."""
    patterns = (
        r"\btensorflow(?:[-_](?:gpu|cpu|intel|macos))?[-=_ ]=?=?\s*(\d)\.(\d+)(?:\.\d+|rc)",
        r"\bTensorFlow(?: version)?:?\s+v?(\d)\.(\d+)\.\d+",
        r"\btf(?:\.__version__)?\s*[:=]\s*'?(\d)\.(\d+)\.\d+",
    )
    for i, line in enumerate(log.lines):
        for pattern in patterns:
            m = re.search(pattern, line.text, re.IGNORECASE)
            if m:
                return (int(m.group(1)), int(m.group(2))), line
        if "__version__" in line.text and i + 1 < len(log.lines):
            m = re.match(r"^'?(\d)\.(\d+)\.\d+", _bare(log.lines[i + 1].text))
            if m:
                return (int(m.group(1)), int(m.group(2))), log.lines[i + 1]
    return None


def cuda_attempted(log: ScannedLog) -> bool:
    return bool(log.find(*CUDA_ATTEMPT))


# A shell prompt may end in $, #, %, > or the arrows of zsh themes (➜, ❯).
DOCKER_RUN = (
    r"^(?:\S*[$#%>\u279c\u276f]\s+)?(?:sudo\s+)?(docker|podman|nerdctl)\s+(container\s+)?run\b"
)
GPU_FLAGS = r"--gpus\b|--runtime[= ]nvidia|--device[= ]\S*(nvidia\.com/gpu|/dev/nvidia)"


def docker_runs(log: ScannedLog) -> tuple[list[LogLine], list[LogLine]]:
    """The ``docker run`` lines of a transcript, and those that ask for the GPU (on the line
    or on the lines it continues onto with a trailing backslash)."""
    runs = [ln for ln in log.lines if re.search(DOCKER_RUN, ln.message)]
    return runs, [ln for ln in runs if re.search(GPU_FLAGS, _command(log, ln))]


def _command(log: ScannedLog, line: LogLine) -> str:
    """A shell command's whole text: ``line`` and its backslash-continued lines."""
    parts = [line.text]
    for nxt in log.lines[line.number :]:
        if not parts[-1].rstrip().endswith("\\"):
            break
        parts.append(nxt.text)
    return " ".join(parts)


# nvidia-smi: the table's first row per GPU, and `nvidia-smi -q` key/value lines.
_SMI_ROW = re.compile(r"^\|\s+(\d+)\s+(.+?)\s+(On|Off)\s+\|")
_SMI_MODE = re.compile(
    r"\|\s*(?:\d+%|N/A)\s+(Default|E\. Process|E\. Thread|Prohibited)\s*\|\s*$"
    r"|Compute Mode\s*:\s*(Default|Exclusive_Process|Exclusive_Thread|Prohibited)"
)
_TABLE_MODES = {"E. Process": "Exclusive_Process", "E. Thread": "Exclusive_Thread"}
VGPU_NAME = r"\b(GRID|NVIDIA)\s+[A-Z]*\d+[A-Z]?-\d+[QCAB]\b"


def smi_gpu_names(log: ScannedLog) -> list[tuple[str, LogLine]]:
    out = []
    for line in log.lines:
        m = _SMI_ROW.match(line.message)
        if m and not re.match(r"GPU|Name", m.group(2)):
            out.append((m.group(2).strip(), line))
    return out


_SMI_MEMORY = re.compile(r"\|\s+(\d+)MiB\s*/\s*(\d+)MiB\s+\|")


def smi_memory_full(log: ScannedLog, fraction: float = 0.9) -> list[LogLine]:
    """nvidia-smi table rows whose memory is at least ``fraction`` used."""
    out = []
    for line in log.lines:
        m = _SMI_MEMORY.search(line.message)
        if m and int(m.group(2)) and int(m.group(1)) / int(m.group(2)) >= fraction:
            out.append(line)
    return out


def smi_compute_modes(log: ScannedLog) -> list[tuple[str, LogLine]]:
    out = []
    for line in log.lines:
        m = _SMI_MODE.search(line.message)
        if m:
            mode = m.group(1) or m.group(2)
            out.append((_TABLE_MODES.get(mode, mode), line))
    return out


# MIG mode shown on (nvidia-smi -q, the 'MIG M.' cell of nvidia-smi's table, a program's own
# words) and a MIG instance listed (a MIG UUID or a profile): with the mode on and no instance,
# CUDA sees no device.
MIG_MODE_ON = (
    r"MIG M\.: Enabled",
    r"^[>\s]*\|\s*\|\s*\|\s*Enabled\s*\|$",
    r"MIG Mode\s*:?\s*(Current\s*:?\s*)?Enabled",
    r"MIG mode is enabled",
)
MIG_INSTANCE = (r"\bMIG-[0-9a-f]{8}-", r"\bMIG-GPU-", r"\bMIG \d+g\.\d+gb\b", r"\b\d+g\.\d+gb\b")


def mig_context(log: ScannedLog) -> list[LogLine]:
    """Lines that show MIG is in play (MIG UUIDs or profiles, MIG mode enabled)."""
    return log.find(
        *MIG_INSTANCE,
        *MIG_MODE_ON,
        r"No MIG devices (were )?found",
        r"No MIG devices associated with",
        r"(CUDA|NVIDIA)_VISIBLE_DEVICES=\d+:\d+",
    )


# GPU models that have MIG: with MIG mode on and no instance created, CUDA sees no device.
MIG_CAPABLE = r"\b(A100|A30|A800|H100|H200|H800|H20|GH200|B200|GB200)\b"


def device_nodes_listed(log: ScannedLog) -> set[str] | None:
    """The /dev/nvidia* nodes an ``ls -l`` in the log shows (character devices), or None when
    the log has no such listing."""
    nodes = {
        m.group(1)
        for line in log.lines
        if (m := re.search(r"^c[rwx-]{9}.*\s/dev/(nvidia[\w-]*)\s*$", line.message))
    }
    return nodes or None


# Timestamps: TSL ``2026-11-25 15:02:11.123456:`` and absl ``I1125 15:02:11.123456``
# (before absl::InitializeLog the seconds field holds the epoch: ``I0000 00:00:1795619700.7``).
_TSL_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)")
_ABSL_STAMP = re.compile(r"^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d+(?:\.\d+)?)\s")


def stamp(line: LogLine) -> float | None:
    """Seconds (comparable within one log) at which the line was written, when it says."""
    m = _TSL_STAMP.match(line.text)
    if m:
        try:
            return datetime.fromisoformat(m.group(1)).timestamp()
        except ValueError:
            return None
    a = _ABSL_STAMP.match(line.text)
    if a:
        month, day, hour, minute, sec = (float(g) for g in a.groups())
        if sec >= 60:
            return sec
        return (((month * 31 + day) * 24 + hour) * 60 + minute) * 60 + sec
    return None


_GPU_WORK = r"cuda|gpu|dnn|blas|xla|ptx|jit|kernel|autotun"


MAX_PAUSE_S = 86400.0  # a longer pause is two runs pasted together, not one slow start


def _clock(line: LogLine) -> str:
    """Which clock a line's stamp reads: TSL dates, absl dates and absl epochs differ."""
    if _TSL_STAMP.match(line.text):
        return "tsl"
    a = _ABSL_STAMP.match(line.text)
    return "absl-epoch" if a and float(a.group(5)) >= 60 else "absl"


# The lines of a device set-up: after a pause they begin another session (an Estimator's
# evaluation, a second run), not the first op of this one.
_DEVICE_SETUP = (
    r"Adding visible gpu devices|Found device \d+ with properties|Created (TensorFlow )?device"
    r"|Device interconnect StreamExecutor"
)


def slow_start(log: ScannedLog, after: LogLine, min_gap_s: float) -> tuple[LogLine, float] | None:
    """The first GPU-runtime line that came ``min_gap_s`` or more after the line before it,
    at or after ``after`` (the success line): the first op took minutes (PTX JIT).

    Only stamps of one clock are compared, benign noise is not GPU work, and a pause of a day
    or more is two runs in one paste."""
    previous: tuple[str, float] | None = None
    for line in log.lines[after.number - 1 :]:
        t = stamp(line)
        if t is None:
            continue
        clock = _clock(line)
        if previous is not None and previous[0] == clock:
            gap = t - previous[1]
            if min_gap_s <= gap < MAX_PAUSE_S:
                work = re.search(_GPU_WORK, line.source + " " + line.message, re.IGNORECASE)
                again = re.search(_DEVICE_SETUP, line.message)  # a new session, not slow work
                return (line, gap) if work and not again and not line.harmless else None
        previous = (clock, t)
    return None


# TF creates its GPU contexts right after "Adding visible gpu devices"; loading a build's
# kernels there takes a second or two, and a minute or more only when the driver JIT-compiles
# the build's PTX for an architecture it has no kernels for (or, rarely, a hung driver).
SETUP_PAUSE_S = 45.0
_ADDING_DEVICES = r"Adding visible gpu devices: \d"


def device_setup_pause(log: ScannedLog) -> tuple[LogLine, LogLine, float] | None:
    """TF's "Adding visible gpu devices" and the next line of the same clock when
    ``SETUP_PAUSE_S`` or more (and less than a day) lies between them, with the gap."""
    for adding in log.find(_ADDING_DEVICES):
        t0 = stamp(adding)
        if t0 is None:
            continue
        for line in log.lines[adding.number :]:
            t = stamp(line)
            if t is None or _clock(line) != _clock(adding):
                continue
            gap = t - t0
            if SETUP_PAUSE_S <= gap < MAX_PAUSE_S:
                return adding, line, gap
            break
    return None


# A program that crashed: a traceback, an exception's last line, a fatal or a signal.
_CRASH = (
    r"^Traceback \(most recent call last\)",
    r"^(\w+\.)*\w*(Error|Exception)\s+Traceback \(most recent call last\)",  # IPython's
    r"^(\w+\.)*\w*(Error|Exception)\b: ",
    r"\bINTERNAL ASSERT FAILED\b",
    r"Segmentation fault|core dumped|\bAborted\b",
)


def crash_lines(log: ScannedLog, after: int = 0) -> list[LogLine]:
    """Lines after line ``after`` that say the program crashed (traceback, exception, fatal
    line, signal); a device list or count printed before them was no successful start."""
    found = [
        ln
        for ln in log.lines
        if not ln.harmless and (ln.severity == "F" or any(re.search(p, ln.message) for p in _CRASH))
    ]
    return [ln for ln in found if ln.number > after]


# What a crash of the GPU start talks about (its own line or its traceback's frames).
_GPU_WORDS = re.compile(r"cuda|\bgpus?\b|device|nvml|cudnn|cublas|nccl|\bxla\b", re.IGNORECASE)


def gpu_crash_lines(log: ScannedLog, after: int = 0) -> list[LogLine]:
    """``crash_lines`` whose line or traceback (the lines up to the next crash line, at most
    ``reach``) names CUDA, a GPU or a device: a user's own ValueError after a healthy start
    says nothing about the GPU."""
    reach = 15
    out = []
    for line in crash_lines(log, after):
        window = log.lines[line.number - 1 : line.number + reach]
        if line.severity == "F" or any(_GPU_WORDS.search(ln.text) for ln in window):
            out.append(line)
    return out
