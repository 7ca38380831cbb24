"""Secrets recognised by their shape, wherever they appear, and the environment allow-list.

``redact.scrub_text`` hunts secrets by *name* (``--api_token=...``) and by the values of
secret-named variables; a token pasted into a harmless-looking variable or a log line has
neither. These patterns catch it by its form: provider token prefixes (GitHub, GitLab, AWS,
Hugging Face, OpenAI/Anthropic-style ``sk-``, Slack, Google), JWTs, ``Authorization: Basic``,
URL userinfo (spaces included) and ``user:password@host`` proxy credentials without a scheme,
and long high-entropy strings. Pure.
"""

from __future__ import annotations

import math
import re
from collections import Counter

REDACTED = "<redacted>"

# Environment variables that may be recorded at all: exact names TensorFlow, XLA, CUDA and the
# math libraries document, plus prefixes that belong to one vendor. Not "TF_": Terraform's
# TF_VAR_* and TF_TOKEN_* carry credentials.
ALLOWED_EXACT = frozenset(
    {
        "TF_CPP_MIN_LOG_LEVEL",
        "TF_CPP_MAX_VLOG_LEVEL",
        "TF_CPP_VMODULE",
        "TF_CPP_LOG_THREAD_ID",
        "TF_ENABLE_ONEDNN_OPTS",
        "TF_FORCE_GPU_ALLOW_GROWTH",
        "TF_FORCE_UNIFIED_MEMORY",
        "TF_GPU_ALLOCATOR",
        "TF_GPU_THREAD_MODE",
        "TF_GPU_THREAD_COUNT",
        "TF_GPU_HOST_MEM_LIMIT_IN_MB",
        "TF_XLA_FLAGS",
        "TF_NUM_INTEROP_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_DETERMINISTIC_OPS",
        "TF_CUDNN_DETERMINISTIC",
        "TF_CUDNN_USE_AUTOTUNE",
        "TF_USE_LEGACY_KERAS",
        "TF_ENABLE_AUTO_MIXED_PRECISION",
        "TF_DUMP_GRAPH_PREFIX",
        "TF2_BEHAVIOR",
        "KERAS_BACKEND",
        "XLA_FLAGS",
        "XLA_PYTHON_CLIENT_PREALLOCATE",
        "XLA_PYTHON_CLIENT_MEM_FRACTION",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "PATH",
        "PYTHONHASHSEED",
        "MALLOC_ARENA_MAX",
    }
)
ALLOWED_PREFIXES = (
    "CUDA_",
    "CUDNN_",
    "NVIDIA_",
    "NCCL_",
    "OMP_",
    "KMP_",
    "MKL_",
    "OPENBLAS_",
    "ONEDNN_",
    "DNNL_",
    "GRAPHBENCH_",
)


def is_allowed_name(name: str) -> bool:
    return name in ALLOWED_EXACT or name.startswith(ALLOWED_PREFIXES)


_SHAPES = (
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b"),
    re.compile(r"\bhf_[A-Za-z0-9]{20,}"),
    re.compile(r"\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\bxox[abposre]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bxapp-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"),
    re.compile(r"\bnpm_[A-Za-z0-9]{30,}"),
    re.compile(r"\bpypi-[A-Za-z0-9_\-]{30,}"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
    re.compile(r"(?i)(?<=\bbasic )[A-Za-z0-9+/]{8,}=*"),
    re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/\-]{8,}=*"),
    re.compile(r"(?i)(?<=\btoken )[A-Za-z0-9._~+/\-]{20,}=*"),
)
# scheme://user:pass word@host  (userinfo may hold spaces; it ends at the last '@' before a
# host and never crosses '/', '?', '#' or a line end)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#@\r\n]*@(?=[^\s@/])")
# user:password@proxy:3128 without a scheme
_BARE_USERINFO = re.compile(r"(?<![\w.%+\-/:@])[\w.%+\-]+:[^\s@/:'\"]+@(?=[\w\-]+(?:\.[\w\-]+)*)")
_LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/=_\-]{32,}(?![A-Za-z0-9+/=_\-])")


def entropy_bits(text: str) -> float:
    """Shannon entropy per character."""
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(token: str) -> bool:
    """A long string that reads like key material: mixed classes and high entropy.

    Hex digests (our own sha256 fingerprints) top out at 4 bits/char and are kept.
    """
    if "/" in token.strip("/") and token.count("/") > 4:
        return False  # a path, not a key
    classes = sum(
        (
            any(c.islower() for c in token),
            any(c.isupper() for c in token),
            any(c.isdigit() for c in token),
        )
    )
    return classes == 3 and entropy_bits(token) > 4.3


def scrub_shapes(text: str) -> str:
    """Replace every secret-shaped substring of ``text`` by ``<redacted>``."""
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _BARE_USERINFO.sub(f"{REDACTED}@", text)
    for shape in _SHAPES:
        text = shape.sub(REDACTED, text)
    return _LONG_TOKEN.sub(lambda m: REDACTED if looks_random(m.group(0)) else m.group(0), text)
