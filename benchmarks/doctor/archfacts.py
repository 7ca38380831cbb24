"""Whether the GPU a log names fits the CUDA its program was built with (pure).

A log often shows both halves of an architecture mismatch without the error that would name
it: the GPU's compute capability (TensorFlow's "major: 8 minor: 6", deviceQuery, a PaddlePaddle
or Meshroom device line, or only the GPU's model name) and the CUDA the program was built with
(PyTorch's collect_env, a ``+cu118`` wheel tag, the ``cudart64_100.dll`` / ``libcudart.so.10.0``
TensorFlow loads, PaddlePaddle's runtime API version). This module is the one home of NVIDIA's
architecture facts that join the two:

- the newest architecture each CUDA toolkit can build for (a GPU of a newer *major*
  architecture has no kernels in that build: PyTorch fails with "no kernel image", TensorFlow
  JIT-compiles PTX for minutes: ``no_kernel_image_for_arch``). Kernels of an older minor of the
  same major run (binary compatibility), so only the major is compared;
- the oldest architecture a toolkit or framework build still supports (Fermi, 2.x, is gone
  since CUDA 9; CUDA 12 dropped Kepler, CUDA 13 Maxwell to Volta; PyTorch's CUDA 12.8/12.9
  wheels dropped Maxwell and Pascal: ``compute_capability_below_minimum``). A capability
  below 3.5 under TensorFlow is not claimed: community and source builds still target 3.0.

Sources: the CUDA Toolkit release notes ("deprecated architectures", the sm_ list of each
toolkit), the CUDA C Programming Guide's binary-compatibility rule, PyTorch's RELEASE.md
support matrix and its 2.8 release note. ROCm builds report an AMD GPU
under a made-up CUDA capability, so a log from one says nothing here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchmarks.doctor.logscan import LogLine, ScannedLog

Version = tuple[int, int]

# The newest compute capability each CUDA release can build for (toolkit major, minor).
_NEWEST_TARGET: tuple[tuple[Version, Version], ...] = (
    ((8, 0), (6, 2)),
    ((9, 0), (7, 0)),
    ((9, 1), (7, 2)),
    ((10, 0), (7, 5)),
    ((11, 0), (8, 0)),
    ((11, 1), (8, 6)),
    ((11, 8), (9, 0)),
    ((12, 8), (12, 0)),
    ((13, 0), (12, 1)),
)
# A build whose CUDA minor the log does not tell (TF's cudart64_110.dll serves all of 11.x):
# the newest release of that major, so only a GPU no release of it knew counts as too new.
_NEWEST_OF_MAJOR = {8: (8, 0), 9: (9, 2), 10: (10, 2), 11: (11, 8), 12: (12, 9), 13: (13, 0)}

# Model names, for logs that name the GPU without its capability (nvidia-smi, collect_env,
# ComfyUI). Kepler and Maxwell names mix capabilities, so they are left to explicit lines.
_MODEL_CAPABILITY: tuple[tuple[str, Version], ...] = (
    (r"\b(GB|B)[12]00\b", (10, 0)),
    (r"\bRTX 50[5-9]0\b|\bRTX PRO \d000 Blackwell\b", (12, 0)),
    (r"\bG?H(100|200|800)\b", (9, 0)),
    (r"\bRTX 40[5-9]0\b|\bL40S?\b|\bL4\b|\bRTX \d000 Ada\b", (8, 9)),
    (r"\bA(100|30|800)\b", (8, 0)),
    (r"\bRTX 30[5-9]0\b|\bA(10G?|40|16|2)\b|\bRTX A\d000\b|\bA[456]000\b", (8, 6)),
    (r"\bRTX 20[6-8]0\b|\bGTX 16[5-6]0\b|\bT4\b|\bQuadro RTX\b|\bTITAN RTX\b", (7, 5)),
    (r"\bV100\b|\bTITAN V\b", (7, 0)),
    (r"\bP100\b", (6, 0)),
    (r"\bGTX 10[5-8]0\b|\bP40\b|\bTITAN Xp\b|\bQuadro P\d{3,4}\b", (6, 1)),
    (r"\bG(T|TX) [45]\d0M?\b", (2, 1)),  # Fermi
)
_EXPLICIT = (
    r"\bmajor: (\d+) minor: (\d+)",  # TensorFlow 1.x and early 2.x "Found device"
    r"\bcompute ?capability:? (\d+)\.(\d)",  # TensorFlow 2.x, XLA, PaddlePaddle, many tools
    r"\bCUDA Capability Major/Minor version number:\s+(\d+)\.(\d)",  # deviceQuery
    r"\bCUDA Capability: (\d)(\d)\b",  # PaddlePaddle 1.x: "CUDA Capability: 70"
)
# Frameworks whose every CUDA build is from CUDA 9 on (no Fermi kernels in any of them).
_FRAMEWORKS = r"\btensorflow\b|\btorch\b|\bjax(lib)?\b|\bpaddle"
_ROCM = r"\bROCm\b|\bHIP\b|\bRadeon\b|\bgfx\d{3,4}\b|\bROCM used to build PyTorch: (?!N/A)"
# A capability a program asks for, not the one the GPU has ("requires compute capability 7.0
# or higher", "minimum required ... 3.5", "Triton only supports ... >= 7.0").
_DEMANDED = r"\brequire|\bminimum\b|\bsupport|\bor (higher|newer|above)\b|>=|\bat least\b"


@dataclass(frozen=True)
class Build:
    """The CUDA a program was built with, as a log shows it."""

    cuda: Version  # minor -1: the log gives only the major
    line: LogLine
    pytorch_wheel: bool  # a PyTorch wheel tag (+cuXYZ): its own architecture list applies


@dataclass(frozen=True)
class Gap:
    """A GPU outside what its build supports: ``too_new`` (no kernels for its architecture)
    or ``too_old`` (below the build's minimum), with the lines that show both halves."""

    too_new: bool
    capability: Version
    gpu_line: LogLine
    build: Build | None
    reason: str


def capabilities(log: ScannedLog) -> list[tuple[Version, LogLine]]:
    """Compute capabilities the log prints, else those its GPU model names imply."""
    found = [
        ((int(m.group(1)), int(m.group(2))), line)
        for line in log.find(*_EXPLICIT)
        if not re.search(_DEMANDED, line.text, re.IGNORECASE)
        for pattern in _EXPLICIT
        if (m := re.search(pattern, line.text, re.IGNORECASE))
    ]
    major = log.first(r"ComputeCapability\.Major: \d+")  # Meshroom's device dump
    minor = log.first(r"ComputeCapability\.Minor: \d+")
    if major and minor:
        found.append(((_last_int(major.text), _last_int(minor.text)), major))
    if found:
        return found
    return [
        (cc, line) for pattern, cc in _MODEL_CAPABILITY for line in log.find(pattern, flags=0)[:1]
    ]


def builds(log: ScannedLog) -> list[Build]:
    """The CUDA the log's program was built with, where the log shows it."""
    out: list[Build] = []
    for line in log.find(r"CUDA used to build PyTorch: \d+\.\d"):
        out.append(
            Build(_version(re.search(r"(\d+)\.(\d+)", line.text.split(":", 1)[1])), line, False)
        )
    for line in log.find(r"\b\d+\.\d+(\.\d+)?(a0|\.dev\d+)?\+cu\d{2,3}\b"):
        digits = re.search(r"\+cu(\d{2,3})\b", line.text)
        if digits:
            d = digits.group(1)
            out.append(Build((int(d[:-1]), int(d[-1])), line, True))
    libs = r"(cudart|cublas|cufft|curand|cusolver|cusparse)"
    for line in log.find(rf"\b{libs}64_\d{{2,3}}\.dll", rf"\blib{libs}\.so\.\d+"):
        m = re.search(rf"{libs}64_(\d\d)(\d)?\.dll", line.text, re.IGNORECASE) or re.search(
            rf"lib{libs}\.so\.(\d+)(?:\.(\d))?", line.text, re.IGNORECASE
        )
        if m:
            major, minor = int(m.group(2)), m.group(3)
            known = minor is not None and major < 11  # 11.x and later keep one name per major
            out.append(Build((major, int(minor) if known else -1), line, False))
    for line in log.find(r"\bRuntime API Version: \d+\.\d"):  # PaddlePaddle
        out.append(
            Build(_version(re.search(r"Runtime API Version: (\d+)\.(\d+)", line.text)), line, False)
        )
    return [b for b in out if b.cuda[0] >= 7]


def gaps(log: ScannedLog) -> list[Gap]:
    """Each way the log's GPU falls outside its build (empty when it fits or a half is
    missing, and for ROCm logs)."""
    if is_rocm(log):
        return []
    ccs = capabilities(log)
    if not ccs:
        return []
    built = builds(log)
    out: list[Gap] = []
    newest_cc, newest_line = max(ccs, key=lambda c: c[0])
    for build in built:
        target = newest_target(build.cuda)
        if newest_cc[0] > target[0]:
            out.append(
                Gap(
                    True,
                    newest_cc,
                    newest_line,
                    build,
                    f"compute capability {_dotted(newest_cc)} is a newer architecture than "
                    f"any a CUDA {_cuda(build.cuda)} build has kernels for (newest "
                    f"{_dotted(target)})",
                )
            )
            break
    oldest_cc, oldest_line = min(ccs, key=lambda c: c[0])
    reason = _too_old(oldest_cc, built, log)
    if reason:
        newest = max(built, key=lambda b: b.cuda) if built else None
        out.append(Gap(False, oldest_cc, oldest_line, newest, reason))
    return out


def is_rocm(log: ScannedLog) -> bool:
    """A ROCm (AMD) log: its "cuda capability" is HIP's stand-in, not an NVIDIA GPU's."""
    return bool(log.find(_ROCM, flags=0))  # case-sensitive: collect_env's "ROCM ... N/A" is not


def newest_target(cuda: Version) -> Version:
    """The newest compute capability a CUDA release builds for (minor -1: the major's last)."""
    release = _NEWEST_OF_MAJOR.get(cuda[0], cuda) if cuda[1] < 0 else cuda
    target = (99, 9)  # older than CUDA 8: no claim
    for since, newest in _NEWEST_TARGET:
        if release >= since:
            target = newest
    return target


def _too_old(cc: Version, built: list[Build], log: ScannedLog) -> str:
    cudas = [b.cuda for b in built]
    at = _dotted(cc)
    modern = any(c[0] >= 9 for c in cudas) or bool(log.first(_FRAMEWORKS))
    if cc < (3, 0) and modern:
        return f"compute capability {at} (Fermi) is below every CUDA release since 9.0"
    if cc < (5, 0) and any(c[0] >= 12 for c in cudas):
        return f"compute capability {at} (Kepler) is below what CUDA 12 builds support (5.0)"
    if cc < (7, 5) and any(c[0] >= 13 for c in cudas):
        return f"compute capability {at} is below what CUDA 13 builds support (7.5)"
    wheels = [b.cuda for b in built if b.pytorch_wheel]
    if cc < (7, 0) and any((12, 8) <= c < (13, 0) for c in wheels):
        return (
            f"compute capability {at} is below what PyTorch's CUDA 12.8/12.9 wheels support "
            "(7.0: Maxwell and Pascal were dropped; the cu126 wheels still have them)"
        )
    return ""


def _version(m: re.Match[str] | None) -> Version:
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _last_int(text: str) -> int:
    return int(re.findall(r"\d+", text)[-1])


def _dotted(v: Version) -> str:
    return f"{v[0]}.{v[1]}"


def _cuda(v: Version) -> str:
    return f"{v[0]}.x" if v[1] < 0 else _dotted(v)
