"""YuNet on onnxruntime finds what OpenCV's FaceDetectorYN finds, on real photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from eventface.faces import onnx_sessions
from eventface.faces.images import PhotoImage
from eventface.faces.model_files import YUNET_FILE, opencv_zoo_model
from eventface.faces.sface_engine import SFaceEngine
from eventface.faces.yunet_onnx import YuNetOnnx, decode, runnable_model, suppress

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.slow

SCORE, NMS, TOP_K = 0.6, 0.3, 5000
# the same float weights, summed in another order: measured 1.2e-4 px and 5e-7 at most
MAX_PX_DIFF = 1.0
MAX_SCORE_DIFF = 0.01


def _photos(faces_dir: Path) -> list[npt.NDArray[np.uint8]]:
    paths = sorted((faces_dir / "groups").glob("*.jpg")) + sorted((faces_dir / "people").glob("*/*.jpg"))
    return [
        np.ascontiguousarray(PhotoImage(p.read_bytes(), 10**8).decode(2000).rgb[:, :, ::-1]) for p in paths
    ]


def test_detections_match_opencvs_face_detector(faces_dir: Path) -> None:
    path = opencv_zoo_model(YUNET_FILE)
    ours = YuNetOnnx(path, SCORE, NMS, TOP_K)
    opencv = cv2.FaceDetectorYN.create(str(path), "", (320, 320), SCORE, NMS, TOP_K)
    photos = _photos(faces_dir)
    total = 0
    for bgr in photos:
        height, width = bgr.shape[:2]
        opencv.setInputSize((width, height))
        _, expected = opencv.detect(bgr)
        expected = np.zeros((0, 15), np.float32) if expected is None else expected
        got = ours.detect(bgr)
        assert got.shape == expected.shape, f"{width}x{height}: {len(got)} faces, OpenCV {len(expected)}"
        np.testing.assert_allclose(got[:, :14], expected[:, :14], atol=MAX_PX_DIFF)
        np.testing.assert_allclose(got[:, 14], expected[:, 14], atol=MAX_SCORE_DIFF)
        total += len(got)
    assert len(photos) >= 20
    assert total >= 40, "the group photos hold dozens of faces: the comparison should see them"


def test_model_is_rewritten_to_float_weights_and_any_size() -> None:
    model = opencv_zoo_model(YUNET_FILE).read_bytes()
    rewritten = runnable_model(model)
    assert b"DequantizeLinear" in model
    assert b"DequantizeLinear" not in rewritten
    # the float weights are four times the int8 ones, but the file stays small
    assert len(model) < len(rewritten) < 2_000_000


def test_decode_places_a_cell_by_stride_and_offsets() -> None:
    """One confident cell of the stride-16 map of a 64x32 input: row 1, column 2."""
    pad_w, pad_h = 64, 32
    outputs: list[npt.NDArray[np.float32]] = []
    for _kind, width in (("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10)):
        for stride in (8, 16, 32):
            cells = (pad_w // stride) * (pad_h // stride)
            outputs.append(np.zeros((1, cells, width), np.float32))
    cols, cell = pad_w // 16, 1 * (pad_w // 16) + 2
    outputs[1][0, cell] = 0.81  # cls_16
    outputs[4][0, cell] = 1.5  # obj_16: clipped to 1, score = sqrt(0.81 * 1)
    outputs[7][0, cell] = [0.5, 0.25, np.log(2.0), 0.0]  # bbox_16
    outputs[10][0, cell] = np.arange(10, dtype=np.float32) / 10  # kps_16
    rows = decode(outputs, pad_w, SCORE)
    assert cols == 4
    assert rows.shape == (1, 15)
    cx, cy, w, h = (2 + 0.5) * 16, (1 + 0.25) * 16, 2 * 16, 16
    np.testing.assert_allclose(rows[0, :4], [cx - w / 2, cy - h / 2, w, h], rtol=1e-6)
    np.testing.assert_allclose(rows[0, 4:14:2], (np.arange(0, 10, 2) / 10 + 2) * 16, rtol=1e-6)
    np.testing.assert_allclose(rows[0, 5:14:2], (np.arange(1, 10, 2) / 10 + 1) * 16, rtol=1e-6)
    assert rows[0, 14] == pytest.approx(0.9)
    # below the threshold nothing comes out
    outputs[1][0, cell] = 0.3
    assert len(decode(outputs, pad_w, SCORE)) == 0


def test_suppress_keeps_the_best_of_overlapping_boxes() -> None:
    rows = np.zeros((3, 15), np.float32)
    rows[:, :4] = [[10, 10, 50, 50], [12, 11, 50, 50], [200, 200, 40, 40]]
    rows[:, 14] = [0.7, 0.95, 0.8]
    kept = suppress(rows, SCORE, NMS, TOP_K)
    assert kept[:, 14].tolist() == pytest.approx([0.95, 0.8])


def test_engine_finds_the_same_faces_with_or_without_onnxruntime(
    faces_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's whole detection (bands, coarse pass, NMS) on onnxruntime and on the OpenCV fallback."""
    decoded = PhotoImage((faces_dir / "groups" / "dlib_bald_guys.jpg").read_bytes(), 10**8).decode(2000)
    with_onnx = SFaceEngine()
    found = with_onnx.detect(decoded)
    assert isinstance(with_onnx._load()[0], YuNetOnnx)
    monkeypatch.setattr(onnx_sessions, "available", lambda: False)
    fallback = SFaceEngine()
    expected = fallback.detect(decoded)
    assert not isinstance(fallback._load()[0], YuNetOnnx)
    assert len(found) >= 10
    assert [f.box for f in found] == [f.box for f in expected]
    np.testing.assert_allclose([f.row for f in found], [f.row for f in expected], atol=MAX_PX_DIFF)
