"""Threads or processes for the search workers? Which stages of a search hold the GIL (issue 12).

    python benchmarks/search_workers.py [--engine fusion] [--calls 8]

1. Each stage of finding a face in a real selfie (../shared/data/faces/people/obama/1.jpg) runs
   while a pure-Python thread spins and records its longest stall. A stage that holds the GIL
   stalls the spinner for about its whole duration; one that releases it, for a few ms. This
   does not depend on how busy the machine is, unlike timing.
2. Throughput: `--calls` selfies on one engine, then on 2 threads with an engine each, then on
   2 processes with an engine each (searches per second; noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from eventface.faces.dlib_engine import dlib_rect_for_yunet
from eventface.faces.engine import FaceEngine
from eventface.faces.fusion_engine import FusionFaceEngine
from eventface.faces.images import SELFIE_FORMATS, PhotoImage
from eventface.runtime import build_face_engine
from eventface.settings import Settings

SELFIE = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces" / "people" / "obama" / "1.jpg"
MAX_PIXELS = 40_000_000
STALL_RUNS = 6


def image() -> PhotoImage:
    return PhotoImage(SELFIE.read_bytes(), MAX_PIXELS, formats=SELFIE_FORMATS)


def engine(name: str) -> FaceEngine:
    built = build_face_engine(Settings(), name)
    built.find_faces(image())  # loads the models
    return built


def fusion_stages(fusion: FusionFaceEngine) -> dict[str, Callable[[], object]]:
    sface, dlib = fusion._sface, fusion._dlib  # the stages of FusionFaceEngine.find_faces
    decoded = image().decode(sface.detect_max_side_px)
    face = sface.detect(decoded)[0]
    rect = dlib_rect_for_yunet(*(float(v) for v in face.row[:4]))
    return {
        "decode (Pillow, draft JPEG)": lambda: image().decode(sface.detect_max_side_px),
        "detect (YuNet, OpenCV DNN)": lambda: sface.detect(decoded),
        "embed (SFace, OpenCV DNN)": lambda: sface.embed(decoded.rgb, face),
        "embed (dlib ResNet)": lambda: dlib.embed(decoded.rgb, rect),
        "whole find_faces": lambda: fusion.find_faces(image()),
    }


def spin(stop: threading.Event, worst: list[float]) -> None:
    """Loops in Python until `stop`, keeping its longest gap between two turns in worst[0]."""
    last = time.perf_counter()
    while not stop.is_set():
        now = time.perf_counter()
        worst[0], last = max(worst[0], now - last), now


def stall_share(stage: Callable[[], object]) -> tuple[float, float]:
    """(median call seconds, median of the spinner's longest stall / the call's duration)."""
    durations, shares = [], []
    for _ in range(STALL_RUNS):
        stop, worst = threading.Event(), [0.0]
        spinner = threading.Thread(target=spin, args=(stop, worst))
        spinner.start()
        time.sleep(0.01)
        started = time.perf_counter()
        stage()
        took = time.perf_counter() - started
        stop.set()
        spinner.join()
        durations.append(took)
        shares.append(worst[0] / took)
    return statistics.median(durations), statistics.median(shares)


def run_calls(built: FaceEngine, calls: int) -> None:
    for _ in range(calls):
        built.find_faces(image())


def in_process(name: str, calls: int, ready: Any, go: Event, done: Any) -> None:
    built = engine(name)
    ready.put(True)
    go.wait()
    run_calls(built, calls)
    done.put(True)


def throughput(name: str, calls: int) -> dict[str, float]:
    engines = [engine(name), engine(name)]
    started = time.perf_counter()
    run_calls(engines[0], calls)
    one = calls / (time.perf_counter() - started)
    threads = [threading.Thread(target=run_calls, args=(e, calls)) for e in engines]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    two_threads = 2 * calls / (time.perf_counter() - started)
    spawn = multiprocessing.get_context("spawn")
    ready, done, go = spawn.Queue(), spawn.Queue(), spawn.Event()
    processes = [spawn.Process(target=in_process, args=(name, calls, ready, go, done)) for _ in range(2)]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get()
    started = time.perf_counter()
    go.set()
    for _ in processes:
        done.get()
    two_processes = 2 * calls / (time.perf_counter() - started)
    for process in processes:
        process.join()
    return {"1 engine": one, "2 threads": two_threads, "2 processes": two_processes}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", default="fusion")
    parser.add_argument("--calls", type=int, default=8)
    args = parser.parse_args()
    if not SELFIE.is_file():
        print(f"no selfie at {SELFIE}: nothing to measure", file=sys.stderr)
        return 2
    sys.setswitchinterval(0.001)  # the spinner gets the GIL back within 1 ms of its release
    fusion = engine("fusion")
    assert isinstance(fusion, FusionFaceEngine)
    print("| stage | one call | spinner's longest stall | stall / call |")
    print("|---|---|---|---|")
    for label, stage in fusion_stages(fusion).items():
        took, share = stall_share(stage)
        print(f"| {label} | {1000 * took:.0f} ms | {1000 * took * share:.0f} ms | {share:.2f} |")
    print()
    print(f"| {args.engine}, {args.calls} selfies per engine | searches/s |")
    print("|---|---|")
    for label, rate in throughput(args.engine, args.calls).items():
        print(f"| {label} | {rate:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
