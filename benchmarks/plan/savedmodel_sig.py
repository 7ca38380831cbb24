"""The signatures of a SavedModel, read from ``saved_model.pb`` without TensorFlow.

The runner must stay TensorFlow-free, yet a wrong ``--signature`` or an input with an unknown
non-batch dimension should stop a run before any worker starts. ``saved_model.pb`` is a protocol
buffer; the few fields needed here (SavedModel.meta_graphs -> MetaGraphDef.signature_def ->
SignatureDef.inputs -> TensorInfo dtype/shape, tensorflow/core/protobuf/meta_graph.proto) are
read with a minimal wire-format decoder. Pure: ``signatures`` takes bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# tensorflow/core/framework/types.proto (the dtypes a model input can have)
DTYPES = {
    1: "float32",
    2: "float64",
    3: "int32",
    4: "uint8",
    5: "int16",
    6: "int8",
    7: "string",
    9: "int64",
    10: "bool",
    14: "bfloat16",
    17: "uint16",
    19: "float16",
    22: "uint32",
    23: "uint64",
}


class ProtoError(ValueError):
    """The bytes are not a SavedModel protocol buffer this reader understands."""


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int | None, ...] | None  # None: unknown rank; None dims: unknown size


@dataclass(frozen=True)
class Signature:
    name: str
    inputs: dict[str, TensorInfo]


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtoError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtoError("varint too long")


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value): an int for varints, bytes for length-delimited."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, wire, value
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise ProtoError("truncated field")
            yield number, wire, buf[pos : pos + length]
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ProtoError(f"unsupported wire type {wire}")
        if pos > len(buf):
            raise ProtoError("truncated field")


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _shape(buf: bytes) -> tuple[int | None, ...] | None:
    dims: list[int | None] = []
    for number, _, value in _fields(buf):
        if number == 3 and value:  # unknown_rank
            return None
        if number == 2 and isinstance(value, bytes):
            size = 0
            for n, _, v in _fields(value):
                if n == 1 and isinstance(v, int):
                    size = _signed64(v)
            dims.append(None if size < 0 else size)
    return tuple(dims)


def _tensor_info(buf: bytes) -> TensorInfo:
    dtype, shape = "unknown", None
    for number, _, value in _fields(buf):
        if number == 2 and isinstance(value, int):
            dtype = DTYPES.get(value, f"dtype#{value}")
        elif number == 3 and isinstance(value, bytes):
            shape = _shape(value)
    return TensorInfo(dtype, shape)


def _map_entry(buf: bytes) -> tuple[str, bytes]:
    key, val = "", b""
    for number, _, value in _fields(buf):
        if number == 1 and isinstance(value, bytes):
            key = value.decode("utf-8", "replace")
        elif number == 2 and isinstance(value, bytes):
            val = value
    return key, val


def _signature(name: str, buf: bytes) -> Signature:
    inputs: dict[str, TensorInfo] = {}
    for number, _, value in _fields(buf):
        if number == 1 and isinstance(value, bytes):
            key, info = _map_entry(value)
            inputs[key] = _tensor_info(info)
    return Signature(name, inputs)


def signatures(data: bytes) -> dict[str, Signature]:
    """Every signature of the first MetaGraphDef (the one ``tf.saved_model.load`` serves)."""
    metas = [v for n, w, v in _fields(data) if n == 2 and w == 2 and isinstance(v, bytes)]
    if not metas:
        raise ProtoError("no MetaGraphDef")
    out: dict[str, Signature] = {}
    for number, wire, value in _fields(metas[0]):
        if number == 5 and wire == 2 and isinstance(value, bytes):
            key, sig = _map_entry(value)
            out[key] = _signature(key, sig)
    return out
