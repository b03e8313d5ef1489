"""One Drive changes pass per Google account, whatever its number of events (issue 15).

The real jobs, services and google-api-python-client against the fake Drive (both accounts'
grants reach the one fake); Huey runs its tasks eagerly; faces from the fake colour-square engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from eventface.db.tables import EventRow
from eventface.domain.models import Event
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import Tasks, register_tasks
from eventface.runtime import Runtime
from eventface.services import accounts, events, google_accounts, sync
from eventface.settings import Settings
from tests.fakes.drive import FakeDrive
from tests.harness.drive import authorized_user_info
from tests.integration.fake_indexing import build_with_fake_engine
from tests.integration.test_drive_sync import live_photos, photo

ACCOUNTS = ("ploy.photos@gmail.com", "studio.bkk@gmail.com")
OWNER = "ploy@example.com"
EVENTS_PER_ACCOUNT = 3
CHANGES = "/drive/v3/changes"


@pytest.fixture
def settings(tmp_path: Path, drive: FakeDrive) -> Settings:
    return Settings(data_dir=tmp_path / "data", drive_api_url=drive.api_endpoint, workers=1)


@pytest.fixture
def tasks(settings: Settings) -> Iterator[Tasks]:
    huey = make_huey(settings)
    huey.immediate = True
    registered = register_tasks(huey, settings, build=build_with_fake_engine)
    yield registered
    registered.runtime.close()


@pytest.fixture
def rt(tasks: Tasks) -> Runtime:
    return tasks.runtime.get()


@pytest.fixture
def owner_id(rt: Runtime) -> int:
    with rt.transactions() as uow:
        return accounts.create_user(uow, OWNER, "a long enough password").id


def connect_accounts(rt: Runtime, owner_id: int, drive: FakeDrive) -> None:
    with rt.transactions() as uow:
        for email in ACCOUNTS:
            google_accounts.save_grant(uow, rt.google.box, owner_id, email, authorized_user_info(drive))


def auto_synced_events(rt: Runtime, owner_id: int, drive: FakeDrive) -> dict[str, list[Event]]:
    made: dict[str, list[Event]] = {}
    for email in ACCOUNTS:
        for n in range(EVENTS_PER_ACCOUNT):
            folder = drive.add_folder(f"{email} {n}")
            drive.add_photo(folder, "first.jpg", photo("red"))
            link = f"https://drive.google.com/drive/folders/{folder}"
            event = events.create_drive_event(
                rt.google, f"Event {n}", link, "fake", owner_id=owner_id, account_email=email
            )
            with rt.transactions() as uow:
                sync.enable_auto_sync(uow, str(event.id), 1.0, 2.0)
            made.setdefault(email, []).append(event)
    return made


def make_due(rt: Runtime, event_ids: list[int], at: datetime) -> None:
    """As if time had passed: the events fall due at `at` (the schedule itself is not touched)."""
    with rt.transactions() as uow:
        uow.session.execute(update(EventRow).where(EventRow.id.in_(event_ids)).values(next_sync_at=at))


def changes_calls(drive: FakeDrive) -> int:
    return sum(1 for r in drive.requests if r.path == CHANGES)


def test_an_accounts_events_share_one_changes_call_per_pass(
    rt: Runtime, tasks: Tasks, owner_id: int, drive: FakeDrive
) -> None:
    connect_accounts(rt, owner_id, drive)
    by_account = auto_synced_events(rt, owner_id, drive)
    every = [e.id for account in by_account.values() for e in account]
    assert sorted(tasks.enqueue_due_syncs().get()) == sorted(every)  # first pass: each one's snapshot

    for minute in range(1, 4):
        drive.clear_requests()
        newcomer = by_account[ACCOUNTS[0]][minute % EVENTS_PER_ACCOUNT]
        drive.add_photo(newcomer.source_uri, f"new-{minute}.jpg", photo("blue"))
        make_due(rt, every, datetime.now(UTC))

        tasks.enqueue_due_syncs().get()

        assert changes_calls(drive) == len(ACCOUNTS)  # not one per event
        assert live_photos(rt, newcomer)[f"new-{minute}.jpg"] == ("indexed", 1)
    with rt.transactions() as uow:
        assert all(uow.events.auto_sync(e).last_error is None for e in every)


def test_events_due_within_half_their_interval_join_the_pass_and_stay_together(
    rt: Runtime, tasks: Tasks, owner_id: int, drive: FakeDrive
) -> None:
    connect_accounts(rt, owner_id, drive)
    first, second, third = auto_synced_events(rt, owner_id, drive)[ACCOUNTS[0]]
    tasks.enqueue_due_syncs().get()
    now = datetime.now(UTC)
    make_due(rt, [first.id], now)
    make_due(rt, [second.id], now + timedelta(seconds=20))  # within half of its 1-minute interval
    make_due(rt, [third.id], now + timedelta(seconds=40))  # not: it waits for its own time
    drive.clear_requests()

    assert tasks.enqueue_due_syncs().get() == [first.id]

    assert changes_calls(drive) == 1
    with rt.transactions() as uow:
        states = {e.id: uow.events.auto_sync(e.id) for e in (first, second, third)}
    synced = {e for e, s in states.items() if s.last_sync_at is not None and s.last_sync_at > now}
    assert synced == {first.id, second.id}
    # the early one's next sync is on the due one's grid: the next pass takes both again
    first_next, second_next = states[first.id].next_sync_at, states[second.id].next_sync_at
    assert first_next is not None and second_next is not None
    assert abs((second_next - first_next).total_seconds()) < 5
