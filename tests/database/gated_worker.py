"""A real worker process (jobs/worker.py on the queue the settings name) whose face engine is the
fake colour-square one behind file gates, so a test can stop it mid-photo and know it.

`python -m tests.database.gated_worker` with the EVENTFACE_* settings in the environment and
GATE_DIR set: before each photo the engine leaves `started-<pid>-<n>` there; with GATE_HOLD=1
it then writes `held` and waits forever (until the test SIGKILLs it); with GATE_WAIT=NAME it
waits for that file to appear first. Only the engine is fake: the queue, the database, the
tasks and the worker loop are the product's.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from pathlib import Path

from eventface.faces.images import PhotoImage
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import register_tasks
from eventface.jobs.worker import start_worker, stop_worker
from eventface.runtime import Runtime, build_runtime
from eventface.settings import Settings
from tests.fakes.face_engine import ColourSquareEngine

GATE_POLL_S = 0.02


class GatedEngine(ColourSquareEngine):
    def __init__(self, gates: Path, *, hold: bool, wait_for: str | None) -> None:
        super().__init__()
        self.gates = gates
        self.hold = hold
        self.wait_for = wait_for
        self.count = itertools.count(1)

    def find_faces(self, image: PhotoImage) -> list:  # type: ignore[type-arg]
        (self.gates / f"started-{os.getpid()}-{next(self.count)}").touch()
        if self.wait_for:
            while not (self.gates / self.wait_for).exists():
                time.sleep(GATE_POLL_S)
        if self.hold:
            (self.gates / "held").touch()
            threading.Event().wait()  # mid-photo until killed
        return super().find_faces(image)


def build(settings: Settings) -> Runtime:
    rt = build_runtime(settings)
    engine = GatedEngine(
        Path(os.environ["GATE_DIR"]),
        hold=os.environ.get("GATE_HOLD") == "1",
        wait_for=os.environ.get("GATE_WAIT") or None,
    )
    rt._engines[engine.name] = engine
    return rt


def main() -> None:
    settings = Settings()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    huey = make_huey(settings)
    tasks = register_tasks(huey, settings, build=build)
    consumer = start_worker(huey, tasks, threads=1)
    (Path(os.environ["GATE_DIR"]) / f"ready-{os.getpid()}").touch()
    stop.wait()
    stop_worker(consumer, tasks)


if __name__ == "__main__":
    main()
