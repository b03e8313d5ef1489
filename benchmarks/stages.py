"""Where a photo's indexing CPU goes, stage by stage, for the default (fusion) engine.

    python benchmarks/stages.py [--photos 20] [--threads 1] [--face-set faces] [--compare-yunet]

Runs the fusion engine's steps one by one on dev-event photos (4000x3000), in this process, and
sums each stage's CPU time (`time.process_time`: every thread of the process, so OpenCV's own
threads count; wall time on the shared machine says more about the other load than about us).
`--threads` is what `cv2.setNumThreads` gets, and onnxruntime's intra-op threads (an indexing
worker process sets 1). `--compare-yunet` also runs YuNet, and `analyze()` as a whole, on OpenCV
(FaceDetectorYN and FaceRecognizerSF, the fallback when onnxruntime is absent) on the same
photos, interleaved.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import cv2
import dlib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eventface.faces import onnx_sessions, yunet_onnx
from eventface.faces.dlib_engine import HogVerifier, dlib_rect_for_yunet
from eventface.faces.fusion_engine import FusionFaceEngine
from eventface.faces.images import PhotoImage
from eventface.faces.model_files import DLIB_RESNET_FILE, dlib_model
from eventface.faces.pool import analyze
from eventface.faces.quality import sharpness
from eventface.faces.sface_engine import CONFIDENT_SCORE, SFaceEngine
from eventface.faces.sface_onnx import SFaceOnnx
from eventface.runtime import PREVIEW_PX, THUMBNAIL_PX
from events import SIZE_BUCKETS, dev_event

T = TypeVar("T")
MAX_PIXELS = 10**9


class Stages:
    def __init__(self) -> None:
        self.cpu_s: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.extra_cpu_s: dict[str, float] = defaultdict(float)  # not part of the pipeline
        self.max_abs_diff = 0.0
        self.yunet_rows = [0, 0]  # onnxruntime's, OpenCV's
        self.yunet_count_mismatches = 0
        self.yunet_max_px_diff = 0.0
        self.yunet_max_score_diff = 0.0

    def extra(self, stage: str, work: Callable[[], T]) -> T:
        started = time.process_time()
        result = work()
        self.extra_cpu_s[stage] += time.process_time() - started
        return result

    def run(self, stage: str, work: Callable[[], T]) -> T:
        started = time.process_time()
        result = work()
        self.cpu_s[stage] += time.process_time() - started
        self.calls[stage] += 1
        return result


def opencv_yunet_engine() -> FusionFaceEngine:
    """The fusion engine as it runs without onnxruntime: YuNet and SFace on OpenCV's DNN module."""
    available = onnx_sessions.available
    onnx_sessions.available = lambda: False  # type: ignore[assignment]
    try:
        engine = FusionFaceEngine()
        engine._sface._load()
    finally:
        onnx_sessions.available = available  # type: ignore[assignment]
    assert not isinstance(engine._sface._load()[0], yunet_onnx.YuNetOnnx)
    return engine


def profile_photo(
    engine: FusionFaceEngine,
    data: bytes,
    st: Stages,
    dlib_own: Any = None,
    opencv_yunet: FusionFaceEngine | None = None,
) -> int:
    """The steps of FusionFaceEngine.find_faces and analyze(), each timed on its own; with
    `dlib_own` (dlib's face_recognition_model_v1) also dlib's own ResNet on the same faces, and
    the largest difference between its descriptors and the converted network's; with
    `opencv_yunet` also YuNet on OpenCV, and the largest difference between the two's rows."""
    sface, dlib_part = engine._sface, engine._dlib
    image = st.run("header", lambda: PhotoImage(data, MAX_PIXELS))
    decoded = st.run("decode", lambda: image.decode(sface.detect_max_side_px))
    rows = st.run("yunet", lambda: sface._yunet_rows(decoded.rgb))
    if opencv_yunet is not None:
        theirs = st.extra("yunet_opencv", lambda: opencv_yunet._sface._yunet_rows(decoded.rgb))
        st.yunet_rows[0] += len(rows)
        st.yunet_rows[1] += len(theirs)
        if len(rows) == len(theirs) and len(rows):
            st.yunet_max_px_diff = max(
                st.yunet_max_px_diff, float(np.abs(rows[:, :14] - theirs[:, :14]).max())
            )
            st.yunet_max_score_diff = max(
                st.yunet_max_score_diff, float(np.abs(rows[:, 14] - theirs[:, 14]).max())
            )
        elif len(rows) != len(theirs):
            st.yunet_count_mismatches += 1
    if len(rows):
        nms = cv2.dnn.NMSBoxes(rows[:, :4].tolist(), rows[:, 14].tolist(), 0.0, 0.3)
        rows = rows[np.asarray(nms, np.int64).reshape(-1)]
    _, recognizer = sface._load()
    predictor, resnet = dlib_part.load()
    verify = sface.verifier
    assert verify is not None
    chips, shapes = [], []
    for row in rows:
        box = (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
        if row[14] < CONFIDENT_SCORE and not st.run("hog_verifier", lambda b=box: verify(decoded.rgb, b)):
            continue
        chip = st.run("sface_align", lambda r=row: sface.chip(decoded.rgb, r))
        if isinstance(recognizer, SFaceOnnx):
            st.run("sface_feature", lambda c=chip: recognizer.feature(c))
        else:
            st.run("sface_feature", lambda c=chip: recognizer.feature(np.ascontiguousarray(c[:, :, ::-1])))
        st.run("sharpness", lambda c=chip: sharpness(c))
        rect = dlib_rect_for_yunet(*box)
        shape = st.run("dlib_5point", lambda r=rect: predictor(decoded.rgb, r))
        chips.append(st.run("dlib_chip", lambda s=shape: dlib.get_face_chip(decoded.rgb, s, 150, 0.25)))
        shapes.append(shape)
    ours = st.run("dlib_resnet_batch", lambda: resnet.descriptors(chips))
    if dlib_own is not None:
        theirs = [
            st.extra(
                "dlib_resnet_dlib_own", lambda s=s: dlib_own.compute_face_descriptor(decoded.rgb, s, 0, 0.25)
            )
            for s in shapes
        ]
        if theirs:
            diff = float(np.abs(ours - np.asarray(theirs, np.float32)).max())
            st.max_abs_diff = max(st.max_abs_diff, diff)
    st.run("renditions", lambda: image.jpeg_renditions((PREVIEW_PX, THUMBNAIL_PX)))
    return len(chips)


def detection_recall(sizes: list[str], photos: int, face_sets: list[str]) -> dict[str, object]:
    """YuNet (bands, coarse pass, HOG verifier) on copies of the 2000 px decode at each size
    ("1600", or "1600:0.5" for a score threshold of 0.5), interleaved photo by photo: CPU per
    photo, detections, and the share of pasted faces found, by face size."""
    engines = {
        size: SFaceEngine(
            yunet_side_px=int(size.split(":")[0]),
            min_score=float(size.split(":")[1]) if ":" in size else 0.6,
            verifier=HogVerifier(),
        )
        for size in sizes
    }
    found = dict.fromkeys(sizes, 0)
    cpu = dict.fromkeys(sizes, 0.0)
    hits = {size: [[0, 0] for _ in SIZE_BUCKETS] for size in sizes}
    count = 0
    for face_set in face_sets:
        event = dev_event(face_set)
        for name, truth in sorted(event.truth["photos"].items())[:photos]:
            image = PhotoImage((event.path / name).read_bytes(), MAX_PIXELS)
            decoded = image.decode(2000)
            count += 1
            for size, engine in engines.items():
                started = time.process_time()
                boxes = [f.box for f in engine.detect(decoded)]
                cpu[size] += time.process_time() - started
                found[size] += len(boxes)
                for face in truth["faces"]:
                    left, top, right, bottom = face["box"]
                    hit = any(
                        left <= (b.left + b.right) / 2 <= right and top <= (b.top + b.bottom) / 2 <= bottom
                        for b in boxes
                    )
                    for k, (lo, hi) in enumerate(SIZE_BUCKETS):
                        if lo <= face["face_px"] < hi:
                            hits[size][k][0] += hit
                            hits[size][k][1] += 1
    return {
        "photos": count,
        "face_sets": face_sets,
        "by_yunet_side_px": {
            size: {
                "cpu_ms_per_photo": round(1000 * cpu[size] / count, 1),
                "detections": found[size],
                "recall_by_face_px": {
                    f"{lo}-{hi - 1}": f"{a}/{b}"
                    for (lo, hi), (a, b) in zip(SIZE_BUCKETS, hits[size], strict=True)
                },
            }
            for size in sizes
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--face-set", default="faces", choices=["faces", "faces_asia"])
    parser.add_argument("--compare-dlib", action="store_true", help="also run dlib's own ResNet")
    parser.add_argument("--yunet-side", type=int, default=None, help="YuNet's input size (engine default)")
    parser.add_argument("--compare-yunet", action="store_true", help="also run YuNet on OpenCV (A/B)")
    parser.add_argument("--detect-sizes", nargs="*", help="YuNet input sizes to compare (1600, 1600:0.5)")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    onnx_sessions.set_intra_op_threads(args.threads)
    if args.detect_sizes:
        report = detection_recall(args.detect_sizes, args.photos, ["faces", "faces_asia"])
        print(json.dumps(report, indent=1))
        return 0
    engine = FusionFaceEngine(yunet_side_px=args.yunet_side)
    paths = sorted(dev_event(args.face_set).photos_dir.iterdir())[: args.photos]
    photos = [p.read_bytes() for p in paths]
    analyze(engine, photos[0], MAX_PIXELS)  # loads the models
    assert engine._sface.verifier is not None
    engine._sface.verifier(np.zeros((200, 200, 3), np.uint8), (50.0, 50.0, 100.0, 100.0))  # loads HOG
    st = Stages()
    dlib_own = None
    if args.compare_dlib:
        dlib_own = dlib.face_recognition_model_v1(str(dlib_model(DLIB_RESNET_FILE)))
    opencv_yunet = None
    if args.compare_yunet:
        opencv_yunet = opencv_yunet_engine()
        analyze(opencv_yunet, photos[0], MAX_PIXELS)
    faces = sum(profile_photo(engine, data, st, dlib_own, opencv_yunet) for data in photos)
    whole = Stages()
    renditions = (PREVIEW_PX, THUMBNAIL_PX)
    for data in photos:
        whole.run("analyze", lambda d=data: analyze(engine, d, MAX_PIXELS, renditions))
        if opencv_yunet is not None:
            whole.run("analyze_opencv_yunet", lambda d=data: analyze(opencv_yunet, d, MAX_PIXELS, renditions))
    total = sum(st.cpu_s.values())
    print(
        json.dumps(
            {
                "photos": len(photos),
                "faces": faces,
                "opencv_threads": args.threads,
                "stages_cpu_ms_per_photo": {
                    k: round(1000 * v / len(photos), 1)
                    for k, v in sorted(st.cpu_s.items(), key=lambda kv: -kv[1])
                },
                "stage_calls": dict(st.calls),
                "not_in_pipeline_cpu_ms_per_photo": {
                    k: round(1000 * v / len(photos), 1) for k, v in st.extra_cpu_s.items()
                },
                "dlib_own_vs_converted_max_abs_diff": st.max_abs_diff if dlib_own else None,
                "stages_total_cpu_ms_per_photo": round(1000 * total / len(photos), 1),
                "analyze_cpu_ms_per_photo": round(1000 * whole.cpu_s["analyze"] / len(photos), 1),
                "yunet_onnxruntime_vs_opencv": {
                    "analyze_cpu_ms_per_photo_opencv_yunet": round(
                        1000 * whole.cpu_s["analyze_opencv_yunet"] / len(photos), 1
                    ),
                    "rows": st.yunet_rows,
                    "photos_with_other_counts": st.yunet_count_mismatches,
                    "max_px_diff": st.yunet_max_px_diff,
                    "max_score_diff": st.yunet_max_score_diff,
                }
                if opencv_yunet is not None
                else None,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
