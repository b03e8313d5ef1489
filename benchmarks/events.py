"""Synthetic dev events for the benchmarks, built by ../shared/tools/synth_event.py and cached."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OUT = ROOT / "benchmarks" / "out"
FACE_SETS = {"faces": SHARED / "data" / "faces", "faces_asia": SHARED / "data" / "faces_asia"}
CROWD_SETS = {"faces_crowd_asia": SHARED / "data" / "faces_crowd_asia"}  # issue 11: benchmarks/crowd.py
SIZE_BUCKETS = [(60, 100), (100, 160), (160, 250), (250, 401)]


@dataclass(frozen=True)
class DevEvent:
    face_set: str
    seed: int
    path: Path
    truth: dict  # ground_truth.json

    @property
    def label(self) -> str:
        return f"{self.face_set} seed {self.seed}"

    @property
    def photos_dir(self) -> Path:
        return self.path / "photos"

    def queryable(self) -> list[str]:
        return sorted(i for i, v in self.truth["identities"].items() if v["queryable"])

    def photos_of(self, identity: str) -> set[str]:
        """Names relative to photos/ (what the product stores as the photo's path)."""
        return {Path(p).name for p in self.truth["identities"][identity]["photos"]}

    def selfies_of(self, identity: str) -> list[Path]:
        return [self.path / s for s in self.truth["identities"][identity]["selfies"]]


def dev_event(face_set: str, seed: int = 1, photos: int = 120) -> DevEvent:
    faces = {**FACE_SETS, **CROWD_SETS}[face_set]
    if not faces.is_dir():
        sys.exit(f"skipped: {faces} is absent (the shared dev face sets are needed for benchmarks)")
    path = OUT / "events" / f"{face_set}_s{seed}_n{photos}"
    truth_file = path / "ground_truth.json"
    if not truth_file.is_file():
        subprocess.run(
            [
                sys.executable,
                str(SHARED / "tools" / "synth_event.py"),
                "--faces",
                str(faces),
                "--seed",
                str(seed),
                "--photos",
                str(photos),
                "--out",
                str(path),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return DevEvent(face_set, seed, path, json.loads(truth_file.read_text()))


def precision_recall(returned: dict[str, set[str]], truth: dict[str, set[str]]) -> tuple[float, float]:
    """Micro-averaged over identities: P = right returned / returned, R = right returned / relevant."""
    right = sum(len(returned[i] & truth[i]) for i in truth)
    n_returned = sum(len(returned[i]) for i in truth)
    n_relevant = sum(len(truth[i]) for i in truth)
    return (right / n_returned if n_returned else 1.0), (right / n_relevant if n_relevant else 1.0)
