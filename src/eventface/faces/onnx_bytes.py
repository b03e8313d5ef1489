"""ONNX models as bytes: just enough of protobuf's wire format to write, read and rewrite onnx.proto.

Three loaders use it, none with the `onnx` package: dlib's ResNet is written as a new model
(dlib_onnx.py), and the two OpenCV Zoo files (YuNet, SFace) are rewritten in memory so that
onnxruntime runs them: their int8 weights folded to floats, fixed shapes dropped, weights that
the old IR lists as graph inputs unlisted (yunet_onnx.py, sface_onnx.py).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from eventface.errors import ModelFileError

F32 = npt.NDArray[np.float32]
Edits = dict[int, Callable[[bytes], bytes] | None]

# onnx.proto field numbers used here. TensorProto: dims 1, data_type 2, name 8, raw_data 9;
# NodeProto: input 1, output 2, op_type 4, attribute 5; AttributeProto: name 1, i 3;
# GraphProto: node 1, initializer 5, input 11, output 12, value_info 13; ValueInfoProto: name 1,
# type 2; ModelProto: graph 7
_DTYPES: dict[int, type[np.generic]] = {1: np.float32, 3: np.int8}


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at `pos`, and where the next field starts."""
    value, shift = 0, 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s as two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number: int, payload: bytes | str | int) -> bytes:
    """A varint field (int) or a length-delimited one (bytes, str), key included."""
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    raw = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(raw)) + raw


class Field(NamedTuple):
    number: int
    wire: int
    whole: bytes  # the field as it is encoded, key included
    payload: bytes  # length-delimited fields' contents
    value: int  # varint fields' value


def fields(data: bytes) -> Iterator[Field]:
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        payload, value = b"", 0
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size, pos = read_varint(data, pos)
            payload = data[pos : pos + size]
            pos += size
        else:
            raise ModelFileError(f"unsupported protobuf wire type {wire} in an ONNX model")
        yield Field(number, wire, data[start:pos], payload, value)


def _keep(payload: bytes) -> bytes:
    return payload


def rewrite(data: bytes, edits: Edits) -> bytes:
    """`data` with each field in `edits` dropped (None) or its payload rewritten by the function."""
    out = []
    for f in fields(data):
        edit = edits.get(f.number, _keep)
        if edit is _keep:
            out.append(f.whole)
        elif edit is not None:
            out.append(field(f.number, edit(f.payload)))
    return b"".join(out)


def shapeless(value_info: bytes) -> bytes:
    """A ValueInfoProto without its shape (ValueInfoProto.type 2 -> TypeProto.tensor_type 1 -> shape 2)."""
    tensor: Edits = {2: None}
    return rewrite(value_info, {2: lambda t: rewrite(t, {1: lambda x: rewrite(x, tensor)})})


def name_of(value_info: bytes) -> str:
    """A ValueInfoProto's name."""
    return next((f.payload.decode() for f in fields(value_info) if f.number == 1), "")


def tensor(data: bytes) -> tuple[str, npt.NDArray[Any] | None]:
    """A TensorProto's name and its values if they are raw float32 or int8."""
    name, dims, dtype, raw = "", [], 0, None
    for f in fields(data):
        if f.number == 8:
            name = f.payload.decode()
        elif f.number == 1 and f.wire == 0:
            dims.append(f.value)
        elif f.number == 1:  # packed
            pos = 0
            while pos < len(f.payload):
                value, pos = read_varint(f.payload, pos)
                dims.append(value)
        elif f.number == 2:
            dtype = f.value
        elif f.number == 9:
            raw = f.payload
    if raw is None or dtype not in _DTYPES:
        return name, None
    return name, np.frombuffer(raw, _DTYPES[dtype]).astype(np.float32).reshape(dims)


def _tensor_name(data: bytes) -> str:
    return next((f.payload.decode() for f in fields(data) if f.number == 8), "")


def float_tensor(name: str, array: F32) -> bytes:
    raw = np.ascontiguousarray(array, "<f4").tobytes()
    return b"".join(field(1, d) for d in array.shape) + field(2, 1) + field(8, name) + field(9, raw)


def _dequantized(q: F32, scale: F32, zero: F32, axis: int, block: int) -> F32:
    """DequantizeLinear on constants: per tensor, per axis, or in blocks along `axis`."""
    if scale.size == 1:
        return ((q - zero.reshape(())) * scale.reshape(())).astype(np.float32)
    if block:
        scale = np.repeat(scale, block, axis=axis).take(range(q.shape[axis]), axis=axis)
        zero = np.repeat(zero, block, axis=axis).take(range(q.shape[axis]), axis=axis)
    else:
        shape = [1] * q.ndim
        shape[axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((q - zero) * scale).astype(np.float32)


def _node_parts(node: bytes) -> tuple[str, list[str], str, dict[str, int]]:
    """A NodeProto's op type, inputs, first output and integer attributes."""
    inputs, output, op, attrs = [], "", "", {}
    for f in fields(node):
        if f.number == 1:
            inputs.append(f.payload.decode())
        elif f.number == 2 and not output:
            output = f.payload.decode()
        elif f.number == 4:
            op = f.payload.decode()
        elif f.number == 5:
            attr = {a.number: a for a in fields(f.payload)}
            attrs[attr[1].payload.decode()] = attr[3].value if 3 in attr else 0
    return op, inputs, output, attrs


def _dequantize(inputs: list[str], attrs: dict[str, int], tensors: dict[str, bytes]) -> F32 | None:
    """DequantizeLinear of the initializers `inputs` in float, else None (not all constants)."""
    values = [tensor(tensors[i])[1] if i in tensors else None for i in inputs]
    if any(v is None for v in values):
        return None
    q, scale = values[0], values[1]
    assert q is not None and scale is not None
    zero = values[2] if len(values) > 2 and values[2] is not None else np.zeros_like(scale)
    axis = attrs.get("axis", 1) % q.ndim if q.ndim else 0
    return _dequantized(q, scale, zero, axis, attrs.get("block_size", 0))


def float_graph(graph: bytes) -> bytes:
    """The graph with every DequantizeLinear of constants replaced by its float result, and the
    int8 constants that only those read dropped (kept, they would double the weights' memory).

    onnxruntime's CPU DequantizeLinear rejects the OpenCV Zoo files' per-tensor biases that carry
    a block size (opset 21 allows it), and a float Conv is what it would run after dequantizing.
    """
    tensors = {_tensor_name(f.payload): f.payload for f in fields(graph) if f.number == 5}
    folded: dict[int, bytes] = {}
    consumed: set[str] = set()
    read_elsewhere: set[str] = set()
    for k, f in enumerate(fields(graph)):
        if f.number != 1:
            continue
        op, inputs, output, attrs = _node_parts(f.payload)
        values = _dequantize(inputs, attrs, tensors) if op == "DequantizeLinear" else None
        if values is None:
            read_elsewhere.update(inputs)
        else:
            folded[k] = field(5, float_tensor(output, values))
            consumed.update(inputs)
    unused = consumed - read_elsewhere
    out = []
    for k, f in enumerate(fields(graph)):
        if k in folded:
            out.append(folded[k])
        elif f.number != 5 or _tensor_name(f.payload) not in unused:
            out.append(f.whole)
    return b"".join(out)


def without_weight_inputs(graph: bytes) -> bytes:
    """The graph with only the inputs a caller must feed: an old IR lists every weight among the
    inputs, and onnxruntime asks the caller for each one that has no initializer of its name
    (SFace lists its float weights, which the int8 file computes instead and no node reads)."""
    weights = {_tensor_name(f.payload) for f in fields(graph) if f.number == 5}
    read = {f.payload.decode() for node in _nodes(graph) for f in fields(node) if f.number == 1}
    return b"".join(
        f.whole for f in fields(graph) if f.number != 11 or (name_of(f.payload) in read - weights)
    )


_PRELU_ZERO = "eventface_prelu_zero"


def _attribute(name: str, value: int | float | list[int]) -> bytes:
    """An AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7)."""
    if isinstance(value, list):
        return field(1, name) + b"".join(field(8, v) for v in value) + field(20, 7)
    if isinstance(value, float):
        return field(1, name) + varint(2 << 3 | 5) + struct.pack("<f", value) + field(20, 1)
    return field(1, name) + field(3, value) + field(20, 2)


def node(op: str, inputs: list[str], output: str, **attrs: int | float | list[int]) -> bytes:
    """A NodeProto named after its one output."""
    body = b"".join(field(1, i) for i in inputs) + field(2, output) + field(3, output) + field(4, op)
    return body + b"".join(field(5, _attribute(k, v)) for k, v in attrs.items())


def prelu_unfolded(graph: bytes) -> bytes:
    """The graph with each PRelu(x, slope) as Relu(x) + Min(x, 0) * slope: the same numbers, bit for
    bit (x + 0, or 0 + slope * x), for ~30 % less of SFace's CPU.

    onnxruntime's CPU PRelu broadcasts its per-channel slope element by element and keeps its
    input out of the blocked layout the convolutions run in: in SFace (27 PRelus) it took 12.9 of
    24 ms a face, more than every convolution together; the four plain element-wise ops take
    ~5 (benchmarks/README.md, "SFace's PRelu").
    """
    out, unfolded = [], 0
    for f in fields(graph):
        op, inputs, output, _ = _node_parts(f.payload) if f.number == 1 else ("", [], "", {})
        if op != "PRelu":
            out.append(f.whole)
            continue
        (x, slope), stem = inputs, f"{output}_eventface"
        for part in (
            node("Relu", [x], f"{stem}_positive"),
            node("Min", [x, _PRELU_ZERO], f"{stem}_negative"),
            node("Mul", [f"{stem}_negative", slope], f"{stem}_scaled"),
            node("Add", [f"{stem}_positive", f"{stem}_scaled"], output),
        ):
            out.append(field(1, part))
        unfolded += 1
    if unfolded:
        out.append(field(5, float_tensor(_PRELU_ZERO, np.zeros(1, np.float32))))
    return b"".join(out)


def _nodes(graph: bytes) -> Iterator[bytes]:
    return (f.payload for f in fields(graph) if f.number == 1)
