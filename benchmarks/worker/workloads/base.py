"""What a workload hands the worker: a callable, its inputs, and what it costs per sample.

``Workload`` is public API (``benchmarks.Workload``): an entry point ``pkg.module:function``
given to ``run --model`` may return one (docs/own-model.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Workload:
    """A built workload, placed on the device active while ``build`` ran.

    ``fn(*args)`` is the eager callable; the worker wraps it in ``tf.function`` for the graph and
    XLA modes. ``stateful`` workloads (a training step) change their variables on every call, so
    only their first call's output is comparable across modes. ``model`` is the Keras model (or
    tf.Module / signature) behind ``fn``, when there is one: a Keras model enables the
    ``predict_on_batch`` and ``predict`` call paths, and its parameters are counted in results.
    """

    name: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    flops_per_sample: int | None
    stateful: bool = False
    description: str = ""
    model: Any = None


def dense_flops(fan_in: int, fan_out: int) -> int:
    """Multiply-adds of a dense layer, counted as 2 FLOPs each (biases and activations ignored)."""
    return 2 * fan_in * fan_out
