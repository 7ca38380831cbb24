"""Rules that read the build and the platform from the log itself, and what an empty GPU list
means when nothing else was printed.

A TensorFlow that cannot use CUDA prints no GPU line at all: the evidence is the platform
(native Windows with TF >= 2.11, macOS), the build (``is_built_with_cuda()`` False, a CPU conda
build string, ``tensorflow-cpu`` / ``tensorflow-intel``), or a device list without a GPU while
no CUDA library was even looked for. TF 2.16+ pip installs whose ``nvidia-*`` wheels' libraries
are not on the loader path look the same on Linux, so there the libraries come first.
"""

from __future__ import annotations

import re

from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.findings import Candidate
from benchmarks.doctor.logfacts import (
    answers_of,
    cuda_attempted,
    gpu_answers_of_others,
    platform,
    tf_version,
    xla_gpu_listed,
)
from benchmarks.doctor.logscan import LogLine, ScannedLog, quote
from benchmarks.doctor.registry import rule
from benchmarks.doctor.success import success_lines
from benchmarks.environment.view import FingerprintView

_JAX_FALLBACK = r"CUDA-enabled jaxlib is not installed"
# NVIDIA's CUDA ran on macOS until 10.13 (CUDA 10.2): a CUDA error from the program itself
# means the build has CUDA, so the platform is not why it failed.
_CUDA_ERROR_SAID = (r"cuda runtime error \(\d+\)", r"CUDA driver version is insufficient")
_JAX_CUDA_PLUGIN = r"jax_plugins[/.]xla_cuda|Unable to initialize backend 'cuda'"
_CPU_BUILD = (
    r"\btensorflow-(cpu|intel)\b",
    r"\btensorflow(-base)?\s+\d+\.\d+\.\d+\s+(cpu|mkl|eigen)_",  # conda list build string
    r"\btensorflow(-base)?-\d+\.\d+\.\d+-(cpu|mkl|eigen)_",
    _JAX_FALLBACK,
    r"\bjax\[cpu\]",
    r"Torch not compiled with CUDA enabled",
    # any program saying its build has no GPU support (MXNet, llama.cpp, ...)
    r"\b(please )?(re)?compile with (USE_)?CUDA(=1| enabled)",
    r"\bnot (compiled|built) with (GPU|CUDA)( offload)? support",
    r"\btorch[=\s-]+\d+\.\d+(\.\d+)?\+cpu\b",
    r"\b_tflow_select\s+\S+\s+(mkl|eigen)",
    # onnxruntime (the CPU package, or it shadowing onnxruntime-gpu) has no CUDA provider
    r"Specified provider 'CUDAExecutionProvider' is not in available provider",
    r"\b(GPU|CUDA) Tree Learner was not enabled in this build",  # LightGBM
    r"recompile with CMake option -DUSE_(GPU|CUDA)=1",
    r"(using|installed) (the )?paddlepaddle[- ]cpu version",
    r"installed CPU version (of )?PaddlePaddle",
    # faiss-cpu has no GPU classes at all
    r"has no attribute '(StandardGpuResources|GpuIndex\w*|index_cpu_to_gpu\w*|get_num_gpus)'",
    r"DNN module was not built with CUDA backend",  # OpenCV
    # conda's CPU builds of PyTorch (`conda list`)
    r"^\s*(pytorch|torchvision|torchaudio)\s+\d+\.\d+(\.\d+)?\s+py[\d.]+_cpu\w*",
    r"^\s*cpuonly\s+\d",
)
_PIP_NVIDIA = (
    r"\bnvidia-(cudnn|cublas|cuda-runtime|cuda-nvrtc|cufft|cusolver|cusparse|nccl)-cu1\d",
    r"tensorflow\[and-cuda\]",
    r"site-packages/nvidia/\w+/lib",
)


def _no_gpu_lines(log: ScannedLog) -> list[LogLine]:
    return answers_of(log, "no_gpu")


@rule(Code.CPU_ONLY_BUILD_OR_PLATFORM)
def build_or_platform_in_log(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """The log shows a CPU-only build or a platform without CUDA support."""
    level, said = success_lines(log)
    if facts.is_cuda_build() is True or level >= Level.STRONG:
        return []
    # The build's own word outranks another program's (a user's torch print of True).
    built = answers_of(log, "no_cuda_build") + log.find(*_CPU_BUILD)
    if built:
        # JAX prints its "CUDA-enabled jaxlib is not installed" fallback also when the CUDA
        # plugin is installed and failed to load: then the plugin's error is the cause.
        plugin = log.find(_JAX_CUDA_PLUGIN)
        jax_only = all(re.search(_JAX_FALLBACK, ln.text) for ln in built)
        score = Level.POSSIBLE if plugin and jax_only else Level.STRONG
        return [Candidate(Code.CPU_ONLY_BUILD_OR_PLATFORM, score, quote(built))]
    where = platform(log)
    if where is None or said:
        return []
    name, line = where
    version = tf_version(log)
    ev = [line.text]
    if version:
        ev.append(version[1].text)
    no_gpu = _no_gpu_lines(log)
    if name == "macos":
        score = Level.STRONG if (no_gpu or not log.problems()) else Level.PROBABLE
        if log.find(*_CUDA_ERROR_SAID):
            score = Level.HINT  # a program that has CUDA said why it failed: a pre-2019 Mac
        note = "macOS has no CUDA: TensorFlow uses the CPU (or Metal via tensorflow-metal)."
    elif version and version[0] >= (2, 11):
        score = Level.STRONG
        note = f"TensorFlow {version[0][0]}.{version[0][1]} has no GPU support on native Windows."
    elif no_gpu and not cuda_attempted(log):
        score = Level.LIKELY
        note = (
            "Native Windows and TensorFlow never looked for CUDA: TF >= 2.11 has no GPU "
            "support there."
        )
    else:
        return []
    return [Candidate(Code.CPU_ONLY_BUILD_OR_PLATFORM, score, (*ev, *quote(no_gpu, 1)), note)]


@rule(
    Code.CPU_ONLY_BUILD_OR_PLATFORM,
    Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR,
    Code.COMPUTE_CAPABILITY_BELOW_MINIMUM,
)
def empty_gpu_list(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """A printed GPU list is empty and TensorFlow never said why."""
    no_gpu = _no_gpu_lines(log)
    if not no_gpu or cuda_attempted(log) or success_lines(log)[1] or facts.present:
        return []
    ev = quote(no_gpu, 2)
    pip_cuda = log.find(*_PIP_NVIDIA)
    version = tf_version(log)
    linux_pip = bool(pip_cuda) or bool(version and version[0] >= (2, 16) and platform(log) is None)
    libs_note = (
        "TF 2.16+ pip installs: the nvidia-* wheels' libraries are not found (TensorFlow does "
        "not add site-packages/nvidia/*/lib to the loader path); set LD_LIBRARY_PATH or "
        "reinstall 'tensorflow[and-cuda]'. `TF_CPP_MAX_VLOG_LEVEL=3` names the library."
    )
    build_note = (
        "No CUDA library was even looked for: a CPU-only build (tensorflow-cpu, a CPU conda "
        "variant), macOS, or native Windows with TF >= 2.11. `tf.test.is_built_with_cuda()` "
        "settles it."
    )
    extra = tuple(ln.text for ln in pip_cuda[:1]) + ((version[1].text,) if version else ())
    others = gpu_answers_of_others(log)
    if others:
        build_note += (
            " Another program in the same environment sees the GPU, so the driver works: "
            "the build of the one that lists none is what lacks CUDA."
        )
        ev += quote(others, 1)
    libs = Candidate(Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR, Level.POSSIBLE, ev + extra, libs_note)
    build = Candidate(Code.CPU_ONLY_BUILD_OR_PLATFORM, Level.PROBABLE, ev, build_note)
    xla_gpu = xla_gpu_listed(log)
    cuda_build = answers_of(log, "cuda_build")
    if cuda_build and not xla_gpu:
        libs_note = (
            "The build says it has CUDA, so it is not a CPU-only build: the CUDA/cuDNN "
            "libraries it was built for are missing or of another major version, or the driver "
            "is not reachable. `TF_CPP_MIN_LOG_LEVEL=0` (TF) names what failed."
        )
        libs = Candidate(libs.code, Level.LIKELY, ev + quote(cuda_build, 1) + extra, libs_note)
        build = Candidate(build.code, Level.WEAK, build.evidence, build.note)
    elif xla_gpu:
        # An XLA_GPU device means a CUDA build reached the driver: the GPU device itself was
        # not registered, which TF does when its CUDA libraries are missing or the wrong major.
        libs_note = (
            "TensorFlow listed an XLA_GPU device but no GPU device: the build has CUDA and the "
            "driver answered, but the CUDA/cuDNN libraries of the version this TensorFlow was "
            "built for were not found (`TF_CPP_MIN_LOG_LEVEL=0` shows 'Cannot dlopen some GPU "
            "libraries')."
        )
        libs = Candidate(libs.code, Level.LIKELY, ev + quote(xla_gpu, 1) + extra, libs_note)
        build = Candidate(build.code, Level.WEAK, build.evidence, build.note)
        too_old = (
            "Check second: TensorFlow also skips a GPU below its minimum compute capability "
            "while XLA_GPU stays listed ('Ignoring visible gpu device' at TF_CPP_MIN_LOG_LEVEL=0)."
        )
        cc = Candidate(
            Code.COMPUTE_CAPABILITY_BELOW_MINIMUM, Level.POSSIBLE, libs.evidence, too_old
        )
        return [build, libs, cc]
    elif linux_pip:
        libs = Candidate(libs.code, Level.LIKELY, libs.evidence, libs.note)
        build = Candidate(build.code, Level.POSSIBLE, build.evidence, build.note)
    return [build, libs]
