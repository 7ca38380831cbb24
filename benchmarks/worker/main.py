"""A benchmark worker: one process that imports TensorFlow once and measures many cells.

Protocol (JSON lines): the runner writes ``{"cmd": "run", "case": {...}, "timing": {...},
"seed": N}`` or ``{"cmd": "exit"}`` on stdin; the worker answers ``{"event": "ready", ...}`` once
and ``{"event": "result", ...}`` per cell on a private copy of stdout. File descriptor 1 is then
pointed at stderr, so nothing TensorFlow or Keras prints can corrupt the protocol.

A cell's failure (exception, OOM) is a value in its result; a crash (segfault, SIGKILL) ends the
process and the runner records it. Run as ``python -m benchmarks.worker.main --threads N``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from typing import IO, Any

from benchmarks.plan.matrix import Timing
from benchmarks.worker import callpaths, modes, prepare
from benchmarks.worker.timing import measure

OUTPUT_ATOL = 1e-4
OUTPUT_RTOL = 1e-3


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker.main")
    parser.add_argument("--threads", type=int, default=0, help="intra/inter-op threads (0 = TF)")
    args = parser.parse_args(argv)

    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    start = time.perf_counter()
    import keras
    import tensorflow as tf

    if args.threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import_s = time.perf_counter() - start
    # TF + Keras leave ~10^6 long-lived objects; move them out of the collector's reach so the
    # per-cell clean-up (and any full collection during timing) costs ms, not ~0.5 s.
    gc.collect()
    gc.freeze()
    _emit(
        proto,
        {
            "event": "ready",
            "pid": os.getpid(),
            "import_s": import_s,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "threads": {
                "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            },
        },
    )
    references: dict[tuple[str, int, str], Any] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        if msg.get("cmd") == "exit":
            break
        result = run_cell(
            msg["case"], Timing(**msg["timing"]), int(msg["seed"]), references, msg.get("model")
        )
        _emit(proto, {"event": "result", **result})
    return 0


def _emit(stream: IO[str], obj: dict[str, Any]) -> None:
    stream.write(json.dumps(obj, allow_nan=False) + "\n")
    stream.flush()


def run_cell(
    case: dict[str, Any],
    timing: Timing,
    seed: int,
    references: dict[tuple[str, int, str], Any],
    model: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build, compile, measure and check one cell; never raises for a cell's own failure.

    ``model`` is the user's model SPEC for a workload that is not built in (plan.model_spec).
    """
    import numpy as np
    import tensorflow as tf

    workload, mode = case["workload"], case["mode"]
    batch, device = int(case["batch_size"]), case["device"]
    phases: dict[str, float] = {}
    result: dict[str, Any] = {"status": "ok", "reason": None, "phases_s": phases}
    try:
        t = time.perf_counter()
        with tf.device(modes.tf_device(device)):
            built, prepared = prepare.prepare(case, model, seed)
            result["flops_per_sample"], result["model"] = prepare.describe(built, case, model)
            phases["build"] = time.perf_counter() - t
            traces_after_warmup: list[int | None] = []

            def check() -> None:
                traces_after_warmup.append(prepared.traces())

            m = measure(prepared.call, modes.sync, timing, after_warmup=check)
        phases.update(
            first_call=m.first_call_s,
            warmup=m.warmup_s,
            calibration=m.calibration_s,
            measure=m.measure_s,
        )
        out_device = (
            "host (NumPy)"  # Keras' predict paths copy to the host (numpy 2's .device is "cpu")
            if prepared.host_output
            else modes.output_device(callpaths.first_leaf(m.first_output))
        )
        first = callpaths.flat_output(m.first_output)
        result.update(
            samples_s=list(m.samples_s),
            iters_per_block=m.iters_per_block,
            first_call_s=m.first_call_s,
            traces_after_warmup=traces_after_warmup[0] if traces_after_warmup else None,
            traces=prepared.traces(),
            output_device=out_device,
        )
        if not prepared.host_output and not modes.on_device(out_device, device):
            result["status"] = "failed"
            result["reason"] = (
                f"silent CPU fallback: output tensor is on {out_device or 'an unknown device'}, "
                f"not on {modes.tf_device(device)}"
            )
            result["fallback"] = True
        key = (workload, batch, device)
        if key not in references:
            plain = mode == "eager" and prepare.call_of(case) == "call"
            references[key] = first if plain else _eager_reference(case, seed, model)
        ref = references[key]
        diff = float(np.max(np.abs(first.astype(np.float64) - ref))) if first.size else 0.0
        result["max_abs_diff"] = diff
        result["output_match"] = bool(np.allclose(first, ref, rtol=OUTPUT_RTOL, atol=OUTPUT_ATOL))
    except callpaths.NotApplicable as exc:
        result.update(status="skipped", reason=str(exc), not_applicable=True)
    except (tf.errors.ResourceExhaustedError, MemoryError) as exc:
        result.update(status="oom", reason=_reason(exc))
    except Exception as exc:
        result.update(status="failed", reason=_reason(exc))
    finally:
        _release()
    return result


def _eager_reference(case: dict[str, Any], seed: int, model: dict[str, Any] | None) -> Any:
    """First-call output of a freshly built eager workload with the same seed, flattened."""
    import tensorflow as tf

    with tf.device(modes.tf_device(case["device"])):
        return prepare.reference(case, model, seed)


def _reason(exc: BaseException) -> str:
    """First line of the exception, without TF's ``{{function_node ...}}`` wrapper noise."""
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", str(exc)).strip().splitlines()
    first = next((ln for ln in text if ln.strip()), "")
    return f"{type(exc).__name__}: {first[:400]}"


def _release() -> None:
    import keras

    keras.backend.clear_session(free_memory=False)
    gc.collect()


if __name__ == "__main__":
    sys.exit(main())
