"""SFace on onnxruntime gives OpenCV's FaceRecognizerSF chips and descriptors, on real faces."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from eventface.faces import onnx_bytes, onnx_sessions
from eventface.faces.images import PhotoImage
from eventface.faces.model_files import SFACE_FILE, opencv_zoo_model
from eventface.faces.sface_engine import SFaceEngine
from eventface.faces.sface_onnx import SFaceOnnx, align_crop, runnable_model

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.slow

# the same float weights, summed in another order: 3.3e-6 at most on descriptors of norm ~14
MAX_ABS_DIFF = 2e-5


def _photos(faces_dir: Path) -> list[Path]:
    return sorted((faces_dir / "groups").glob("*.jpg")) + sorted((faces_dir / "people").glob("*/*.jpg"))


def test_descriptors_match_opencvs_face_recognizer(faces_dir: Path) -> None:
    path = opencv_zoo_model(SFACE_FILE)
    ours = SFaceOnnx(path)
    opencv = cv2.FaceRecognizerSF.create(str(path), "")
    engine = SFaceEngine()
    faces = 0
    for photo in _photos(faces_dir):
        decoded = PhotoImage(photo.read_bytes(), 10**8).decode(2000)
        for face in engine.detect(decoded):
            chip = opencv.alignCrop(decoded.rgb, face.row)  # RGB, as the engine aligns it
            np.testing.assert_array_equal(align_crop(decoded.rgb, face.row), chip)
            expected = opencv.feature(np.ascontiguousarray(chip[:, :, ::-1])).reshape(-1)
            got = ours.feature(chip)
            np.testing.assert_allclose(got, expected, atol=MAX_ABS_DIFF)
            faces += 1
    assert faces >= 40, "the group photos hold dozens of faces: the comparison should see them"


def test_engine_embeds_the_same_with_or_without_onnxruntime(
    faces_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's normalised embeddings of the same detections (the detectors' rows differ by
    ~1e-4 px, which moves a chip's pixels more than the embedders differ)."""
    decoded = PhotoImage((faces_dir / "groups" / "dlib_bald_guys.jpg").read_bytes(), 10**8).decode(2000)
    with_onnx = SFaceEngine()
    faces = with_onnx.detect(decoded)
    assert isinstance(with_onnx._load()[1], SFaceOnnx)
    monkeypatch.setattr(onnx_sessions, "available", lambda: False)
    fallback = SFaceEngine()
    assert not isinstance(fallback._load()[1], SFaceOnnx)
    assert len(faces) >= 10
    for face in faces:
        got, got_sharpness = with_onnx.embed(decoded.rgb, face)
        expected, expected_sharpness = fallback.embed(decoded.rgb, face)
        np.testing.assert_allclose(got, expected, atol=1e-6)
        assert got_sharpness == expected_sharpness


def test_model_keeps_only_the_image_input_and_float_weights() -> None:
    model = opencv_zoo_model(SFACE_FILE).read_bytes()
    rewritten = runnable_model(model)
    graph = next(f.payload for f in onnx_bytes.fields(rewritten) if f.number == 7)
    inputs = [onnx_bytes.name_of(f.payload) for f in onnx_bytes.fields(graph) if f.number == 11]
    assert inputs == ["data"]
    assert b"DequantizeLinear" in model
    assert b"DequantizeLinear" not in rewritten


def test_unfolded_prelus_give_the_same_descriptors_bit_for_bit() -> None:
    model = opencv_zoo_model(SFACE_FILE).read_bytes()

    def float_graph(graph: bytes) -> bytes:  # what ran before the unfolding
        return onnx_bytes.without_weight_inputs(onnx_bytes.float_graph(graph))

    with_prelus = onnx_bytes.rewrite(model, {7: float_graph})
    unfolded = runnable_model(model)
    assert b"PRelu" in with_prelus and b"PRelu" not in unfolded
    chips = np.random.default_rng(7).integers(0, 256, (8, 3, 112, 112)).astype(np.float32)
    before, after = (onnx_sessions.cpu_session(m, one_shape=True) for m in (with_prelus, unfolded))
    for chip in chips:
        (expected,) = before.run(None, {"data": chip[None]})
        (got,) = after.run(None, {"data": chip[None]})
        assert np.array_equal(got, expected)
