"""The three execution modes, and how to wait for a device. TF-bound: imports TensorFlow lazily."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def compile_fn(fn: Callable[..., Any], mode: str) -> Callable[..., Any]:
    """eager: ``fn``; graph: ``tf.function(fn)``; xla: ``tf.function(fn, jit_compile=True)``."""
    import tensorflow as tf

    if mode == "eager":
        return fn
    if mode == "graph":
        return tf.function(fn)  # type: ignore[no-any-return]
    if mode == "xla":
        return tf.function(fn, jit_compile=True)  # type: ignore[no-any-return]
    raise ValueError(f"unknown mode {mode!r}")


def tracing_count(fn: Callable[..., Any]) -> int | None:
    """How often a tf.function traced (1 = once, as it should); None for eager callables."""
    get = getattr(fn, "experimental_get_tracing_count", None)
    return int(get()) if get is not None else None


def sync(_output: Any = None) -> None:
    """Block until every device has finished queued work (GPU kernels are asynchronous)."""
    import tensorflow as tf

    tf.test.experimental.sync_devices()


def tf_device(device: str) -> str:
    """``"cpu"`` -> ``"/CPU:0"``, ``"gpu:1"`` -> ``"/GPU:1"``."""
    if device == "cpu":
        return "/CPU:0"
    kind, _, index = device.partition(":")
    return f"/{kind.upper()}:{index or 0}"


def output_device(output: Any) -> str:
    """The device the output tensor lives on, e.g. ``/job:localhost/.../device:GPU:0``."""
    return str(getattr(output, "device", "") or "")


def on_device(output_device_name: str, device: str) -> bool:
    want = tf_device(device).lstrip("/").upper()  # CPU:0 / GPU:1
    return output_device_name.upper().endswith(want)
