"""Drive events end to end: the real services, jobs and google-api-python-client against the fake Drive.

The Huey tasks run eagerly (`huey.immediate`); faces come from the fake colour-square engine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from huey import Huey
from sqlalchemy import func, select

from eventface.db.tables import FaceRow, PhotoRow
from eventface.domain.models import AccountStatus, DetectedFace, Event, SyncTrigger
from eventface.errors import InvalidInputError, NotFoundError
from eventface.faces.images import PhotoImage
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import Tasks, register_tasks, sync_event
from eventface.runtime import Runtime
from eventface.services import accounts, events, google_accounts, sync
from eventface.settings import Settings
from tests.conftest import WritePhoto
from tests.fakes.drive import FakeDrive, ListPage
from tests.fakes.photos import jpeg_with_squares
from tests.harness.drive import authorized_user_info
from tests.integration.fake_indexing import build_with_fake_engine, create_event

OWNER = "ploy@example.com"
GOOGLE_EMAIL = "ploy.photos@gmail.com"


@pytest.fixture
def settings(tmp_path: Path, drive: FakeDrive) -> Settings:
    return Settings(data_dir=tmp_path / "data", drive_api_url=drive.api_endpoint, workers=1)


@pytest.fixture
def tasks(settings: Settings) -> Iterator[Tasks]:
    huey: Huey = make_huey(settings)
    huey.immediate = True
    registered = register_tasks(huey, settings, build=build_with_fake_engine)
    yield registered
    registered.runtime.close()


@pytest.fixture
def rt(tasks: Tasks) -> Runtime:
    return tasks.runtime.get()


def new_grant(drive: FakeDrive) -> dict[str, str]:
    """What a photographer's new consent yields: the code exchanged for a new refresh token."""
    answer = httpx.post(
        drive.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": drive.auth_code,
            "client_id": drive.client_id,
            "client_secret": drive.client_secret,
            "redirect_uri": "http://127.0.0.1/callback",
        },
    )
    answer.raise_for_status()
    return authorized_user_info(drive) | {"refresh_token": answer.json()["refresh_token"]}


@pytest.fixture
def owner_id(rt: Runtime, drive: FakeDrive) -> int:
    with rt.transactions() as uow:
        user = accounts.create_user(uow, OWNER, "a long enough password")
        google_accounts.save_grant(uow, rt.google.box, user.id, GOOGLE_EMAIL, authorized_user_info(drive))
    return user.id


@dataclass(frozen=True)
class Tree:
    root: str
    ceremony: str
    party: str


@pytest.fixture
def tree(drive: FakeDrive) -> Tree:
    root = drive.add_folder("Wedding")
    ceremony = drive.add_folder("Ceremony", parent=root)
    party = drive.add_folder("Party", parent=ceremony)
    drive.add_photo(root, "couple.jpg", photo("red", "green"))
    drive.add_photo(ceremony, "rings.jpg", photo("blue"))
    drive.add_photo(party, "dance.jpg", photo("red"))
    drive.add_file(root, "notes.txt", b"not a photo", "text/plain")
    return Tree(root, ceremony, party)


def photo(*colours: str) -> bytes:
    return jpeg_with_squares([(colour, (10 + 70 * i, 40), 50) for i, colour in enumerate(colours)])


def drive_event(rt: Runtime, owner_id: int, folder: str, name: str = "Wedding") -> Event:
    link = f"https://drive.google.com/drive/u/0/folders/{folder}?usp=sharing"
    return events.create_drive_event(rt.google, name, link, "fake", owner_id=owner_id)


def enable(rt: Runtime, event: Event, minutes: float = 2.0, now: datetime | None = None) -> None:
    with rt.transactions() as uow:
        sync.enable_auto_sync(uow, str(event.id), minutes, 2.0, now)


def live_photos(rt: Runtime, event: Event) -> dict[str, tuple[str, int]]:
    """name -> (status, faces) of the event's photos still at the source."""
    with rt.transactions() as uow:
        rows = uow.session.scalars(
            select(PhotoRow).where(PhotoRow.event_id == event.id, PhotoRow.status != "removed")
        )
        return {r.name: (r.status, r.face_count) for r in rows}


def counts(rt: Runtime, event: Event) -> tuple[int, int]:
    """(photo rows, face rows) of the event: a duplicate shows up as an extra row."""
    with rt.transactions() as uow:
        photos = uow.session.scalar(select(func.count()).where(PhotoRow.event_id == event.id))
        faces = uow.session.scalar(select(func.count()).where(FaceRow.event_id == event.id))
        return int(photos or 0), int(faces or 0)


def run_sync(rt: Runtime, event: Event) -> sync.AutoSyncStatus:
    outcome = sync_event(rt, event.id, SyncTrigger.MANUAL, when_due=False)
    assert outcome.status == "synced", str(outcome)
    with rt.transactions() as uow:
        return sync.auto_sync_status(uow, str(event.id))


def requests_to(drive: FakeDrive, path: str) -> int:
    return sum(1 for r in drive.requests if r.path == path)


WHOLE_TREE = {
    "couple.jpg": ("indexed", 2),
    "Ceremony/rings.jpg": ("indexed", 1),
    "Ceremony/Party/dance.jpg": ("indexed", 1),
}


def test_a_drive_event_indexes_its_nested_folder(rt: Runtime, owner_id: int, tree: Tree) -> None:
    event = drive_event(rt, owner_id, tree.root)

    status = run_sync(rt, event)

    assert live_photos(rt, event) == WHOLE_TREE
    assert (status.enabled, status.next_sync_at) == (False, None)  # a sync asked for schedules none
    with rt.transactions() as uow:
        assert uow.events.source_cursor(event.id) is not None
        (run,) = uow.sync_runs.recent(event.id)
    assert (run.added, run.removed, run.full_rescan, run.error) == (3, 0, True, None)


def test_a_wrong_folder_is_refused_before_anything_is_saved(
    rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree
) -> None:
    a_file = drive.add_photo(tree.root, "single.jpg", photo("red"))

    with pytest.raises(InvalidInputError, match="file, not a folder"):
        drive_event(rt, owner_id, a_file)
    with pytest.raises(InvalidInputError, match="does not exist or is not shared"):
        drive_event(rt, owner_id, "1" + "x" * 32)
    with pytest.raises(InvalidInputError, match="not a Google Drive link"):
        events.create_drive_event(
            rt.google, "W", "https://example.com/folders/abc", "fake", owner_id=owner_id
        )
    with rt.transactions() as uow:
        assert uow.events.summaries() == []


def test_a_photographer_without_a_google_account_is_told_to_connect_one(rt: Runtime, tree: Tree) -> None:
    with rt.transactions() as uow:
        user = accounts.create_user(uow, "new@example.com", "a long enough password")

    with pytest.raises(NotFoundError, match="connect one first"):
        drive_event(rt, user.id, tree.root)


def test_a_photo_uploaded_during_the_first_listing_is_indexed_by_the_next_sync(
    rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    uploaded: list[str] = []

    def upload_once(page: ListPage) -> None:
        if not uploaded:
            uploaded.append(drive.add_photo(tree.root, "late.jpg", photo("blue")))

    drive.on_list_page(upload_once)
    run_sync(rt, event)
    drive.on_list_page(None)
    first = live_photos(rt, event)

    run_sync(rt, event)

    assert uploaded and "late.jpg" not in first  # the listing had passed it, as in a real race
    assert live_photos(rt, event) == {**WHOLE_TREE, "late.jpg": ("indexed", 1)}


def test_the_next_sync_reads_only_the_changes(
    rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    run_sync(rt, event)
    drive.add_photo(tree.party, "cake.jpg", photo("green"))
    drive.clear_requests()

    run_sync(rt, event)

    assert live_photos(rt, event) == {**WHOLE_TREE, "Ceremony/Party/cake.jpg": ("indexed", 1)}
    assert requests_to(drive, "/drive/v3/files") == 0  # no listing: the changes feed said it all
    assert requests_to(drive, "/drive/v3/changes") == 1
    with rt.transactions() as uow:
        latest = uow.sync_runs.recent(event.id)[0]
    assert (latest.added, latest.full_rescan) == (1, False)


def test_trashed_deleted_and_moved_out_photos_leave_the_results(
    rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    extra = [drive.add_photo(tree.root, f"x{n}.jpg", photo("blue")) for n in range(3)]
    elsewhere = drive.add_folder("Elsewhere")
    run_sync(rt, event)
    assert counts(rt, event) == (6, 7)

    drive.trash(extra[0])
    drive.delete(extra[1])
    drive.move(extra[2], elsewhere)
    run_sync(rt, event)

    assert live_photos(rt, event) == WHOLE_TREE
    assert counts(rt, event)[1] == 4  # their faces (biometric data) are gone with them


def test_a_changed_photo_is_indexed_again_without_a_duplicate(
    rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    run_sync(rt, event)
    with rt.transactions() as uow:
        file_id = uow.session.scalar(
            select(PhotoRow.source_file_id).where(PhotoRow.name == "Ceremony/rings.jpg")
        )
    assert file_id is not None
    drive.update_content(file_id, photo("blue", "green", "red"))

    run_sync(rt, event)

    assert live_photos(rt, event)["Ceremony/rings.jpg"] == ("indexed", 3)
    assert counts(rt, event) == (3, 6)


@pytest.mark.parametrize(("status", "reason"), [(429, None), (500, None), (403, "userRateLimitExceeded")])
def test_rate_limits_and_server_errors_are_retried(
    rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree, status: int, reason: str | None
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    run_sync(rt, event)
    drive.add_photo(tree.root, "new.jpg", photo("green"))
    drive.fail_next(status, count=2, reason=reason)

    run_sync(rt, event)

    assert live_photos(rt, event)["new.jpg"] == ("indexed", 1)


def test_an_invalid_page_token_means_one_full_rescan_and_no_duplicates(
    rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    run_sync(rt, event)
    before = counts(rt, event)
    drive.expire_page_token()
    drive.add_photo(tree.root, "after.jpg", photo("blue"))

    with caplog.at_level(logging.WARNING):
        run_sync(rt, event)
        run_sync(rt, event)  # the fresh token works: no second rescan

    assert live_photos(rt, event) == {**WHOLE_TREE, "after.jpg": ("indexed", 1)}
    assert counts(rt, event) == (before[0] + 1, before[1] + 1)
    rescans = [r for r in caplog.records if "cursor no longer valid" in r.getMessage()]
    assert len(rescans) == 1
    with rt.transactions() as uow:
        runs = uow.sync_runs.recent(event.id)
    assert [r.full_rescan for r in runs] == [False, True, True]


def test_a_revoked_grant_marks_reconnect_needed_and_other_events_go_on(
    tasks: Tasks,
    rt: Runtime,
    owner_id: int,
    drive: FakeDrive,
    tree: Tree,
    write_photo: WritePhoto,
    tmp_path: Path,
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    local = create_event(rt, write_photo(tmp_path / "local" / "a.jpg", [("red", (10, 10), 50)]).parent)
    run_sync(rt, event)
    drive.revoke()
    assert event.google_account_id is not None
    rt.google.forget(event.google_account_id)  # as in a new process: no cached access token
    enable(rt, event)
    enable(rt, local)

    assert tasks.enqueue_due_syncs().get() == [event.id, local.id]

    with rt.transactions() as uow:
        failed = sync.auto_sync_status(uow, str(event.id))
        fine = sync.auto_sync_status(uow, str(local.id))
        (account,) = uow.google_accounts.of_owner(owner_id)
    assert failed.last_error is not None and failed.last_error.startswith("reconnect needed")
    assert failed.photos_total == 3  # nothing was removed on the strength of a refusal
    assert (fine.last_error, fine.photos_total) == (None, 1)
    assert account.status is AccountStatus.RECONNECT_NEEDED
    # the account's events wait for a reconnect instead of failing every interval
    enable(rt, event)
    assert tasks.enqueue_due_syncs().get() == []
    assert str(sync_event(rt, event.id)) == "skipped: its Google account must be reconnected"

    with rt.transactions() as uow:  # reconnecting (a new consent, a new grant) resumes them
        google_accounts.save_grant(uow, rt.google.box, owner_id, GOOGLE_EMAIL, new_grant(drive))
    drive.add_photo(tree.root, "new.jpg", photo("green"))
    assert tasks.enqueue_due_syncs().get() == [event.id]
    assert live_photos(rt, event)["new.jpg"] == ("indexed", 1)


def test_a_crash_after_the_changes_were_recorded_resumes_from_the_saved_token(
    settings: Settings,
    owner_id: int,
    rt: Runtime,
    drive: FakeDrive,
    tree: Tree,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    run_sync(rt, event)
    for n in range(3):
        drive.add_photo(tree.root, f"new{n}.jpg", photo("blue"))

    class Crash(BaseException):
        pass

    engine = rt.face_engine("fake")
    real_find_faces = engine.find_faces
    calls: list[object] = []

    def crash_on_second(image: PhotoImage) -> list[DetectedFace]:
        calls.append(image)
        if len(calls) > 1:
            raise Crash  # the process dies with one new photo indexed and two pending
        return real_find_faces(image)

    monkeypatch.setattr(engine, "find_faces", crash_on_second)
    with pytest.raises(Crash):
        sync_event(rt, event.id, SyncTrigger.MANUAL, when_due=False)
    monkeypatch.undo()
    rt.close()

    restarted = build_with_fake_engine(settings)  # the process came back
    try:
        with restarted.transactions() as uow:
            uow.events.release_sync_leases()
        drive.clear_requests()
        run_sync(restarted, event)
        assert requests_to(drive, "/drive/v3/files") == 0  # resumed from the saved token, no relisting
        assert live_photos(restarted, event) == {
            **WHOLE_TREE,
            **{f"new{n}.jpg": ("indexed", 1) for n in range(3)},
        }
        assert counts(restarted, event) == (6, 7)
    finally:
        restarted.close()


def test_a_crash_while_reading_changes_keeps_the_old_token(
    rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    run_sync(rt, event)
    with rt.transactions() as uow:
        cursor = uow.events.source_cursor(event.id)
    drive.add_photo(tree.root, "new.jpg", photo("blue"))
    drive.fail_next(503, count=10)  # more than the retries: Drive is down for this sync

    outcome = sync_event(rt, event.id, SyncTrigger.MANUAL, when_due=False)

    assert outcome.status == "failed"
    with rt.transactions() as uow:
        assert uow.events.source_cursor(event.id) == cursor
    run_sync(rt, event)
    assert live_photos(rt, event)["new.jpg"] == ("indexed", 1)
    assert counts(rt, event) == (4, 5)


def test_a_trashed_event_folder_fails_the_sync_and_removes_nothing(
    rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    run_sync(rt, event)
    drive.trash(tree.root)

    outcome = sync_event(rt, event.id, SyncTrigger.MANUAL, when_due=False)

    assert outcome.status == "failed" and "in the trash" in str(outcome)
    assert live_photos(rt, event) == WHOLE_TREE


def test_two_events_sync_on_their_own_intervals(
    tasks: Tasks, rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree
) -> None:
    other = drive.add_folder("Birthday")
    drive.add_photo(other, "cake.jpg", photo("green"))
    wedding, birthday = drive_event(rt, owner_id, tree.root), drive_event(rt, owner_id, other, "Birthday")
    start = datetime.now(UTC)
    enable(rt, wedding, 1, start)
    enable(rt, birthday, 5, start)

    assert tasks.enqueue_due_syncs().get() == [wedding.id, birthday.id]

    with rt.transactions() as uow:
        first, second = (
            sync.auto_sync_status(uow, str(wedding.id)),
            sync.auto_sync_status(uow, str(birthday.id)),
        )
        assert first.next_sync_at is not None and second.next_sync_at is not None
        assert timedelta(seconds=55) < first.next_sync_at - start < timedelta(seconds=65 + 30)
        assert timedelta(minutes=4.9) < second.next_sync_at - start < timedelta(minutes=5.5)
        in_two_minutes = start + timedelta(minutes=2)
        assert sync.due_events(uow, in_two_minutes) == [wedding.id]
        assert sync.due_events(uow, start + timedelta(minutes=6)) == [wedding.id, birthday.id]


def test_the_seed_checklist_enable_upload_sync_disable_restart(
    settings: Settings, tasks: Tasks, rt: Runtime, owner_id: int, drive: FakeDrive, tree: Tree
) -> None:
    event = drive_event(rt, owner_id, tree.root)
    enable(rt, event, 1)
    assert tasks.enqueue_due_syncs().get() == [event.id]  # enable: the first sync is due at once
    drive.add_photo(tree.root, "upload.jpg", photo("blue"))

    with rt.transactions() as uow:  # an interval later it is due again and picks the upload up
        next_at = sync.auto_sync_status(uow, str(event.id)).next_sync_at
        assert next_at is not None and sync.due_events(uow, next_at) == [event.id]
        uow.events.sync_now([event.id], datetime.now(UTC))
    assert tasks.enqueue_due_syncs().get() == [event.id]
    assert live_photos(rt, event)["upload.jpg"] == ("indexed", 1)

    with rt.transactions() as uow:
        sync.disable_auto_sync(uow, str(event.id))
        assert sync.due_events(uow, datetime.now(UTC) + timedelta(hours=2)) == []
    assert str(sync_event(rt, event.id)) == "skipped: auto-sync is disabled"

    enable(rt, event, 1)
    rt.close()
    restarted = build_with_fake_engine(settings)  # the schedule and the cursor live in the database
    try:
        with restarted.transactions() as uow:
            assert sync.due_events(uow, datetime.now(UTC)) == [event.id]
            assert uow.events.source_cursor(event.id) is not None
    finally:
        restarted.close()
