"""What a model is, for results that must only be compared like with like: its parameter count
and FLOPs per sample (TensorFlow's graph profiler where the workload does not state them).

The profiler counts the float ops of the ops in one traced graph; ops inside a loop body or a
called function (``While``, ``PartitionedCall``: recurrent layers, a SavedModel's restored
function) are not visited, so such a graph gets ``None`` rather than an undercount.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.worker.workloads.base import Workload

_OPAQUE_OPS = frozenset(
    {"While", "StatelessWhile", "If", "StatelessIf", "PartitionedCall", "StatefulPartitionedCall"}
)


def param_count(workload: Workload) -> int | None:
    """Keras ``count_params()``, else the size of the variables behind the callable."""
    model = workload.model
    if model is None:
        return None
    counter = getattr(model, "count_params", None)
    if callable(counter):
        try:
            return int(counter())
        except ValueError:  # an unbuilt Keras model
            return None
    variables = getattr(model, "variables", None)
    if variables is None:
        return None
    total = 0
    for v in variables:
        n = 1
        for d in v.shape:
            n *= int(d)
        total += n
    return total


def profiled_flops(fn: Callable[..., Any], args: Sequence[Any], batch_size: int) -> int | None:
    """Float ops per sample of one traced call, or None when the graph hides some of them."""
    import tensorflow as tf

    try:
        graph = tf.function(fn).get_concrete_function(*args).graph
        if any(op.type in _OPAQUE_OPS for op in graph.get_operations()):
            return None
        opts = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        opts["output"] = "none"
        total = tf.compat.v1.profiler.profile(graph, options=opts).total_float_ops
    except Exception:  # the profiler is best-effort; identity must never fail a cell
        return None
    return int(total) // batch_size if total else None


def describe(workload: Workload, spec_identity: dict[str, Any] | None) -> dict[str, Any]:
    """The ``model`` field of a case result: the SPEC's identity plus what TF can count."""
    out: dict[str, Any] = dict(spec_identity or {})
    out["params"] = param_count(workload)
    return out
