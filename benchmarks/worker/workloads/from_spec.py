"""A user's model as a ``Workload``: a ``.keras`` file, a SavedModel signature, or what an entry
point ``pkg.module:function(batch_size, seed)`` returns.

The runner checked the SPEC already (``benchmarks.plan.model_spec``); what only TensorFlow can
tell (custom objects, a broken graph, an import error inside the user's module) is raised here
as a ``ModelLoadError`` with a one-line reason, and the cell ends ``failed``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.plan.model_spec import ModelSpec
from benchmarks.worker import inputs
from benchmarks.worker.inputs import InputSpec
from benchmarks.worker.workloads.base import Workload

RETURNS = (
    "a Keras model, a benchmarks.Workload, a tf.Module/callable whose __call__ has an "
    "input_signature, or (callable, input spec)"
)


class ModelLoadError(RuntimeError):
    """The model could not be loaded or called; the message is the cell's reason."""


def build(spec: ModelSpec, batch_size: int, seed: int) -> Workload:
    if spec.kind == "keras":
        return _keras(spec, _load_keras(spec), batch_size, seed)
    if spec.kind == "savedmodel":
        return _savedmodel(spec, batch_size, seed)
    if spec.kind == "entry":
        return _entry(spec, batch_size, seed)
    raise ModelLoadError(f"unknown model kind {spec.kind!r}")


def _load_keras(spec: ModelSpec) -> Any:
    import keras

    try:
        return keras.saving.load_model(spec.path, compile=False)
    except Exception as exc:
        first = next((ln for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
        why = "needs custom objects" if "custom" in str(exc).lower() else "cannot be loaded"
        shown = spec.identity()["source"]
        raise ModelLoadError(f"{shown}: {why}: {first.strip()[:300]}") from None


def keras_input_specs(model: Any) -> list[InputSpec]:
    """One spec per input leaf (``keras.tree`` order); integer inputs sized by their Embedding."""
    import keras

    leaves = keras.tree.flatten(model.input)
    keys = _dict_keys(model.input)
    highs = _embedding_ranges(model)
    return [
        InputSpec(
            keys[i] if keys else leaf.name,
            tuple(leaf.shape),
            str(leaf.dtype),
            highs.get(id(leaf)),
        )
        for i, leaf in enumerate(leaves)
    ]


def _dict_keys(structure: Any) -> list[str] | None:
    return sorted(structure) if isinstance(structure, Mapping) else None


def _embedding_ranges(model: Any) -> dict[int, int]:
    """id(input tensor) -> the smallest ``input_dim`` of the Embeddings it feeds directly."""
    import keras

    out: dict[int, int] = {}
    embeddings = [
        layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.Embedding)
    ]
    for layer in embeddings:
        for node in getattr(layer, "_inbound_nodes", []):
            for t in getattr(node, "input_tensors", []):
                out[id(t)] = min(out.get(id(t), layer.input_dim), layer.input_dim)
    if embeddings:  # an integer input reaching an Embedding through other layers
        smallest = min(e.input_dim for e in embeddings)
        for leaf in keras.tree.flatten(model.input):
            if "int" in str(leaf.dtype):
                out.setdefault(id(leaf), smallest)
    return out


def _keras(spec: ModelSpec | None, model: Any, batch_size: int, seed: int) -> Workload:
    import keras

    specs = keras_input_specs(model)
    xs = _inputs(spec, specs, batch_size, seed)
    x = keras.tree.pack_sequence_as(model.input, xs)

    def forward(x: Any) -> Any:
        return model(x, training=False)

    name = spec.name if spec else model.name
    return Workload(name, forward, (x,), None, description=f"Keras model {name}", model=model)


def _savedmodel(spec: ModelSpec, batch_size: int, seed: int) -> Workload:
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(spec.path)
        fn = loaded.signatures[spec.signature]
    except Exception as exc:
        first = next((ln for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
        raise ModelLoadError(
            f"{spec.identity()['source']}: cannot be loaded: {first.strip()[:300]}"
        ) from None
    _args, kwargs = fn.structured_input_signature
    names = sorted(kwargs)
    specs = [_spec(n, kwargs[n]) for n in names]
    xs = _inputs(spec, specs, batch_size, seed)

    def forward(*values: Any) -> Any:
        return fn(**dict(zip(names, values, strict=True)))

    forward.loaded = loaded  # type: ignore[attr-defined]  # keeps the variables alive
    return Workload(
        spec.name,
        forward,
        tuple(xs),
        None,
        description=f"SavedModel {spec.name}, signature {spec.signature}",
        model=fn,
    )


def _entry(spec: ModelSpec, batch_size: int, seed: int) -> Workload:
    module_name, _, func_name = spec.target.partition(":")
    if spec.path not in sys.path:
        sys.path.insert(0, spec.path)
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        returned = func(batch_size, seed)
    except Exception as exc:
        first = next((ln for ln in str(exc).splitlines() if ln.strip()), "")
        raise ModelLoadError(
            f"{spec.target}: {type(exc).__name__}: {first.strip()[:300]}"
        ) from None
    return from_returned(spec, returned, batch_size, seed)


def from_returned(spec: ModelSpec, returned: Any, batch_size: int, seed: int) -> Workload:
    """What an entry point returned, as a Workload (see RETURNS)."""
    import keras

    if isinstance(returned, Workload):
        return returned
    if isinstance(returned, keras.Model):
        return _keras(spec, returned, batch_size, seed)
    if isinstance(returned, tuple) and len(returned) == 2 and callable(returned[0]):
        return _callable(spec, returned[0], returned[1], batch_size, seed)
    if callable(returned):
        signature = getattr(returned, "input_signature", None)
        if signature is None:  # a tf.Module whose __call__ is a tf.function
            signature = getattr(type(returned).__call__, "input_signature", None)
        if signature is not None:
            return _callable(spec, returned, list(signature), batch_size, seed)
    raise ModelLoadError(f"{spec.target} returned {type(returned).__name__}; expected {RETURNS}")


def _callable(spec: ModelSpec, fn: Any, structure: Any, batch_size: int, seed: int) -> Workload:
    """``fn`` with inputs from a TensorSpec, a list of them (positional) or a dict (keywords)."""
    if isinstance(structure, Mapping):
        names = sorted(structure)
        xs = _inputs(spec, [_spec(n, structure[n]) for n in names], batch_size, seed)

        def by_name(*values: Any) -> Any:
            return fn(**dict(zip(names, values, strict=True)))

        call, args = by_name, tuple(xs)
    else:
        leaves = list(structure) if isinstance(structure, Sequence) else [structure]
        specs = [_spec(getattr(s, "name", None) or f"arg{i}", s) for i, s in enumerate(leaves)]
        call, args = fn, tuple(_inputs(spec, specs, batch_size, seed))
    return Workload(spec.name, call, args, None, description=f"entry point {spec.target}", model=fn)


def _spec(name: str, tensor_spec: Any) -> InputSpec:
    shape = tensor_spec.shape
    dims = None if shape.rank is None else tuple(shape.as_list())
    return InputSpec(name, dims, tensor_spec.dtype.name)


def _inputs(
    spec: ModelSpec | None, specs: Sequence[InputSpec], batch_size: int, seed: int
) -> list[Any]:
    try:
        return inputs.make(
            specs,
            batch_size,
            seed,
            overrides=spec.input_shapes if spec else None,
            npz=spec.inputs if spec else None,
        )
    except inputs.InputError as exc:
        raise ModelLoadError(str(exc)) from None
