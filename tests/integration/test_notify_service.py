"""Notifications' matching and digests (services/notifications.py) on the real database, with
photos indexed the way `eventface index` does it (ingest.run_indexing, no queue): the worker's
pass (`notify_subscribers`, which the worker also runs every minute) finds them all the same.
tests/database/test_pg_notify_service.py runs these on PostgreSQL too."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eventface.db.tables import MailSendRow
from eventface.domain.models import Event
from eventface.jobs.tasks import notify_keys, notify_links, notify_subscribers
from eventface.runtime import Runtime
from eventface.services import notifications
from eventface.settings import Settings
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine, embedding_of
from tests.integration.fake_indexing import build_with_fake_engine, create_event, index_event

GUEST = "guest@example.com"


@dataclass
class Setup:
    rt: Runtime
    engine: ColourSquareEngine
    event: Event
    folder: Path
    write_photo: WritePhoto

    def subscribe(self, colour: str, email: str = GUEST) -> notifications.Pending:
        asked = notifications.Request(
            self.event, email, "en", self.event.engine, [embedding_of(colour)], "http://photos.example.org"
        )
        with self.rt.transactions() as uow:
            pending = notifications.subscribe(
                uow, notify_keys(self.rt), asked, timedelta(days=30), datetime.now(UTC)
            )
        assert pending is not None
        return pending

    def confirm(self, pending: notifications.Pending) -> None:
        with self.rt.transactions() as uow:
            notifications.confirm(
                uow, notify_links(self.rt.settings), self.event, pending.confirm_token, datetime.now(UTC)
            )

    def add_photo(self, name: str, colour: str) -> None:
        self.write_photo(self.folder / name, [(colour, (40, 40), 60)])
        index_event(self.rt, self.event, self.engine)  # as `eventface index` runs it: no queue

    def run_pass(self, now: datetime | None = None) -> list[notifications.Digest]:
        sent: list[notifications.Digest] = []
        notify_subscribers(self.rt, sent.append, now)
        return sent


@pytest.fixture
def setup(tmp_path: Path, database_url: str | None, write_photo: WritePhoto) -> Iterator[Setup]:
    # a mail server is configured (nothing is sent to it: the pass hands digests to a list)
    settings = Settings(
        data_dir=tmp_path / "data",
        workers=1,
        database_url=database_url,
        smtp_url="smtp://127.0.0.1:25",
        notify_digest_minutes=0,
    )
    rt = build_with_fake_engine(settings)
    engine = rt._engines["fake"]
    assert isinstance(engine, ColourSquareEngine)
    folder = tmp_path / "photos"
    write_photo(folder / "red.jpg", [("red", (40, 40), 60)])
    event = create_event(rt, folder)
    index_event(rt, event, engine)
    yield Setup(rt, engine, event, folder, write_photo)
    rt.close()


def test_a_photo_indexed_by_the_cli_is_found_by_the_workers_pass(setup: Setup) -> None:
    setup.confirm(setup.subscribe("red"))
    setup.add_photo("red-2.jpg", "red")
    setup.add_photo("blue.jpg", "blue")

    (digest,) = setup.run_pass()

    assert (digest.subscription.email, digest.new_photos, digest.event.id) == (GUEST, 1, setup.event.id)
    assert setup.run_pass() == []  # told once


def test_an_unconfirmed_subscription_is_never_matched(setup: Setup) -> None:
    setup.subscribe("red")
    setup.add_photo("red-2.jpg", "red")

    assert setup.run_pass() == []


def test_a_photo_indexed_again_is_not_new_again(setup: Setup) -> None:
    setup.confirm(setup.subscribe("red"))
    setup.add_photo("red-2.jpg", "red")
    assert len(setup.run_pass()) == 1

    setup.write_photo(setup.folder / "red-2.jpg", [("red", (60, 60), 50)])  # edited: indexed again
    index_event(setup.rt, setup.event, setup.engine)

    assert setup.run_pass() == []


def test_another_workers_pass_takes_what_it_claimed(setup: Setup) -> None:
    setup.confirm(setup.subscribe("red"))
    setup.add_photo("red-2.jpg", "red")
    now = datetime.now(UTC)
    with setup.rt.transactions() as uow:
        ((subscription, revision),) = uow.subscriptions.to_check(now)

    assert len(setup.run_pass(now)) == 1  # the other worker
    with setup.rt.transactions() as uow:
        assert not uow.subscriptions.claim_check(subscription.id, subscription.checked_revision, revision)
        assert uow.subscriptions.claim_digest(subscription.id, now) == 0


def test_passes_running_at_once_send_each_digest_once(setup: Setup) -> None:
    for number in range(3):
        setup.confirm(setup.subscribe("red", email=f"guest{number}@example.com"))
    setup.add_photo("red-2.jpg", "red")
    sent: list[notifications.Digest] = []
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            for _ in range(3):
                notify_subscribers(setup.rt, sent.append)
        except BaseException as exc:  # collected: an assertion below names it
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failures == []
    assert sorted(d.subscription.email for d in sent) == [f"guest{n}@example.com" for n in range(3)]


def test_the_mail_ledger_is_kept_a_day(setup: Setup) -> None:
    setup.subscribe("red")
    with setup.rt.transactions() as uow:
        assert uow.session.scalar(select(func.count()).select_from(MailSendRow)) == 1

    setup.run_pass(datetime.now(UTC) + timedelta(hours=23))
    with setup.rt.transactions() as uow:
        assert uow.session.scalar(select(func.count()).select_from(MailSendRow)) == 1
    setup.run_pass(datetime.now(UTC) + timedelta(hours=25))
    with setup.rt.transactions() as uow:
        assert uow.session.scalar(select(func.count()).select_from(MailSendRow)) == 0
