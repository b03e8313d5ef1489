"""The face-engine protocol: photo in, faces (box, score, embedding) out."""

from __future__ import annotations

import threading
from typing import Protocol

from eventface.domain.distance import Metric
from eventface.domain.models import DetectedFace
from eventface.faces.images import PhotoImage


class FaceEngine(Protocol):
    """Detects, aligns and embeds every face in a photo.

    Models load lazily, once per process, on the first call. `name` is what an event and each
    face row record ("sface", "dlib", "fusion"); `model` pins the exact model files and
    parameters. Embeddings of one engine are comparable only with `metric`, and two faces
    are the same person when their distance is at most `default_tolerance`.
    """

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def metric(self) -> Metric: ...

    @property
    def default_tolerance(self) -> float: ...

    @property
    def expansion_tolerance(self) -> float | None:
        """Matches this close become extra queries before the final threshold (None: no expansion)."""
        ...

    @property
    def people_rule(self) -> tuple[float, float, float, float, float] | None:
        """(link, join, crowd join, crowd near, crowd room) of matching/people.py's rule, calibrated
        for this engine (crowd join 0: no hub correction in a crowd; crowd room 0: no more room for
        groups near a selfie); None: not used."""
        ...

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]: ...


class LockedFaceEngine:
    """An engine that lets one caller at a time into its native models, which are not thread-safe.

    The engine owns its lock, so the threads sharing it (two jobs, the CLI) take turns without
    knowing of each other. Its description (name, metric, tolerances) needs no lock: a search
    ranks with it in the web process while its models run in search workers.
    """

    def __init__(self, engine: FaceEngine) -> None:
        self._engine = engine
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._engine.name

    @property
    def model(self) -> str:
        return self._engine.model

    @property
    def metric(self) -> Metric:
        return self._engine.metric

    @property
    def default_tolerance(self) -> float:
        return self._engine.default_tolerance

    @property
    def expansion_tolerance(self) -> float | None:
        return self._engine.expansion_tolerance

    @property
    def people_rule(self) -> tuple[float, float, float, float, float] | None:
        return self._engine.people_rule

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        with self._lock:
            return self._engine.find_faces(image)
