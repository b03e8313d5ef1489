"""The original system's face search, re-run on a dev event so every figure is also a ratio to it.

Its approach, as BASELINE.md describes it: each photo decoded at full resolution with no EXIF
handling, dlib HOG with upsample 1, 68-point landmarks, the ResNet descriptor (one jitter, as
face_recognition's face_encodings); a guest's selfie encodings averaged; tolerance 0.5.

    python benchmarks/reference.py benchmarks/out/events/faces_s1_n120 [--limit N]

Prints one JSON object: photos/s, peak RSS, and precision/recall on the event's guests.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import dlib
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eventface.faces.model_files import DLIB_68_POINT_FILE, DLIB_RESNET_FILE, dlib_model
from events import precision_recall

TOLERANCE = 0.5


class OriginalEncoder:
    def __init__(self) -> None:
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(dlib_model(DLIB_68_POINT_FILE)))
        self.resnet = dlib.face_recognition_model_v1(str(dlib_model(DLIB_RESNET_FILE)))

    def encodings(self, path: Path) -> list[np.ndarray]:
        img = np.asarray(Image.open(path).convert("RGB"))  # full resolution, EXIF ignored
        return [
            np.asarray(self.resnet.compute_face_descriptor(img, self.predictor(img, rect), 1), np.float32)
            for rect in self.detector(img, 1)
        ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("event", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="index only the first N photos")
    args = parser.parse_args()
    truth = json.loads((args.event / "ground_truth.json").read_text())
    photos = sorted((args.event / "photos").glob("*.jpg"))[: args.limit or None]
    encoder = OriginalEncoder()

    start, cpu_start = time.perf_counter(), time.process_time()
    faces: list[tuple[str, np.ndarray]] = []
    for path in photos:
        faces.extend((path.name, e) for e in encoder.encodings(path))
    seconds = time.perf_counter() - start
    cpu_s = time.process_time() - cpu_start

    names = [n for n, _ in faces]
    matrix = np.vstack([e for _, e in faces]) if faces else np.zeros((0, 128), np.float32)
    indexed = {p.name for p in photos}
    returned, relevant = {}, {}
    for ident, info in truth["identities"].items():
        if not info["queryable"]:
            continue
        selfie_encodings = [e for s in info["selfies"] for e in encoder.encodings(args.event / s)[:1]]
        relevant[ident] = {Path(p).name for p in info["photos"]} & indexed
        if not selfie_encodings or len(matrix) == 0:
            returned[ident] = set()
            continue
        query = np.mean(selfie_encodings, axis=0)
        distances = np.linalg.norm(matrix - query, axis=1)
        returned[ident] = {names[i] for i in np.nonzero(distances <= TOLERANCE)[0]}
    precision, recall = precision_recall(returned, relevant)
    print(
        json.dumps(
            {
                "photos": len(photos),
                "faces": len(faces),
                "seconds": round(seconds, 2),
                "photos_per_s": round(len(photos) / seconds, 4),
                "faces_per_s": round(len(faces) / seconds, 3),
                "cpu_s_per_photo": round(cpu_s / len(photos), 3),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "precision": round(precision, 4),
                "recall": round(recall, 4),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
