"""A benchmark worker: one process that imports TensorFlow once and measures many cell groups.

Protocol (JSON lines): the runner writes ``{"cmd": "group", "cases": [{...}, ...], "timing":
{...}, "seed": N, "offset": P, "model": {...} | null}`` (the modes of one workload x call path x
batch x device; ``offset`` shifts the rotation of the round order, one step per process;
``model`` is the user's checked SPEC, ``plan.model_spec.ModelSpec``, for a workload that is not
built in), ``{"cmd": "run", "case": {...}, ...}`` (one cell: a group of one) or ``{"cmd":
"exit"}`` on stdin. The worker answers ``{"event": "ready", ...}`` once; per group it writes
``{"event": "step", "mode": M, "phase": "setup" | "round"}`` before each mode's setup and before
each timed block (so the runner can tell which mode was running if the process dies), then
``{"event": "group_result", "modes": {M: {...}}}`` (``{"event": "result", ...}`` for ``run``).
All of it goes to a private copy of stdout; file descriptor 1 is pointed at stderr, so nothing
TensorFlow or Keras prints can corrupt the protocol.

A mode's failure (exception, OOM) is a value in its result; a crash (segfault, SIGKILL) ends the
process and the runner records it. Run as ``python -m benchmarks.worker.main --threads N``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import IO, Any

from benchmarks.plan.matrix import Timing
from benchmarks.worker.group import References, run_group


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
    references: References = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        if msg.get("cmd") == "exit":
            break
        timing, seed, model = Timing(**msg["timing"]), int(msg["seed"]), msg.get("model")
        if msg.get("cmd") == "run":
            result = run_cell(msg["case"], timing, seed, references, model)
            _emit(proto, {"event": "result", **result})
            continue
        try:
            raws = run_group(
                msg["cases"],
                timing,
                seed,
                references,
                lambda event: _emit(proto, event),
                offset=int(msg.get("offset", 0)),
                model=model,
            )
        finally:
            _release()
        _emit(proto, {"event": "group_result", "modes": raws})
    return 0


def _emit(stream: IO[str], obj: dict[str, Any]) -> None:
    stream.write(json.dumps(obj, allow_nan=False) + "\n")
    stream.flush()


def run_cell(
    case: dict[str, Any],
    timing: Timing,
    seed: int,
    references: References,
    model: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One cell alone: a group of one mode (its blocks then run back to back).

    ``model`` is the user's model SPEC for a workload that is not built in (plan.model_spec).
    """
    try:
        raws = run_group([case], timing, seed, references, lambda _event: None, model=model)
        return raws[case["mode"]]
    finally:
        _release()


def _release() -> None:
    import keras

    keras.backend.clear_session(free_memory=False)
    gc.collect()


if __name__ == "__main__":
    sys.exit(main())
