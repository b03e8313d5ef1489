"""The persisted auto-sync schedule and its lease, through the real services and a migrated SQLite file."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eventface.errors import InvalidInputError, NotFoundError
from eventface.runtime import Runtime, build_runtime
from eventface.services import sync
from eventface.settings import Settings
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine
from tests.integration.fake_indexing import create_event, index_event

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DEFAULT_MINUTES = 2.0
WORKERS = 8


@pytest.fixture
def folder(tmp_path: Path, write_photo: WritePhoto) -> Path:
    write_photo(tmp_path / "photos" / "red.jpg", [("red", (40, 40), 60)])
    return tmp_path / "photos"


def enable(rt: Runtime, ref: str, minutes: float | None, now: datetime = NOW) -> float:
    with rt.transactions() as uow:
        return sync.enable_auto_sync(uow, ref, minutes, DEFAULT_MINUTES, now)


def status(rt: Runtime, ref: str) -> sync.AutoSyncStatus:
    with rt.transactions() as uow:
        return sync.auto_sync_status(uow, ref)


def claim(rt: Runtime, event_id: int, now: datetime) -> bool:
    with rt.transactions() as uow:
        return sync.claim_sync(uow, event_id, now)


def finish(rt: Runtime, event_id: int, now: datetime, error: str | None = None) -> None:
    with rt.transactions() as uow:
        sync.finish_sync(uow, event_id, now, error)


def due(rt: Runtime, now: datetime) -> list[int]:
    with rt.transactions() as uow:
        return sync.due_events(uow, now)


def test_a_new_event_has_auto_sync_off(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)

    assert status(runtime, str(event.id)) == sync.AutoSyncStatus(
        enabled=False,
        running=False,
        interval_minutes=None,
        last_sync_at=None,
        next_sync_at=None,
        last_error=None,
        photos_total=0,
        faces_total=0,
        source="local_folder",
        reconnect_needed=False,
        push_notifications=False,
    )


def test_enable_then_disable_round_trips_through_the_status(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, ColourSquareEngine())

    assert enable(runtime, event.slug, 5) == 5
    enabled = status(runtime, str(event.id))
    assert (enabled.enabled, enabled.running, enabled.interval_minutes) == (True, False, 5)
    assert enabled.next_sync_at == NOW
    assert (enabled.photos_total, enabled.faces_total) == (1, 1)

    with runtime.transactions() as uow:
        sync.disable_auto_sync(uow, str(event.id))
    disabled = status(runtime, str(event.id))
    assert (disabled.enabled, disabled.next_sync_at, disabled.interval_minutes) == (False, None, 5)


@pytest.mark.parametrize("minutes", [0.5, 0.75, 1, 60])
def test_intervals_from_half_a_minute_to_an_hour_are_accepted(
    runtime: Runtime, folder: Path, minutes: float
) -> None:
    event = create_event(runtime, folder)

    assert enable(runtime, str(event.id), minutes) == minutes
    assert status(runtime, str(event.id)).interval_minutes == pytest.approx(minutes)


@pytest.mark.parametrize("minutes", [0.4, 0, -1, 61, float("nan"), float("inf")])
def test_intervals_outside_half_a_minute_to_an_hour_are_refused_with_the_limits(
    runtime: Runtime, folder: Path, minutes: float
) -> None:
    event = create_event(runtime, folder)

    with pytest.raises(InvalidInputError, match=r"between 0\.5 \(30 seconds\) and 60 minutes"):
        enable(runtime, str(event.id), minutes)
    assert status(runtime, str(event.id)).enabled is False


def test_no_interval_means_the_default(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)

    assert enable(runtime, str(event.id), None) == DEFAULT_MINUTES
    assert status(runtime, str(event.id)).interval_minutes == DEFAULT_MINUTES


def test_unknown_event_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        enable(runtime, "404", 2)
    with pytest.raises(NotFoundError):
        status(runtime, "404")


def test_the_schedule_survives_a_restart_on_the_same_data_dir(
    settings: Settings, runtime: Runtime, folder: Path
) -> None:
    event = create_event(runtime, folder)
    enable(runtime, str(event.id), 3)
    assert claim(runtime, event.id, NOW)
    finish(runtime, event.id, NOW, "boom")
    runtime.close()

    restarted = build_runtime(settings)
    try:
        after = status(restarted, str(event.id))
        assert (after.enabled, after.interval_minutes, after.last_error) == (True, 3, "boom")
        assert after.next_sync_at == NOW + timedelta(minutes=3)
        assert due(restarted, NOW + timedelta(minutes=3)) == [event.id]
    finally:
        restarted.close()


def test_due_events_are_the_enabled_ones_whose_time_has_come(runtime: Runtime, folder: Path) -> None:
    soon, later, off, never = (create_event(runtime, folder) for _ in range(4))
    enable(runtime, str(soon.id), 1, now=NOW)
    enable(runtime, str(later.id), 1, now=NOW + timedelta(minutes=5))
    enable(runtime, str(off.id), 1, now=NOW)
    with runtime.transactions() as uow:
        sync.disable_auto_sync(uow, str(off.id))

    assert due(runtime, NOW - timedelta(seconds=1)) == []
    assert due(runtime, NOW) == [soon.id]
    assert due(runtime, NOW + timedelta(minutes=5)) == [soon.id, later.id]
    assert never.id not in due(runtime, NOW + timedelta(days=1))


def test_a_sync_lease_is_exclusive_until_finished(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    enable(runtime, str(event.id), 1)

    assert claim(runtime, event.id, NOW)
    assert status(runtime, str(event.id)).running
    assert not claim(runtime, event.id, NOW)
    assert not claim(runtime, event.id, NOW + timedelta(minutes=5))
    assert due(runtime, NOW + timedelta(minutes=5)) == []

    finish(runtime, event.id, NOW + timedelta(seconds=10))
    after = status(runtime, str(event.id))
    assert (after.running, after.last_sync_at, after.last_error) == (False, NOW + timedelta(seconds=10), None)
    assert after.next_sync_at == NOW + timedelta(seconds=60)  # one interval after it started
    assert not claim(runtime, event.id, NOW + timedelta(seconds=59))  # not due yet
    assert claim(runtime, event.id, NOW + timedelta(seconds=60))


def test_syncs_keep_to_the_interval_however_late_each_one_starts(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    enable(runtime, str(event.id), 1)
    for minute in range(3):  # each starts 2 s late (the queue) and takes 5 s: no drift
        due_at = NOW + timedelta(minutes=minute)
        assert status(runtime, str(event.id)).next_sync_at == due_at
        assert claim(runtime, event.id, due_at + timedelta(seconds=2))
        finish(runtime, event.id, due_at + timedelta(seconds=7))


def test_a_slot_missed_by_a_long_sync_or_a_stopped_server_is_skipped(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    enable(runtime, str(event.id), 1)
    assert claim(runtime, event.id, NOW)

    finish(runtime, event.id, NOW + timedelta(seconds=90))

    assert status(runtime, str(event.id)).next_sync_at == NOW + timedelta(seconds=120)


def test_a_sync_asked_for_while_one_runs_stays_due_when_it_finishes(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    enable(runtime, str(event.id), 1)
    assert claim(runtime, event.id, NOW)
    with runtime.transactions() as uow:  # a photo landed in the watched folder during the sync
        sync.sync_soon(uow, [event.id], NOW + timedelta(seconds=3))

    finish(runtime, event.id, NOW + timedelta(seconds=5))

    assert status(runtime, str(event.id)).next_sync_at == NOW + timedelta(seconds=3)
    assert due(runtime, NOW + timedelta(seconds=5)) == [event.id]


def test_a_lease_left_by_a_dead_worker_expires(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    enable(runtime, str(event.id), 1)
    assert claim(runtime, event.id, NOW)

    stale = NOW + sync.SYNC_LEASE + timedelta(seconds=1)
    assert due(runtime, stale) == [event.id]
    assert claim(runtime, event.id, stale)


def test_a_disabled_event_cannot_be_claimed(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    enable(runtime, str(event.id), 1)
    with runtime.transactions() as uow:
        sync.disable_auto_sync(uow, str(event.id))

    assert not claim(runtime, event.id, NOW)
    with runtime.transactions() as uow:
        assert sync.skip_reason(uow, event.id, NOW) == "auto-sync is disabled"


def test_a_failed_sync_keeps_the_last_successful_time(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    enable(runtime, str(event.id), 1)
    assert claim(runtime, event.id, NOW)
    finish(runtime, event.id, NOW)
    later = NOW + timedelta(minutes=1)
    assert claim(runtime, event.id, later)

    finish(runtime, event.id, later, "photo folder not found")

    after = status(runtime, str(event.id))
    assert (after.last_sync_at, after.last_error) == (NOW, "photo folder not found")
    assert after.next_sync_at == later + timedelta(minutes=1)


def test_concurrent_claims_on_one_event_have_exactly_one_winner(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    enable(runtime, str(event.id), 1)
    start = threading.Barrier(WORKERS)

    def contend(_: int) -> bool:
        start.wait()
        return claim(runtime, event.id, NOW)

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(contend, range(WORKERS)))

    assert sorted(outcomes) == [False] * (WORKERS - 1) + [True]


def test_the_watched_folders_are_those_of_local_events_with_auto_sync_on(
    runtime: Runtime, folder: Path, tmp_path: Path
) -> None:
    (tmp_path / "party").mkdir()
    on, off = create_event(runtime, folder), create_event(runtime, tmp_path / "party")
    deleted = create_event(runtime, tmp_path / "party")
    for event in (on, off, deleted):
        enable(runtime, str(event.id), 1)
    with runtime.transactions() as uow:
        sync.disable_auto_sync(uow, str(off.id))
        uow.events.delete(deleted.id)

        assert sync.watched_folders(uow) == {on.id: folder}
