"""A deterministic fake FaceEngine: solid palette-coloured squares on a grey photo are the "faces".

Each colour is one person: its embedding is the one-hot unit vector of the colour's place in
the palette, so two squares of the same colour are at cosine distance 0 and any two different
colours at distance 1. It runs in milliseconds, so ingest and search logic can be tested
without loading models.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from eventface.domain.distance import CosineMetric
from eventface.domain.models import Box, DetectedFace
from eventface.faces.images import PhotoImage
from tests.fakes.photos import PALETTE

# JPEG blurs a square's edges and shifts its colour a little: this much per channel still counts
CHANNEL_SLACK = 60
MIN_SQUARE_PX = 16  # pixels of a colour below this are compression noise, not a face


def embedding_of(colour: str) -> np.ndarray:
    vector = np.zeros(len(PALETTE), np.float32)
    vector[list(PALETTE).index(colour)] = 1.0
    return vector


class ColourSquareEngine:
    """Finds at most one square per palette colour; records how many photos it has looked at."""

    metric = CosineMetric()
    default_tolerance = 0.1
    expansion_tolerance: float | None = None
    people_rule: tuple[float, float, float, float, float] | None = None

    def __init__(self, name: str = "fake", *, detect_max_side_px: int = 512) -> None:
        self.name = name
        self.model = f"colour-squares-v1@{detect_max_side_px}"
        self.detect_max_side_px = detect_max_side_px
        self.photos_seen = 0

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        self.photos_seen += 1
        decoded = image.decode(self.detect_max_side_px)
        pixels = decoded.rgb.astype(np.int16)
        faces = []
        for colour, rgb in PALETTE.items():
            mask = (np.abs(pixels - np.array(rgb, np.int16)) <= CHANNEL_SLACK).all(axis=2)
            if mask.sum() < MIN_SQUARE_PX:
                continue
            rows, cols = np.nonzero(mask)
            box = Box(
                left=round(cols.min() / decoded.scale),
                top=round(rows.min() / decoded.scale),
                right=round((cols.max() + 1) / decoded.scale),
                bottom=round((rows.max() + 1) / decoded.scale),
            )
            faces.append(DetectedFace(box=box, score=0.99, embedding=embedding_of(colour), sharpness=100.0))
        return faces


class CrashingEngine(ColourSquareEngine):
    """Kills its own process, as a native crash or the OOM killer would, on a photo with a magenta face."""

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        faces = super().find_faces(image)
        if any(np.argmax(f.embedding) == list(PALETTE).index("magenta") for f in faces):
            os._exit(70)
        return faces


class SlowEngine(ColourSquareEngine):
    """Takes `seconds` over every photo, as a big photo on a busy machine does; with `started_dir`,
    leaves a file named after its process id there when it starts on a photo."""

    def __init__(self, name: str = "fake", seconds: float = 1.0, started_dir: str | None = None) -> None:
        super().__init__(name)
        self.seconds = seconds
        self.started_dir = started_dir

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        if self.started_dir is not None:
            (Path(self.started_dir) / str(os.getpid())).touch()
        time.sleep(self.seconds)
        return super().find_faces(image)


class ThreadsProbeEngine(ColourSquareEngine):
    """Reports, as each face's embedding, the threads the models loaded in its process would run
    on: OpenCV's, and the intra-op threads onnxruntime sessions get (0: its default, every core)."""

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        import cv2  # noqa: PLC0415 - only this probe needs OpenCV

        from eventface.faces import onnx_sessions  # noqa: PLC0415 - read in the process that analyses

        threads = np.array([cv2.getNumThreads(), onnx_sessions._intra_op_threads], np.float32)
        return [replace(face, embedding=threads) for face in super().find_faces(image)]
