"""dlib's face-recognition ResNet, converted from its own .dat file to ONNX for OpenCV's DNN module.

dlib runs the network one face at a time on one core and holds the GIL throughout (~60 ms a
face here); OpenCV runs the same weights on a whole photo's faces in one batched pass, several
times cheaper (benchmarks/README.md, "Indexing per core"). The weights are read from the
`face-recognition-models` package already installed (public domain, dlib-models) and converted
in memory when the model loads: nothing is downloaded, no converted file goes stale or needs a
licence of its own. The descriptors match dlib's own to ~1e-6 (tests/integration/test_dlib_onnx.py).

The .dat file is dlib's serialisation of `anet_type` from dlib's dnn_face_recognition_ex.cpp:
a 7x7 convolution, max pooling, then residual blocks of two 3x3 convolutions (each followed by a
learned per-channel affine, folded into the convolution here), average pooling over everything
and a 256 -> 128 fully connected layer. Layers are stored input first, each with its parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from eventface.errors import ModelFileError
from eventface.faces import onnx_bytes

CHIP_PX = 150  # input_rgb_image_sized<150>
# faces per forward pass: batching pays off by a few faces, and a crowd photo's 40 faces at
# once would hold ~100 MB of activations
MAX_BATCH = 8
F32 = npt.NDArray[np.float32]


# --- reading dlib's serialisation (dlib/serialize.h): integers are a length byte (high bit: sign)
# then that many little-endian bytes; strings a length then bytes; floats a mantissa and a
# binary exponent; tensors a version, four dimensions and raw little-endian float32s


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def integer(self) -> int:
        head = self.data[self.pos]
        size = head & 0x0F
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if head & 0x80 else value

    def real(self) -> float:
        mantissa = self.integer()
        return float(mantissa * 2.0 ** self.integer())

    def tensor(self) -> F32:
        if self.integer() != 2:
            raise ModelFileError("dlib tensor of an unknown version")
        shape = [self.integer() for _ in range(4)]
        count = int(np.prod(shape))
        values = np.frombuffer(self.data, "<f4", count, self.pos)  # a view: the file is read once
        self.pos += 4 * count
        return values.reshape(shape)

    def seek(self, tag: str) -> None:
        """Moves past the next occurrence of the serialised string `tag`."""
        key = bytes([1, len(tag)]) + tag.encode()
        found = self.data.find(key, self.pos)
        if found < 0:
            raise ModelFileError(f"no {tag!r} layer where one was expected in the dlib model")
        self.pos = found + len(key)

    def find(self, tag: str) -> int:
        """Where the next serialised string `tag` starts (-1: nowhere)."""
        return self.data.find(bytes([1, len(tag)]) + tag.encode(), self.pos)


@dataclass(frozen=True)
class Conv:
    weight: F32  # out, in, kh, kw, the affine that follows folded in
    bias: F32
    stride: int
    pad: int


@dataclass(frozen=True)
class DlibResNet:
    mean_rgb: tuple[float, float, float]
    convs: list[Conv]  # in file order
    fc: F32  # 256 x 128


def read_dlib_resnet(path: Path) -> DlibResNet:
    reader = _Reader(path.read_bytes())
    reader.seek("input_rgb_image_sized")
    mean = (reader.real(), reader.real(), reader.real())
    if (reader.integer(), reader.integer()) != (CHIP_PX, CHIP_PX):
        raise ModelFileError(f"{path} is not dlib's 150 px face-recognition ResNet")
    convs = []
    fc_at = reader.find("fc_2")
    while 0 <= reader.find("con_4") < fc_at:
        reader.seek("con_4")
        params = reader.tensor().reshape(-1)
        filters, size, _, stride, _, pad, _ = (reader.integer() for _ in range(7))
        weight = params[:-filters].reshape(filters, -1, size, size)
        bias = params[-filters:]
        reader.seek("affine_")
        gamma, beta = np.split(reader.tensor().reshape(-1), 2)
        convs.append(Conv(weight * gamma[:, None, None, None], bias * gamma + beta, stride, pad))
    reader.seek("fc_2")
    outputs, inputs = reader.integer(), reader.integer()
    fc = reader.tensor().reshape(inputs, outputs)
    if len(convs) != len(_BLOCKS) * 2 + 1:
        raise ModelFileError(f"{path} has {len(convs)} convolutions, expected {len(_BLOCKS) * 2 + 1}")
    return DlibResNet(mean, convs, fc)


# residual blocks after the stem, input to output: (channels, downsampling). A downsampling
# block adds its input 2x2-average-pooled; dlib's add_prev zero-fills where the two differ in
# channels or size (aligned at the top left), which the graph spells with Pad
_BLOCKS = [(32, False)] * 3 + [(64, True)] + [(64, False)] * 3 + [(128, True)] + [(128, False)] * 2
_BLOCKS += [(256, True)] + [(256, False)] * 2 + [(256, True)]


# --- writing ONNX (onnx/onnx.proto) without the onnx package: a handful of protobuf messages

_field, _varint = onnx_bytes.field, onnx_bytes.varint


def _initializer(name: str, array: F32) -> list[bytes | memoryview]:
    """A graph's initializer field in pieces: the weights are not copied until the model is joined."""
    raw = np.ascontiguousarray(array, "<f4").data.cast("B")
    head = b"".join(_field(1, d) for d in array.shape) + _field(2, 1) + _field(8, name)
    head += _varint(9 << 3 | 2) + _varint(len(raw))
    return [_varint(5 << 3 | 2) + _varint(len(head) + len(raw)) + head, raw]


def _value_info(number: int, name: str, dims: list[int | str]) -> bytes:
    shape = b"".join(_field(1, _field(2, d) if isinstance(d, str) else _field(1, d)) for d in dims)
    tensor_type = _field(1, 1) + _field(2, shape)
    return _field(number, _field(1, name) + _field(2, _field(1, tensor_type)))


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[bytes] = []
        self.weights: list[bytes | memoryview] = []
        self.count = 0

    def add(self, op: str, inputs: list[str], **attrs: int | float | list[int]) -> str:
        self.count += 1
        output = f"{op.lower()}{self.count}"
        self.nodes.append(_field(1, onnx_bytes.node(op, inputs, output, **attrs)))
        return output

    def weight(self, array: F32) -> str:
        name = f"w{len(self.weights) // 2}"
        self.weights.extend(_initializer(name, array))
        return name

    def conv(self, x: str, conv: Conv, relu: bool) -> str:
        size = conv.weight.shape[-1]
        y = self.add(
            "Conv",
            [x, self.weight(conv.weight), self.weight(conv.bias)],
            kernel_shape=[size, size],
            strides=[conv.stride, conv.stride],
            pads=[conv.pad] * 4,
        )
        return self.add("Relu", [y]) if relu else y


def _side_after(side: int, kernel: int, stride: int, pad: int) -> int:
    return (side + 2 * pad - kernel) // stride + 1


def to_onnx(net: DlibResNet) -> bytes:
    """The network as an ONNX model: input `chips` (N x 3 x 150 x 150, (RGB - mean) / 256), output N x 128."""
    g = _Graph()
    stem = net.convs[0]
    x = g.conv("chips", stem, relu=True)
    x = g.add("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 0, 0])
    side = _side_after(_side_after(CHIP_PX, stem.weight.shape[-1], stem.stride, stem.pad), 3, 2, 0)
    channels = stem.weight.shape[0]
    for k, (width, down) in enumerate(_BLOCKS):
        first, second = net.convs[1 + 2 * k], net.convs[2 + 2 * k]
        y = g.conv(g.conv(x, first, relu=True), second, relu=False)
        y_side = _side_after(side, 3, first.stride, first.pad)
        if down:
            x = g.add("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0])
            side = _side_after(side, 2, 2, 0)
        out_side, out_channels = max(side, y_side), max(channels, width)
        y = _padded(g, y, width, y_side, out_channels, out_side)
        x = _padded(g, x, channels, side, out_channels, out_side)
        x = g.add("Relu", [g.add("Add", [x, y])])
        side, channels = out_side, out_channels
    x = g.add("Flatten", [g.add("GlobalAveragePool", [x])], axis=1)
    x = g.add("MatMul", [x, g.weight(net.fc)])
    head = b"".join(g.nodes) + _field(2, "dlib_resnet_v1")
    tail = _value_info(11, "chips", ["N", 3, CHIP_PX, CHIP_PX]) + _value_info(12, x, ["N", 128])
    graph_size = len(head) + sum(len(w) for w in g.weights) + len(tail)
    opset = _field(1, "") + _field(2, 9)
    model_head = _field(1, 4) + _field(2, "eventface") + _varint(7 << 3 | 2) + _varint(graph_size)
    # one copy of the weights, made here: the model is ~22 MB and every load pays for its copies
    return b"".join([model_head, head, *g.weights, tail, _field(8, opset)])


def _padded(g: _Graph, x: str, channels: int, side: int, out_channels: int, out_side: int) -> str:
    if (channels, side) == (out_channels, out_side):
        return x
    grow = out_side - side
    return g.add("Pad", [x], pads=[0, 0, 0, 0, 0, out_channels - channels, grow, grow], value=0.0)


class DlibResNetDnn:
    """The converted network on OpenCV's DNN module: aligned 150 px RGB chips in, descriptors out."""

    def __init__(self, dat_path: Path) -> None:
        import cv2  # noqa: PLC0415 - the converter itself needs only numpy

        net = read_dlib_resnet(dat_path)
        self._mean = net.mean_rgb
        self._net = cv2.dnn.readNetFromONNX(np.frombuffer(to_onnx(net), np.uint8))
        self._cv2 = cv2

    def descriptors(self, chips: list[npt.NDArray[np.uint8]]) -> F32:
        """One 128-d descriptor per chip, all chips in one pass (dlib's (x - mean) / 256 input)."""
        out = [np.zeros((0, 128), np.float32)]
        for start in range(0, len(chips), MAX_BATCH):
            batch = chips[start : start + MAX_BATCH]
            blob = self._cv2.dnn.blobFromImages(batch, 1 / 256, (CHIP_PX, CHIP_PX), self._mean, False, False)
            self._net.setInput(blob)
            out.append(np.asarray(self._net.forward(), np.float32).reshape(len(batch), -1))
        return np.concatenate(out)
