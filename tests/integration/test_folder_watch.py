"""The folder watcher on real folders and real inotify (watchfiles): what it reports, and when."""

from __future__ import annotations

import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eventface.services.folder_watch import FolderWatcher, WatchTimings
from tests.fakes.photos import jpeg_with_squares

# quick rounds, so that a test's quiet window spans many of them
TIMINGS = WatchTimings(refresh_s=0.5, wait_ms=150, debounce_ms=200, step_ms=25)
REPORT_DEADLINE_S = 10.0
QUIET_WINDOW_S = 1.5  # ten rounds of the watcher: it had every chance to report


class Reports:
    def __init__(self) -> None:
        self.queue: queue.Queue[set[int]] = queue.Queue()

    def __call__(self, event_ids: set[int]) -> None:
        self.queue.put(set(event_ids))

    def next(self, deadline_s: float = REPORT_DEADLINE_S) -> set[int]:
        try:
            return self.queue.get(timeout=deadline_s)
        except queue.Empty:
            pytest.fail(f"the watcher reported nothing within {deadline_s} s")

    def none_within(self, window_s: float = QUIET_WINDOW_S) -> bool:
        try:
            unexpected = self.queue.get(timeout=window_s)
        except queue.Empty:
            return True
        pytest.fail(f"the watcher reported {unexpected} but nothing should have changed")


@pytest.fixture
def photo() -> bytes:
    return jpeg_with_squares([("red", (40, 40), 60)])


@pytest.fixture
def folders(tmp_path: Path) -> dict[int, Path]:
    (tmp_path / "wedding").mkdir()
    return {1: tmp_path / "wedding"}


@pytest.fixture
def reports() -> Reports:
    return Reports()


@pytest.fixture
def watcher(folders: dict[int, Path], reports: Reports) -> Iterator[FolderWatcher]:
    running = FolderWatcher(lambda: dict(folders), reports, TIMINGS)
    running.start()
    assert reports.next() == {1}  # watching starts with a rescan: nobody watched until now
    yield running
    running.stop()


def test_a_finished_photo_is_reported(watcher: FolderWatcher, folders: dict[int, Path], photo: bytes) -> None:
    (folders[1] / "ceremony" / "day1").mkdir(parents=True)
    assert reports_of(watcher).next() == {1}  # a folder appeared: rescanned, it may hold photos already
    drain(reports_of(watcher))

    (folders[1] / "ceremony" / "day1" / "kiss.jpg").write_bytes(photo)

    assert reports_of(watcher).next() == {1}


def test_a_half_written_photo_is_reported_only_once_it_is_complete(
    watcher: FolderWatcher, folders: dict[int, Path], photo: bytes
) -> None:
    with (folders[1] / "arriving.jpg").open("wb") as file:
        file.write(photo[: len(photo) // 2])
        file.flush()
        assert reports_of(watcher).none_within()
        file.write(photo[len(photo) // 2 :])

    assert reports_of(watcher).next() == {1}


def test_a_photo_renamed_in_is_reported_and_its_hidden_temporary_file_is_not(
    watcher: FolderWatcher, folders: dict[int, Path], photo: bytes, tmp_path: Path
) -> None:
    temporary = folders[1] / ".syncthing.cake.jpg.tmp"
    temporary.write_bytes(photo)
    assert reports_of(watcher).none_within()

    temporary.rename(folders[1] / "cake.jpg")
    assert reports_of(watcher).next() == {1}

    (tmp_path / "camera.jpg").write_bytes(photo)  # written elsewhere, moved in whole
    (tmp_path / "camera.jpg").rename(folders[1] / "camera.jpg")
    assert reports_of(watcher).next() == {1}


def test_a_deleted_photo_or_folder_is_reported(
    watcher: FolderWatcher, folders: dict[int, Path], photo: bytes
) -> None:
    (folders[1] / "album").mkdir()
    (folders[1] / "album" / "dance.jpg").write_bytes(photo)
    (folders[1] / "toast.jpg").write_bytes(photo)
    drain(reports_of(watcher))

    (folders[1] / "toast.jpg").unlink()
    assert reports_of(watcher).next() == {1}

    shutil.rmtree(folders[1] / "album")
    assert reports_of(watcher).next() == {1}


def test_other_files_are_not_reported(watcher: FolderWatcher, folders: dict[int, Path]) -> None:
    (folders[1] / "notes.txt").write_text("shot list")
    (folders[1] / "clip.mov").write_bytes(b"\x00" * 100)

    assert reports_of(watcher).none_within()


def test_the_folders_follow_auto_sync_being_enabled_and_disabled(
    watcher: FolderWatcher, folders: dict[int, Path], photo: bytes, tmp_path: Path
) -> None:
    (tmp_path / "party").mkdir()
    folders[2] = tmp_path / "party"
    watcher.refresh()
    assert reports_of(watcher).next() == {2}  # newly watched: rescanned
    assert watcher.watched == {1: folders[1], 2: folders[2]}

    del folders[1]
    watcher.refresh()
    wait_until(lambda: watcher.watched == {2: tmp_path / "party"})
    (tmp_path / "wedding" / "late.jpg").write_bytes(photo)
    (tmp_path / "party" / "balloons.jpg").write_bytes(photo)

    assert reports_of(watcher).next() == {2}
    assert reports_of(watcher).none_within()


def test_a_folder_that_appears_later_is_watched_and_rescanned(
    folders: dict[int, Path], reports: Reports, tmp_path: Path, photo: bytes
) -> None:
    folders[2] = tmp_path / "not-yet"
    watcher = FolderWatcher(lambda: dict(folders), reports, TIMINGS)
    watcher.start()
    try:
        assert reports.next() == {1}
        (tmp_path / "not-yet").mkdir()
        assert reports.next() == {2}  # seen at the next refresh
        (tmp_path / "not-yet" / "a.jpg").write_bytes(photo)
        assert reports.next() == {2}
    finally:
        watcher.stop()


def test_after_a_restart_every_folder_is_rescanned_once(
    folders: dict[int, Path], reports: Reports, photo: bytes
) -> None:
    first = FolderWatcher(lambda: dict(folders), reports, TIMINGS)
    first.start()
    assert reports.next() == {1}
    first.stop()
    (folders[1] / "while-down.jpg").write_bytes(photo)  # nobody watches: only a rescan finds it

    second = FolderWatcher(lambda: dict(folders), reports, TIMINGS)
    second.start()
    try:
        assert reports.next() == {1}
    finally:
        second.stop()


def test_stopping_is_prompt_and_leaves_no_thread(folders: dict[int, Path], reports: Reports) -> None:
    watcher = FolderWatcher(lambda: dict(folders), reports, WatchTimings())  # production timings
    watcher.start()
    reports.next()

    watcher.stop(timeout_s=2.0)

    assert watcher._thread is None
    assert not any(t.name == "folder-watcher" and t.is_alive() for t in threading.enumerate())


def reports_of(watcher: FolderWatcher) -> Reports:
    handler = watcher.on_change
    assert isinstance(handler, Reports)
    return handler


def drain(reports: Reports) -> None:
    """Takes what was reported until the watcher has been quiet for a window."""
    while True:
        try:
            reports.queue.get(timeout=QUIET_WINDOW_S)
        except queue.Empty:
            return


def wait_until(condition: Callable[[], bool], deadline_s: float = REPORT_DEADLINE_S) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            pytest.fail("condition not met in time")
        time.sleep(0.05)


def test_a_report_that_fails_is_made_again_after_a_rescan(folders: dict[int, Path], photo: bytes) -> None:
    reports = Reports()
    failures = [RuntimeError("database is locked")]

    def flaky(event_ids: set[int]) -> None:
        if failures:
            raise failures.pop()
        reports(event_ids)

    watcher = FolderWatcher(lambda: dict(folders), flaky, TIMINGS)
    watcher.start()
    try:
        assert reports.next() == {1}  # the start-up rescan, told once the database answers
        (folders[1] / "a.jpg").write_bytes(photo)
        assert reports.next() == {1}
    finally:
        watcher.stop()
