"""Model inputs made from a signature: the batch dimension set to the cell's batch size, dtypes
kept, integer inputs in a range the model accepts, or the user's own arrays from an ``.npz``.

``InputSpec`` and ``concrete_shape`` are pure; ``make`` imports TensorFlow lazily. Values are
seeded (stateless random), so every mode of a cell and its eager reference see the same input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Integer inputs that feed no Embedding: values in [0, INT_HIGH); pass --inputs for real indices.
INT_HIGH = 2


class InputError(ValueError):
    """An input cannot be made (unknown size, unsupported dtype, a missing array)."""


@dataclass(frozen=True)
class InputSpec:
    name: str
    shape: tuple[int | None, ...] | None  # batch dimension first; None = unknown
    dtype: str  # numpy/TF dtype name: float32, int32, ...
    high: int | None = None  # integer inputs: values in [0, high)


def concrete_shape(
    spec: InputSpec, batch_size: int, overrides: Mapping[str, Sequence[int]]
) -> tuple[int, ...]:
    """The shape to feed: ``--input-shape NAME=...`` sizes after the batch, or the model's."""
    if spec.name in overrides:
        return (batch_size, *overrides[spec.name])
    if spec.shape is None:
        raise InputError(
            f"input {spec.name!r} has an unknown rank; pass --input-shape {spec.name}=12,16 "
            "(the sizes after the batch dimension) or --inputs FILE.npz"
        )
    rest = spec.shape[1:]
    if any(d is None for d in rest):
        shown = ", ".join("None" if d is None else str(d) for d in spec.shape)
        raise InputError(
            f"input {spec.name!r} has an unknown dimension ([{shown}]); pass --input-shape "
            f"{spec.name}=12,16 (the sizes after the batch dimension) or --inputs FILE.npz"
        )
    return (batch_size, *(int(d) for d in rest if d is not None))


def make(
    specs: Sequence[InputSpec],
    batch_size: int,
    seed: int,
    overrides: Mapping[str, Sequence[int]] | None = None,
    npz: str | None = None,
) -> list[Any]:
    """One tensor per spec, in order (on the device active while this runs)."""
    arrays = _load_npz(npz) if npz else None
    return [
        _from_array(s, i, arrays, batch_size)
        if arrays is not None
        else _random(s, i, batch_size, seed, overrides or {})
        for i, s in enumerate(specs)
    ]


def _random(
    spec: InputSpec, index: int, batch_size: int, seed: int, overrides: Mapping[str, Sequence[int]]
) -> Any:
    import tensorflow as tf

    shape = concrete_shape(spec, batch_size, overrides)
    dtype = tf.as_dtype(spec.dtype)
    stream = [seed, 100 + index]
    if dtype.is_floating:
        x = tf.random.stateless_uniform(shape, stream, dtype=tf.float32)
        return tf.cast(x, dtype)
    if dtype.is_integer:
        high = spec.high or INT_HIGH
        kind = tf.int64 if dtype.size >= 8 else tf.int32
        x = tf.random.stateless_uniform(shape, stream, 0, high, dtype=kind)
        return tf.cast(x, dtype)
    if dtype == tf.bool:
        return tf.random.stateless_uniform(shape, stream) < 0.5
    raise InputError(
        f"input {spec.name!r}: cannot make random {spec.dtype} values; pass --inputs FILE.npz"
    )


def _load_npz(path: str) -> dict[str, Any]:
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _from_array(spec: InputSpec, index: int, arrays: Mapping[str, Any], batch_size: int) -> Any:
    """The user's array for this input, cut or tiled along axis 0 to the batch size."""
    import numpy as np
    import tensorflow as tf

    key = spec.name if spec.name in arrays else f"arr_{index}"
    if key not in arrays:
        raise InputError(
            f"--inputs has no array {spec.name!r} (it has: {', '.join(sorted(arrays))}); "
            "name each array after its input, or save them positionally (arr_0, arr_1, ...)"
        )
    a = np.asarray(arrays[key])
    if a.ndim == 0 or a.shape[0] == 0:
        raise InputError(f"--inputs array {key!r} needs a batch dimension with samples")
    reps = -(-batch_size // a.shape[0])
    a = np.concatenate([a] * reps, axis=0)[:batch_size] if reps > 1 else a[:batch_size]
    return tf.cast(tf.constant(a), tf.as_dtype(spec.dtype))
