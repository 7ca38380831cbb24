"""The GPU probe's child process: ``python -m benchmarks.gpu.probe_child --devices gpu:0,gpu:1``.

Runs in a fresh interpreter (spawn semantics) so a CUDA failure, a hang or a crash cannot take
the runner with it, and so no CUDA state is inherited through fork. Stage 1 asks the driver
directly (``_libcuda``); stage 2 starts TensorFlow with full logging, lists GPUs and runs a small
matmul on each requested one, synchronising by reading the result back and checking where it
ran (TensorFlow silently falls back to the CPU). Human-readable ``graphbench-probe:`` lines go to
stderr, interleaved with TensorFlow's own, so the log alone tells the story; exactly one
``GRAPHBENCH_PROBE_RESULT {json}`` line goes to stdout. TensorFlow is imported inside functions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks.gpu import libcuda as _libcuda
from benchmarks.gpu.probe import DRIVER_MARKER, LOG_PREFIX, RESULT_MARKER, parse_devices


def say(stage: str, message: str) -> None:
    print(f"{LOG_PREFIX} {stage}: {message}", file=sys.stderr, flush=True)


def driver_stage(ordinals: Sequence[int]) -> dict[str, Any]:
    report = _libcuda.probe_driver(ordinals)
    if report.load_error is not None:
        say("driver", f"dlopen {report.library} failed: {report.load_error}")
    for call in report.calls:
        say("driver", call.line())
    if report.driver_version is not None:
        v = report.driver_version
        say("driver", f"CUDA driver API version {v // 1000}.{(v % 1000) // 10}")
    if report.device_count is not None:
        say("driver", f"device count {report.device_count}")
    for dev in report.devices:
        for call in dev.calls:
            say("driver", call.line())
        if dev.name:
            cc = dev.compute_capability
            say("driver", f"GPU:{dev.ordinal} {dev.name} compute capability {cc}")
        if dev.memory_total_bytes:
            say(
                "driver",
                f"GPU:{dev.ordinal} memory free {dev.memory_free_bytes} of "
                f"{dev.memory_total_bytes} bytes",
            )
    return report.to_dict()


def tf_stage(ordinals: Sequence[int]) -> dict[str, Any]:
    result: dict[str, Any] = {"ok": False, "error": None, "devices": {}}
    try:
        import numpy as np
        import tensorflow as tf
    except Exception as exc:  # an import failure is a finding, not a crash
        result["error"] = f"{type(exc).__name__}: {exc}"
        say("tensorflow", f"import failed: {result['error']}")
        return result
    built = bool(tf.test.is_built_with_cuda())
    result.update(version=tf.__version__, is_built_with_cuda=built)
    try:
        gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    except Exception as exc:
        gpus = []
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["physical_gpus"] = gpus
    say("tensorflow", f"version={tf.__version__} is_built_with_cuda={built} gpus={gpus}")
    if not gpus:
        say("tensorflow", "no GPU visible to TensorFlow")
    for ordinal in ordinals:
        result["devices"][f"GPU:{ordinal}"] = _matmul(tf, np, ordinal)
    result["ok"] = bool(ordinals) and all(d["ok"] for d in result["devices"].values())
    return result


def _matmul(tf: Any, np: Any, ordinal: int) -> dict[str, Any]:
    name = f"/GPU:{ordinal}"
    try:
        rng = np.random.default_rng(ordinal)
        a = rng.standard_normal((128, 128)).astype("float32")
        with tf.device(name):
            out = tf.matmul(tf.constant(a), tf.constant(a))
            got = out.numpy()  # reading back synchronises the device
        device = str(out.device)
    except Exception as exc:
        text = str(exc).strip()
        error = f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
        say("tensorflow", f"matmul on {name} failed: {error}")
        return {"ok": False, "error": error, "placed_on": None}
    placed_ok = f"GPU:{ordinal}" in device.upper()
    close = bool(np.allclose(got, a @ a, rtol=1e-3, atol=1e-3))
    if not placed_ok:
        say("tensorflow", f"matmul on {name} ran on {device} (silent fallback, not the GPU)")
        return {"ok": False, "error": f"ran on {device}, not {name}", "placed_on": device}
    if not close:
        say("tensorflow", f"matmul on {name} gave a wrong result")
        return {"ok": False, "error": "wrong matmul result", "placed_on": device}
    say("tensorflow", f"matmul on {name} ok ({device})")
    return {"ok": True, "error": None, "placed_on": device}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu.probe_child")
    parser.add_argument("--devices", default="gpu", help="comma-separated, e.g. gpu:0,gpu:1")
    parser.add_argument("--skip-tf", action="store_true", help="driver stage only")
    args = parser.parse_args(argv)
    ordinals = parse_devices([args.devices])
    start = time.monotonic()
    say("probe", f"pid {os.getpid()} devices {[f'GPU:{o}' for o in ordinals]}")
    for var in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"):
        if var in os.environ:
            say("probe", f"{var}={os.environ[var]}")
    driver = driver_stage(ordinals)
    print(DRIVER_MARKER + json.dumps(driver, default=str), flush=True)
    tf_result: dict[str, Any] = {"skipped": True} if args.skip_tf else tf_stage(ordinals)
    payload = {
        "ordinals": ordinals,
        "driver_stage": driver,
        "tf_stage": tf_result,
        "child_elapsed_s": round(time.monotonic() - start, 3),
    }
    print(RESULT_MARKER + json.dumps(payload, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
