"""How a cell calls its model: the call path (``call``, ``predict_on_batch``, ``predict``) x mode.

``call`` is ``fn(*args)`` — for a Keras model ``model(x, training=False)``, for a SavedModel its
signature — with the mode applied by wrapping (``tf.function``, ``jit_compile=True``). The Keras
paths let Keras build its own function, so the mode is Keras' own switch, as users meet it:
eager = ``compile(run_eagerly=True)``, graph = ``compile()``, xla = ``compile(jit_compile=True)``
(keras-team/keras#18062 compares the last with ``tf.function(jit_compile=True)``). They return
NumPy arrays on the host, so the output-device check does not apply to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.plan.names import CALL_PATHS, DEFAULT_CALL
from benchmarks.worker import modes
from benchmarks.worker.workloads.base import Workload


class NotApplicable(Exception):  # noqa: N818 - a verdict, not an error
    """This call path means nothing for this workload; the cell ends ``skipped`` with the reason."""


@dataclass(frozen=True)
class Prepared:
    call: Callable[[], Any]  # one call of the cell, as timed
    traces: Callable[[], int | None]  # tf.function tracing count so far (None: not traced)
    host_output: bool  # the output is a NumPy array on the host (no device to check)


def shares_workload(call: str) -> bool:
    """Whether the modes of one cell group may share one built workload under this call path.

    ``call`` wraps ``fn`` per mode and leaves the model alone; the Keras paths ``compile()`` the
    model for their mode (run_eagerly / jit_compile live on the model and reset its predict
    function), so interleaved modes need one built model each.
    """
    return call == DEFAULT_CALL


def not_applicable(workload: Workload, call: str) -> str | None:
    """Why ``call`` does not apply to ``workload`` (None: it applies)."""
    if call not in CALL_PATHS:
        return f"unknown call path {call!r}"
    if call == DEFAULT_CALL:
        return None
    if workload.stateful:
        return f"{call} is inference; {workload.name} is a training step"
    if not _is_keras(workload.model):
        return f"{call} needs a Keras model; {workload.name} is not one"
    if len(workload.args) != 1:
        return f"{call} takes one input structure; {workload.name} takes {len(workload.args)}"
    return None


def prepare(workload: Workload, mode: str, call: str) -> Prepared:
    reason = not_applicable(workload, call)
    if reason:
        raise NotApplicable(reason)
    if call == DEFAULT_CALL:
        fn = modes.compile_fn(workload.fn, mode)
        args = workload.args
        return Prepared(lambda: fn(*args), lambda: modes.tracing_count(fn), host_output=False)
    model, x = workload.model, workload.args[0]
    if mode == "eager":
        model.compile(run_eagerly=True)
    elif mode == "graph":
        model.compile(jit_compile=False)
    elif mode == "xla":
        model.compile(jit_compile=True)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    n = _batch(x)

    def traces() -> int | None:
        return modes.tracing_count(model.predict_function) if model.predict_function else None

    if call == "predict_on_batch":
        return Prepared(lambda: model.predict_on_batch(x), traces, host_output=True)
    return Prepared(lambda: model.predict(x, batch_size=n, verbose=0), traces, host_output=True)


def _is_keras(obj: Any) -> bool:
    if obj is None:
        return False
    import keras

    return isinstance(obj, keras.Model)


def _batch(x: Any) -> int:
    import keras

    return int(keras.tree.flatten(x)[0].shape[0])


def flat_output(output: Any) -> Any:
    """Every leaf of a (possibly nested or dict) output, raveled into one float64 vector."""
    import numpy as np
    import tensorflow as tf

    leaves = [np.ravel(np.asarray(v)).astype(np.float64) for v in tf.nest.flatten(output)]
    return np.concatenate(leaves) if leaves else np.zeros(0)


def first_leaf(output: Any) -> Any:
    """The first tensor of an output structure (its device is the output's device)."""
    import tensorflow as tf

    leaves = tf.nest.flatten(output)
    return leaves[0] if leaves else None
