"""What a worker process needs to build a face engine, and nothing that imports the application.

A spawned worker unpickles its engine factory, importing the module the factory's code lives
in: `runtime.build_face_engine` pulled in the database, the web's services and their libraries
(~60 MB resident in each indexing worker, for nothing it uses; issue 15's memory budget).
"""

from __future__ import annotations

from dataclasses import dataclass

from eventface.faces.engine import FaceEngine


@dataclass(frozen=True)
class EngineRecipe:
    name: str  # "sface", "dlib" or "fusion"
    detect_max_side_px: int = 2000
    min_score: float = 0.6
    dlib_upsample: int = 1
    dlib_detector: str = "hog"

    def __call__(self) -> FaceEngine:
        # imported here so that a process using one engine never loads the other's native library
        if self.name == "sface":
            from eventface.faces.dlib_engine import HogVerifier  # noqa: PLC0415
            from eventface.faces.sface_engine import SFaceEngine  # noqa: PLC0415

            return SFaceEngine(
                detect_max_side_px=self.detect_max_side_px, min_score=self.min_score, verifier=HogVerifier()
            )
        if self.name == "dlib":
            from eventface.faces.dlib_engine import DlibFaceEngine  # noqa: PLC0415

            return DlibFaceEngine(
                detect_max_side_px=self.detect_max_side_px,
                upsample=self.dlib_upsample,
                detector=self.dlib_detector,
            )
        if self.name == "fusion":
            from eventface.faces.fusion_engine import FusionFaceEngine  # noqa: PLC0415

            return FusionFaceEngine(detect_max_side_px=self.detect_max_side_px, min_score=self.min_score)
        raise ValueError(f"unknown face engine {self.name!r}; choose one of sface, dlib, fusion")
