"""dlib's ResNet converted to ONNX and run on OpenCV gives dlib's own descriptors, on real faces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlib
import numpy as np
import pytest

from eventface.errors import ModelFileError
from eventface.faces.dlib_engine import CHIP_PADDING, DlibEmbedder
from eventface.faces.dlib_onnx import CHIP_PX, MAX_BATCH, DlibResNetDnn, read_dlib_resnet
from eventface.faces.images import PhotoImage
from eventface.faces.model_files import DLIB_FIVE_POINT_FILE, DLIB_RESNET_FILE, dlib_model

pytestmark = pytest.mark.slow

# the converted network adds and pools in another order than dlib: float32 rounding, no more
# (measured: 5e-7 at most on these faces; faces of different people are ~0.6 apart)
MAX_ABS_DIFF = 1e-4


@pytest.fixture(scope="module")
def faces(faces_dir: Path) -> list[tuple[Any, Any]]:
    """(image, dlib rectangle) of the first face HOG finds in each of nine people's photos."""
    detector = dlib.get_frontal_face_detector()
    found = []
    for path in sorted((faces_dir / "people").glob("*/*.jpg"))[:9]:
        rgb = PhotoImage(path.read_bytes(), 10**8).decode(800).rgb
        rects = detector(rgb, 1)
        if rects:
            found.append((rgb, rects[0]))
    assert len(found) >= 6, "the face set should have a HOG-detectable face in most people's photos"
    return found


def test_batched_descriptors_match_dlibs_own(faces: list[tuple[Any, Any]]) -> None:
    predictor = dlib.shape_predictor(str(dlib_model(DLIB_FIVE_POINT_FILE)))
    resnet = dlib.face_recognition_model_v1(str(dlib_model(DLIB_RESNET_FILE)))
    shapes = [predictor(rgb, rect) for rgb, rect in faces]
    expected = np.array(
        [
            resnet.compute_face_descriptor(rgb, shape, 0, CHIP_PADDING)
            for (rgb, _), shape in zip(faces, shapes, strict=True)
        ],
        np.float32,
    )
    chips = [
        dlib.get_face_chip(rgb, shape, CHIP_PX, CHIP_PADDING)
        for (rgb, _), shape in zip(faces, shapes, strict=True)
    ]

    batched = DlibResNetDnn(dlib_model(DLIB_RESNET_FILE)).descriptors(chips)

    assert batched.shape == expected.shape == (len(faces), 128)
    assert float(np.abs(batched - expected).max()) < MAX_ABS_DIFF
    # not trivially equal: the descriptors of different people differ far more than that
    assert float(np.linalg.norm(expected[0] - expected[1])) > 100 * MAX_ABS_DIFF


def test_embedder_gives_one_descriptor_per_face_in_order_past_one_batch(faces: list[tuple[Any, Any]]) -> None:
    (rgb, rect), (_, other) = faces[0], faces[1]
    embedder = DlibEmbedder()
    one, two = embedder.embed(rgb, rect), embedder.embed(rgb, other)
    rects = [rect] * MAX_BATCH + [other, rect]

    several = embedder.embed_many(rgb, rects)

    assert several.shape == (MAX_BATCH + 2, 128)
    np.testing.assert_allclose(several, [one] * MAX_BATCH + [two, one], atol=1e-5)
    assert embedder.embed_many(rgb, []).shape == (0, 128)


def test_a_file_that_is_not_the_face_resnet_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "not_a_resnet.dat"
    other.write_bytes(dlib_model(DLIB_FIVE_POINT_FILE).read_bytes()[:4096])

    with pytest.raises(ModelFileError):
        read_dlib_resnet(other)
