"""kill -9 during `eventface index`, then resume: every photo indexed once, as if run once cleanly."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CopyFaces
from tests.harness.console import create_event, eventface_env, run_eventface, start_eventface

PHOTOS = [
    "groups/dlib_2008_001009.jpg",
    "groups/dlib_2008_002079.jpg",
    "groups/dlib_2009_004587.jpg",
    "groups/fr_kit_with_rose.jpg",
    "groups/fr_obama_and_biden.jpg",
    "groups/fr_two_people.jpg",
    "groups/insightface_t1.jpg",
    "people/alex_lacamoire/2.jpg",
    "people/biden/2.jpg",
    "people/kit_harington/1.jpg",
    "people/kit_harington/3.jpg",
    "people/obama/1.jpg",
    "people/obama/2.jpg",
    "people/obama/4.jpg",
    "people/rose_leslie/1.jpg",
    "people/rose_leslie/2.jpg",
]
INDEXED_BEFORE_KILL = 3
DEADLINE_S = 120


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(sql, params).fetchall()


def wait_until_indexed(db: Path, process: subprocess.Popen[str], count: int) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(
                f"eventface index ended (exit {process.returncode}) before it could be killed:\n{output}"
            )
        if db.exists():
            try:
                (indexed,) = query(db, "SELECT count(*) FROM photos WHERE status = 'indexed'")[0]
            except sqlite3.OperationalError:  # the schema or the first listing is not committed yet
                indexed = 0
            if indexed >= count:
                return
        time.sleep(0.01)
    process.kill()
    pytest.fail(f"fewer than {count} photos indexed after {DEADLINE_S} s")


def faces_per_photo(db: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    boxes: dict[str, list[tuple[int, int, int, int]]] = {
        name: [] for (name,) in query(db, "SELECT name FROM photos")
    }
    for name, *box in query(
        db,
        'SELECT p.name, f."left", f.top, f."right", f.bottom FROM faces f JOIN photos p ON p.id = f.photo_id',
    ):
        boxes[name].append(tuple(box))  # type: ignore[arg-type]
    return {name: sorted(b) for name, b in boxes.items()}


@pytest.mark.slow
def test_index_killed_midway_resumes_to_the_same_result_as_a_clean_run(
    tmp_path: Path, copy_faces: CopyFaces
) -> None:
    folder = copy_faces(tmp_path / "photos", PHOTOS)
    env = eventface_env(EVENTFACE_WORKERS="1", EVENTFACE_FACE_ENGINE="sface")
    data_dir = tmp_path / "data"
    db = data_dir / "eventface.db"
    event = create_event(folder, data_dir, env, tmp_path)

    process = start_eventface("index", event, data_dir=data_dir, env=env, cwd=tmp_path)
    try:
        wait_until_indexed(db, process, INDEXED_BEFORE_KILL)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    statuses = dict(query(db, "SELECT status, count(*) FROM photos GROUP BY status"))
    assert statuses.get("pending", 0) > 0, f"the run finished before it was killed: {statuses}"
    assert statuses.get("indexed", 0) >= INDEXED_BEFORE_KILL
    indexed_before = dict(query(db, "SELECT id, indexed_at FROM photos WHERE status = 'indexed'"))
    ((killed_task, killed_status),) = query(db, "SELECT id, status FROM index_tasks")
    assert killed_status == "running"

    run_eventface("index", event, data_dir=data_dir, env=env, cwd=tmp_path)

    assert query(db, "SELECT status, count(*) FROM photos GROUP BY status") == [("indexed", len(PHOTOS))]
    # photos indexed before the kill were not indexed again
    indexed_after = dict(query(db, "SELECT id, indexed_at FROM photos"))
    assert {pid: indexed_after[pid] for pid in indexed_before} == indexed_before
    (resumed,) = query(db, "SELECT total, done, failed, status FROM index_tasks WHERE id != ?", killed_task)
    assert resumed == (len(PHOTOS) - len(indexed_before), len(PHOTOS) - len(indexed_before), 0, "done")
    assert query(db, "SELECT status FROM index_tasks WHERE id = ?", killed_task) == [("interrupted",)]
    # face rows agree with the photos' counts, and no photo holds a face twice
    assert query(db, "SELECT sum(face_count) FROM photos") == query(db, "SELECT count(*) FROM faces")
    assert (
        query(
            db,
            "SELECT p.id FROM photos p LEFT JOIN faces f ON f.photo_id = p.id"
            " GROUP BY p.id HAVING count(f.id) != p.face_count",
        )
        == []
    )
    assert (
        query(
            db,
            'SELECT photo_id FROM faces GROUP BY photo_id, "left", top, "right", bottom HAVING count(*) > 1',
        )
        == []
    )

    clean_data = tmp_path / "clean"
    clean_event = create_event(folder, clean_data, env, tmp_path)
    run_eventface("index", clean_event, data_dir=clean_data, env=env, cwd=tmp_path)
    resumed_faces = faces_per_photo(db)
    clean_faces = faces_per_photo(clean_data / "eventface.db")
    assert {n: len(b) for n, b in resumed_faces.items()} == {n: len(b) for n, b in clean_faces.items()}
    assert resumed_faces == clean_faces
    assert sum(len(b) for b in clean_faces.values()) > len(PHOTOS)  # group photos were really searched
