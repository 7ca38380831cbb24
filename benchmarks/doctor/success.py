"""Evidence that the GPU came up, in every wording a log has for it (pure).

TensorFlow's own success lines (TF2 ``Created device``, TF1 ``Created/Creating TensorFlow
device``), XLA's ``StreamExecutor device (0)``, the graphbench probe, a user's print of the
device list or count, and other CUDA programs saying they use the GPU (in their own words, or,
for a program no reader knows, by naming the GPU model in a log with no complaint). "Found
device ... with properties" only says the driver enumerated the GPU, so it counts less. Kept
apart from the failure rules because ``healthy`` is decided against all of them (see
rulebook): success counts at full strength only when no failure reaches ``Level.POSSIBLE``.
"""

from __future__ import annotations

import re

from benchmarks.containers import engine_errors
from benchmarks.doctor.codes import Level
from benchmarks.doctor.logfacts import (
    GPU_BRAND,
    answers_of,
    device_answers,
    docker_runs,
    gpu_answers_of_others,
    smi_gpu_names,
)
from benchmarks.doctor.logscan import LogLine, ScannedLog
from benchmarks.doctor.signals import CREATED_DEVICE, probe_gpu_ok_lines

_BRAND = rf"({GPU_BRAND}|RTX)"
_JETSON = r"Orin|Xavier|Jetson"  # the Jetson boards' integrated GPUs, named without a brand
_TF1_CREATING = r"Creat(ed|ing) TensorFlow device \(/(job:\S+/)?(device:)?gpu:\d+"
_USED = (
    r"StreamExecutor device \(\d+\): .*Compute Capability \d",  # XLA
    r"XLA service 0x[0-9a-f]+ initialized for platform CUDA",
    r"device:GPU:\d+ -> device: \d+, name: ",  # log_device_placement's device mapping
    r"Executing op \w+ in device /job:\S+/device:GPU:\d+",
    r"\): /job:\S+/device:GPU:\d+$",  # TF1 placement: "MatMul: (MatMul): /job:.../GPU:0"
    r"Loaded cuDNN version \d+",  # the first convolution ran on the GPU
    r"gpu/pool_allocator\.cc:\d+\] PoolAllocator: After \d+ get requests",  # TF 1.x, training
    r"gpu/pool_allocator\.cc:\d+\] Raising pool_size_limit_",  # the same allocator growing
)
# Success lines of diagnostic tools a user runs by hand, often after the failure they ask about:
# they say the GPU works for that tool, not that the failing program got past its error, so they
# never outlive a failure printed before them (rulebook._health).
_DIAGNOSTIC_TOOLS = (
    r"Detected [1-9]\d* CUDA Capable device",  # the CUDA samples' deviceQuery
    r"^Result = PASS$",
    r"^[1-9]\d* device\(s\):$",  # CUDA.jl's versioninfo()
    rf"^\s*Name\.{{3,}}:\s*({GPU_BRAND})\b",  # hashcat -I's backend devices
    r"^\|\s*CUDA Main Library\s*\|\s*Pass\b",  # DCGM's diagnostic
    r"^SUM \w+_(ce|sm) [\d.]+\s*$",  # nvbandwidth's measured sum
    r"^CUDA Device Initiali[sz]ed\s*:\s*True\b",  # numba -s
    r"^\s*-?\s*CUDA\d+\s*:\s*.+\(\d+ MiB, \d+ MiB free\)",  # llama.cpp --list-devices
)
_OTHER_PROGRAMS = (
    r"Setting ds_accelerator to cuda",  # DeepSpeed picks cuda only when torch sees a GPU
    r"Using (CUDA|GPU) device",
    r"\bUsing device\W{0,3}\s*(device\(type=')?cuda\b",  # also a printed torch.device
    r"Metal device set to: ",  # tensorflow-metal on macOS registered its GPU device
    r"\bfound [1-9]\d* CUDA devices?\b",  # ggml (llama.cpp, whisper.cpp) after cuInit
    r"offloaded [1-9]\d*/\d+ layers to GPU",  # llama.cpp
    r"inference compute\b.*\blibrary=cuda",  # ollama's chosen GPU
    r"\boffload to cuda\b",  # ollama's layers placed on the GPU
    r"\bdevice='cuda:\d+'\)",  # a PyTorch tensor printed on a GPU
    r"\bDevice: cuda:\d+ \S",  # ComfyUI's chosen device, with its name
    r"^Device \d+ Name\s*: \S",  # CuPy's show_config lists a device it opened
    r"\bGPU device name\W*/device:GPU:\d",  # the R package's tf_gpu_configured()
    r"\busing CUDA backend\b",  # whisper.cpp / ggml
    r"\bXLA backend type: gpu\b",  # JAX's default_backend() printed
    r"\bCUDA Compute Capability detected: \d",  # Ollama
    r"\bdetected GPUs\W+count=[1-9]",  # Ollama's debug discovery
    r"# (GPU|cuda) blocks: [1-9]\d*",  # vLLM sized its KV cache on the GPU
    r"\bNCCL INFO .*\bcudaDev \d+\b",  # NCCL ranks on CUDA devices
    rf"^\* Device #\d+: ({GPU_BRAND})\b.*\b\d+/\d+ MB\b",  # hashcat
    r"\b[Rr]unning on (device )?(cuda(:\d+)?|GPU)\b(?! ?\d* ?(failed|error))",
    # vLLM's memory profile and weight loading: printed once the weights are on the GPU
    r"\btotal_gpu_memory[ =]\(?[\d.]+ ?GiB\b",
    r"\bLoading model weights took [\d.]+ ?GB\b",
    r"\bmodel weights take [\d.]+ ?GiB\b",
    r"Cannot use FlashAttention-2 backend for Volta and Turing GPUs",  # vLLM read the device
    # nccl-tests' per-rank device row, PaddlePaddle's run_check()
    r"^#?\s*Rank\s+\d+ (Group\s+\d+ )?Pid\s+\d+ on\s+\S+ device\s+\d+ \[0x[0-9a-f]+\] \S",
    r"\b(PaddlePaddle|Paddle Fluid) works well on ([1-9]\d*|SINGLE|MU\w*PLE) GPUs?\b",
    r"^\s*\d+: .+ \(sm_\d+, [\d.]+ [GM]iB / [\d.]+ [GM]iB available\)",  # CUDA.jl's device list
    r"^Set vram state to: (NORMAL|HIGH|LOW|NO)_VRAM\b",  # ComfyUI chose a GPU memory mode
    r"^\[\s*('[^']*',\s*)*'(/job:[^']*)?/device:GPU:\d+'",  # a printed list of TF device names
    # a program naming the GPU it selected (InvokeAI, TensorRT's trtexec, scripts, Caffe)
    rf"\bUsing torch device: ({_BRAND}|cuda)\b",
    rf"\busing GPU: {_BRAND}\b",
    r"\bUse GPU with device ID \d+",
    r"Found suitable (OpenCL|CUDA) device \[[^\]]+\] with \d+ bytes of GPU memory",  # ethminer
    # tools' own results on the GPU
    r"^\s*\d+\s+(CUDA|OpenCL) - Successfully computed forces\b",  # OpenMM's testInstallation
    r"^\s*CudaDeviceName: \S",  # OpenMM
    r"TensorFloat-32 will be used for the matrix multiplication",  # TF ran a matmul on Ampere
    r"^\s*\*?\s*CUDA GPU\s+#\d+\s+.*\bmem:\d+/\d+ ?MB",  # XMRig's device row
    r"\bnvidia\s+READY threads [1-9]\d*/\d+",  # XMRig
    r"\bCUDA(: NVIDIA GPU \d+| devices?): \S.*\(driver( version)?\b",  # BOINC's client
    r"^GPU: GPU #\d+ .+\(\d+x\d+ cores\) Grid\(\d+x\d+\)",  # VanitySearch
    r"^Auto Selected (CUDA|CuBLAS) Backend\b",  # KoboldCpp
    r"\bassigned to device CUDA\d+\b|\bCUDA\d+ (model|KV|compute) buffer size\s*=",  # llama.cpp
    r"\b(gpu_)?model_runner\.py:\d+\] Starting to load model",  # vLLM
    r"\bGPU KV cache size: [1-9][\d,]* tokens|\bAvailable KV cache memory: [\d.]+ ?GiB",
    r"\btorch[- ]\S+ CUDA:\d+ \([^,()]+, [\d.]+ ?Mi?B\)",  # Ultralytics' banner
    # round 11: onnxruntime's session runs on the CUDA (or TensorRT) provider first
    r"\bApplied providers: \['(Tensorrt|CUDA)ExecutionProvider'",
    r"\bGPU KV cache usage: [\d.]+%",  # vLLM's running metrics
    r"\[gpu_model_runner\.py:\d+\] ",  # vLLM's GPU worker got as far as logging
    r"\bdevice: \d+, cuDNN Version: \d",  # PaddlePaddle opened cuDNN on the device
    r"^\s*\d+/\d+\s+(?!0(\.0+)?G\b)\d+(\.\d+)?G\s+\d",  # Ultralytics' epoch row, GPU_mem > 0
    r"\[TRT\] \[MemUsageChange\] Init CUDA: CPU \+\d+, GPU \+\d+",  # TensorRT's CUDA context
    rf"\[I\] Selected Device: ({_BRAND}|{_JETSON})\b",
    r"\bKV Cache is allocated\. #tokens: [1-9]",  # SGLang's memory pool on the GPU
    r"\bCapture cuda graph (begin|end)\b",  # SGLang
    r"\[TRT-LLM\] \[I\] Compute capability: \(\d+, \d+\)",  # TensorRT-LLM read the device
    r"\bAuto batch ?size: GPU memory available: [\d.]+ ?GB",  # dorado
    r"^#?\s*Avg bus bandwidth\s*:\s*\d",  # nccl-tests' result
    r"\bGPU available: building model with cudnn optimization",  # medaka
    r"^\[[\d:]+ - Predict\] Found a GPU\.$",  # medaka
    r"^GPU ?#\d+: .* (?!0(\.0+)? )\d+(\.\d+)? [kMGT]?H/s\b",  # miners' per-GPU rate, not 0
    r"^\s*(using )?device\s*[:=]?\s*['\"]?cuda(:\d+)?['\"]?\s*$",  # a script's own print
    r"^\s*DeviceSelected: 1\s*$",  # MATLAB's gpuDevice
    r"\boffloading [kv] cache to GPU\b|\btotal VRAM used: [1-9]",  # llama.cpp
    r"\bTORCH CUDA version installed and working\b",  # cellpose
    r"\bInitialized CUDA\. Active GPU is #\d",  # instant-ngp / tiny-cuda-nn
    r"^\+\+\+ Using GPU PhysX\b|^Physics Device: cuda:\d",  # Isaac Gym
    r"\bInitializing Device \d+ on core \d+\.\.\.Done\.",  # LAMMPS' GPU package
    r"\bFound (H\.264|HEVC|AV1) encoder: \w+_nvenc\b",  # Sunshine found a working NVENC
)


def from_diagnostic_tool(line: LogLine) -> bool:
    """Whether a success line is a hand-run diagnostic tool's (see ``_DIAGNOSTIC_TOOLS``)."""
    return any(re.search(p, line.text, re.IGNORECASE) for p in _DIAGNOSTIC_TOOLS)


# A success line that a later line of the same program takes back: llama.cpp says it offloaded
# layers even when CUDA failed (the buffers are then on the CPU); OpenMM's testInstallation
# lists each platform it computed forces on and then says which one failed; PaddlePaddle opens
# cuDNN on a GPU its build has no kernels for, after saying so.
_TAKEN_BACK = (
    (r"offloaded [1-9]\d*/\d+ layers to GPU", r"^ggml_cuda_init: failed to initialize CUDA"),
    (r"Successfully computed forces", r"Error computing forces with (CUDA|OpenCL) platform"),
    (r"cuDNN Version: \d", r"which is not (supported by|compatible with) Paddle\b"),
)
_FOUND = (
    r"Found device \d+ with properties",
    r"Adding visible gpu devices: \d",
    r"device: \d+, (GPU Compute|CUDA) Capability: \d",  # PaddlePaddle enumerated the device
    r"^NVIDIA driver \d+\.\d+(\.\d+)?, for CUDA \d+\.\d+$",  # CUDA.jl's versioninfo()
    rf"^\s*Device \d+: \"?{_BRAND}\b",  # deviceQuery, ggml, nvbandwidth list a device
    r"gpu_device\.cc:\d+\] DMA: \d",  # TF 1.x's peer matrix, printed before it creates devices
    # environment reports pasted into an issue, wherever the error is: PyTorch's collect_env
    # (vLLM's, SGLang's), detectron2's
    r"^Is CUDA available\s*:\s*(True|Yes)\b",
    rf"^GPU \d+\s+({_BRAND}|{_JETSON})?.*\(arch=\d+\.\d+\)",
)
# Printed only once the driver enumerated a device: the executor reads that device's PCI NUMA
# node (the lines are benign noise, so no rule quotes them as a cause), and nvidia-smi's table
# has a row per GPU. They are weaker than "Found device" (PROBABLE): they count only in a log
# with no warning or error anywhere, and not at all against a standing failure (a user often
# runs nvidia-smi after the failure).
_ENUMERATED = (
    r"successful NUMA node read from SysFS",
    r"could not open file to read NUMA node: /sys/bus/pci/devices/",
    r"^GPU \d+: .+\(UUID: GPU-[0-9a-fA-F-]+\)",  # nvidia-smi -L
    r"Could not identify NUMA node of \S*gpu:\d",  # TF 1.x names the GPU device it creates
)


def success_lines(log: ScannedLog) -> tuple[int, list[LogLine]]:
    """How strongly the log says a GPU is usable, and the lines that say it (log order)."""
    created = log.find_wrapped(*CREATED_DEVICE, _TF1_CREATING) + probe_gpu_ok_lines(log)
    if created:
        return Level.STRONG, sorted(created, key=lambda ln: ln.number)
    others = gpu_answers_of_others(log)  # the driver works; the failing program has no GPU
    said = [ln for ln in answers_of(log, "gpu") if ln not in others]
    said += log.find(*_USED, *_OTHER_PROGRAMS, *_DIAGNOSTIC_TOOLS)
    for claim, denial in _TAKEN_BACK:
        if log.first(denial):
            said = [ln for ln in said if not re.search(claim, ln.text, re.IGNORECASE)]
    if said:
        return Level.CLEAR, sorted(said, key=lambda ln: ln.number)
    found = sorted(log.find_wrapped(*_FOUND) + _jax_cuda_platform(log), key=lambda ln: ln.number)
    if found and not _complaints_after(log, found[0]):
        return Level.LIKELY, found
    enumerated = _enumerated(log)
    if enumerated and not found and not _complaints(log.lines, log):
        return Level.PROBABLE, enumerated  # only in a log with no complaint anywhere
    quiet = [] if (found or others) else (quiet_gpu_stack(log) or gpu_named_quietly(log))
    if quiet:
        return Level.POSSIBLE, quiet
    return 0, []


# The GPU stack at work, in lines that are benign noise themselves (TF's CUDA plugins register
# their factories, TensorRT is looked for), or a `docker run` that asks for the GPU.
_GPU_STACK = re.compile(
    r"(cuda|gpu)_\w+\.cc|dso_loader|stream_executor|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|TF-TRT",
    re.IGNORECASE,
)
# Words of a complaint in a line without a severity prefix (a program's own print, a shell).
_COMPLAINT = re.compile(
    r"error|fail|fatal|cannot|can't|could not|couldn't|unable|not found|segmentation fault|abort"
    r"|denied|\bno\b[\w\s/-]{0,30}\b(found|detected|available|present)\b|unavailable|busy"
    r"|warning|mismatch|insufficient|panic|exception|traceback|killed|core dumped"
    r"|not (be )?(available|supported|compatible)|does not|doesn't|didn't|won't|not work"
    r"|not (using|use|detect)|fall(ing)? back|\bon (the )?CPU\b|\bCPU[- ]only\b"
    r"|out of memory|\bOOM\b(?![\"']?\s*[:=]\s*0\b)|non-zero (exit )?status|exited with",
    re.IGNORECASE,
)


def quiet_gpu_stack(log: ScannedLog) -> list[LogLine]:
    """The GPU stack ran and nothing in the whole log complains: every warning or error is
    known benign noise (or the image banner under a `docker run` that asks for the GPU).

    The weakest success (``Level.POSSIBLE``): no line says a device came up, but a failure
    would have said so. The program must have gone on once its GPU stack printed (a line
    that is neither stack nor noise follows the first stack line): a paste of the
    import-time lines alone says nothing yet. Returns the lines that show the GPU stack at
    work, or []."""
    if _says_no_gpu(log):
        return []
    runs, with_gpu = docker_runs(log)
    banner_ok = bool(runs) and len(with_gpu) == len(runs)
    stack: list[LogLine] = []
    for line in log.lines:
        banner = banner_ok and re.search(engine_errors.NO_DRIVER_DETECTED, line.text)
        if _GPU_STACK.search(line.text) or line in with_gpu:
            stack.append(line)
        if not (line.harmless or banner or line in runs) and _complains(line):
            return []
    went_on = [ln for ln in log.lines if ln.text and not ln.harmless and ln not in stack]
    return stack if stack and went_on and went_on[-1].number > stack[0].number else []


# A line that names an NVIDIA GPU model or says a program uses CUDA/the GPU, in any program's
# words: the generic form of _OTHER_PROGRAMS, for the programs no reader knows yet.
_GPU_MODEL = (
    r"\b(GeForce|Quadro|TITAN|Tesla [A-Z]?\d|RTX ?[A-Z]?\d{3,4}|GTX ?\d{3,4}|GRID [A-Z]\d)"
    r"|\bNVIDIA [ABHL]\d{1,3}\b"
)
_GPU_IN_USE = (
    r"\bcuda:\d\b|\bCUDA\d\b|\busing (the )?(gpu|cuda)\b|\bon (the )?gpu\b"
    r"|\b(gpu|cuda) (device|backend)\b"
)
# ... but not where a tool lists the hardware (nvidia-smi's table and -L, TensorFlow's "Found
# device" block) or a program turns the GPU down: those say the GPU exists, not that it was used.
# (The turning-down words are _TURNED_DOWN's: any line with one vetoes the whole log.)
_NAMED_NOT_USED = re.compile(
    r"^\s*\||\|\s*\d+\s+\S.*\||\(UUID: GPU-|^name: |Found device \d"
    r"|which is of cuda capability|\bminimum\b",
    re.IGNORECASE,
)
# Words that turn a GPU down or away, in addition to _COMPLAINT's; a printed False (alone, or
# after a word of CUDA, GPU or availability: not a setting such as "useFP16 = false") or a
# count of none answers "is there a GPU" with no.
_TURNED_DOWN = re.compile(
    r"\bignoring\b|\bskipping\b|no longer supports?|too old|^\W*False\W*$"
    r"|(cuda|gpus?|available|built|initiali[sz]ed|detected|found|enabled|supported|present)\w*"
    r"(\(\))?['\"]?\s*(:|=|->|is)?\s*False\b"
    r"|\b0 (cuda |gpu )?(devices?|gpus?)\b",
    re.IGNORECASE,
)


def gpu_named_quietly(log: ScannedLog) -> list[LogLine]:
    """A program names the NVIDIA GPU it uses (or says it uses CUDA) and nothing in the whole
    log complains: the generic success of a program that no success reader knows.

    As weak as ``quiet_gpu_stack`` (``Level.POSSIBLE``): any warning, error, complaint word,
    printed "no GPU" answer, or a rule's failure at POSSIBLE or above outweighs it. Returns the
    naming lines, or []."""
    named = [ln for ln in log.find(_GPU_MODEL, _GPU_IN_USE) if not _NAMED_NOT_USED.search(ln.text)]
    if not named or _says_no_gpu(log):
        return []
    loud = [ln for ln in log.lines if not ln.harmless]
    if any(_complains(ln) or _TURNED_DOWN.search(ln.message) for ln in loud):
        return []
    return named


# JAX names the platforms it registered when it probes one it lacks (a benign line, so read
# past ``find``): CUDA among them, and no complaint about the CUDA backend itself, means the
# CUDA client came up (JAX says "Unable to initialize backend 'cuda'" when it does not).
_JAX_PLATFORMS = re.compile(r"Available platform names are:.*\bCUDA\b", re.IGNORECASE)


def _jax_cuda_platform(log: ScannedLog) -> list[LogLine]:
    if log.first(r"Unable to initialize backend '(cuda|gpu)'"):
        return []
    return [ln for ln in log.lines if _JAX_PLATFORMS.search(ln.text)][:1]


def _says_no_gpu(log: ScannedLog) -> bool:
    """A printed "no GPU" (or "no CUDA build") answer: a complaint too."""
    return any(a.kind in ("no_gpu", "no_cuda_build") for a in device_answers(log))


def _complains(line: LogLine) -> bool:
    """A warning or error line, or one whose words complain (the quiet readers' veto)."""
    return line.severity in ("W", "E", "F") or bool(_COMPLAINT.search(line.message))


def _enumerated(log: ScannedLog) -> list[LogLine]:
    """NUMA reads of a device (harmless lines, so read past ``find``) and nvidia-smi GPU rows."""
    compiled = [re.compile(p, re.IGNORECASE) for p in _ENUMERATED]
    numa = [ln for ln in log.lines if any(c.search(ln.text) for c in compiled)]
    return sorted(numa + [line for _, line in smi_gpu_names(log)], key=lambda ln: ln.number)


def _complaints_after(log: ScannedLog, line: LogLine) -> bool:
    """Any warning or error after the enumeration: the start did not simply go on."""
    return _complaints(log.lines[line.number :], log)


def _complaints(lines: tuple[LogLine, ...], log: ScannedLog) -> bool:
    """Any warning, error or traceback's last line among ``lines`` that is not benign noise."""
    numbers = {ln.number for ln in lines}
    return any(ln.severity in ("W", "E", "F") and not ln.harmless for ln in lines) or any(
        ln.number in numbers for ln in log.problems()
    )
