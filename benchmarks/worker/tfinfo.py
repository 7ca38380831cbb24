"""TensorFlow build and runtime facts, gathered in a child process.

Run as ``python -m benchmarks.worker.tfinfo``: prints one JSON object on stdout (TensorFlow's own
log noise goes to stderr, which the parent keeps only as evidence). The parent (the fingerprint)
never imports TensorFlow: an import costs seconds, may crash in a broken CUDA setup, and would
pin GPU memory in a process that must stay light.

Cheap on purpose: the only device work is ``list_physical_devices`` (which does run cuInit on a
CUDA build, and so shows whether the GPU is visible); no context is created and no op runs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def gather() -> dict[str, Any]:
    """The ``tensorflow`` section (see docs/fingerprint.md). Imports TensorFlow."""
    start = time.monotonic()
    try:
        import tensorflow as tf
    except Exception as exc:  # ImportError, or a broken native library raising anything
        return {"status": "unavailable", "error": f"{type(exc).__name__}: {exc}"}
    out: dict[str, Any] = {
        "status": "ok",
        "error": None,
        "version": tf.__version__,
        "git_version": tf.version.GIT_VERSION,
        "import_s": round(time.monotonic() - start, 3),
    }
    out["build_info"] = _build_info(tf)
    try:
        out["physical_devices"] = [
            {"name": d.name, "device_type": d.device_type}
            for d in tf.config.list_physical_devices()
        ]
    except Exception as exc:
        out["physical_devices"] = None
        out["physical_devices_error"] = f"{type(exc).__name__}: {exc}"
    out["onednn"] = _onednn()
    out["xla"] = _xla()
    out["xla_flags"] = {k: os.environ.get(k) for k in ("XLA_FLAGS", "TF_XLA_FLAGS")}
    out["threads"] = {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
        "note": "0 means TensorFlow chooses (usually the number of usable cores)",
    }
    try:
        out["tf32"] = bool(tf.config.experimental.tensor_float_32_execution_enabled())
    except Exception:
        out["tf32"] = None
    return out


def _build_info(tf: Any) -> dict[str, Any]:
    info = dict(tf.sysconfig.get_build_info())
    caps = info.get("cuda_compute_capabilities")
    return {
        "is_cuda_build": bool(info.get("is_cuda_build", False)),
        "is_rocm_build": bool(info.get("is_rocm_build", False)),
        "cuda_version": info.get("cuda_version"),
        "cudnn_version": info.get("cudnn_version"),
        "cuda_compute_capabilities": list(caps) if caps else [],
    }


def _onednn() -> dict[str, Any]:
    """Whether oneDNN (MKL) kernels are built in, and what the switch says.

    TensorFlow >= 2.9 turns them on by default on x86 Linux; ``TF_ENABLE_ONEDNN_OPTS=0`` turns
    them off. The parent also records TF's own "oneDNN custom operations are on" log line.
    """
    try:
        from tensorflow.python.util import _pywrap_util_port as port

        built: bool | None = bool(port.IsMklEnabled())
    except Exception:  # a private module: absent in some builds, then we do not know
        built = None
    env = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    enabled = None
    if built is not None:
        enabled = built and (env is None or env.strip().lower() not in {"0", "false"})
    return {"built_with": built, "TF_ENABLE_ONEDNN_OPTS": env, "enabled": enabled}


def _xla() -> dict[str, Any]:
    try:
        from tensorflow.python.util import _pywrap_util_port as port

        return {"built_with": bool(port.IsBuiltWithXLA())}
    except Exception:
        return {"built_with": None}


def main() -> int:
    json.dump(gather(), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
