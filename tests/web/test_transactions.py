"""One database transaction per request (issue 12), counted on the app's database engine: every
transaction begun there, by the request's unit of work or by anything else it calls, is counted.

A selfie search finds faces with no transaction open and no connection taken from the pool; a
ZIP is streamed after the request's transaction has committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from huey import signals
from huey.api import Task
from sqlalchemy import Engine, event

from eventface.domain.models import DetectedFace
from eventface.faces.images import PhotoImage
from eventface.faces.search_pool import ThreadEnginePool
from eventface.services import accounts
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine
from tests.web.conftest import MakeWeb, Web
from tests.web.test_guest_api import Guests, make_guests, search, selfie

ALICE = "alice@example.com"  # the wedding's photographer (make_guests)


class TransactionCounter:
    """The transactions begun on `engine` since `reset()`, and how many are open now."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.begun = 0
        self.open = 0
        self._lock = threading.Lock()
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _begin(self, _connection: Any) -> None:
        with self._lock:
            self.begun += 1
            self.open += 1

    def _end(self, _connection: Any) -> None:
        with self._lock:
            self.open = max(0, self.open - 1)

    def reset(self) -> None:
        with self._lock:
            self.begun = 0

    def during(self, request: Callable[[], Any]) -> int:
        """How many transactions `request` began; it must succeed."""
        self.reset()
        response = request()
        assert response.status_code < 400, response.text
        return self.begun

    def close(self) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "commit", self._end)
        event.remove(self.engine, "rollback", self._end)


class ProbingEngine(ColourSquareEngine):
    """The fake engine, noting what the database holds each time it looks for faces."""

    def __init__(self, name: str, counter: TransactionCounter) -> None:
        super().__init__(name)
        self.counter = counter
        self.seen: list[tuple[int, int]] = []  # (transactions open, connections checked out)

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        pool: Any = self.counter.engine.pool
        self.seen.append((self.counter.open, pool.checkedout()))
        return super().find_faces(image)


@pytest.fixture
def guests(make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto) -> Guests:
    return make_guests(make_web(), tmp_path, write_photo)


@pytest.fixture
def counter(guests: Guests) -> Iterator[TransactionCounter]:
    counted = TransactionCounter(guests.web.runtime.db)
    yield counted
    counted.close()


def probe_searches(web: Web, counter: TransactionCounter) -> ProbingEngine:
    """Puts the probing engine ("fake", as the tests' events use) on the app's search workers."""
    engine = ProbingEngine("fake", counter)
    rt = web.runtime
    rt.search_engines.close()
    rt.search_engines = ThreadEnginePool(lambda _name: engine, rt.search_engines.workers)
    rt.search_engines.start()
    return engine


def test_each_representative_request_opens_at_most_one_transaction(
    guests: Guests, counter: TransactionCounter
) -> None:
    web, wedding = guests.web, guests.wedding
    auth = {"Authorization": f"Bearer {_token(web)}"}
    task_id = web.client.get(f"/api/event/{wedding.id}/task", headers=auth).json()["task_id"]
    web.login(ALICE)
    photo_id = guests.ids["red.jpg"]
    client = web.client

    counts = {
        "dashboard page": counter.during(lambda: client.get("/events")),
        "event page": counter.during(lambda: client.get(f"/events/{wedding.id}")),
        "API event list": counter.during(lambda: client.get("/api/events", headers=auth)),
        "API event": counter.during(lambda: client.get(f"/api/event/{wedding.id}", headers=auth)),
        "task status": counter.during(lambda: client.get(f"/api/task/{task_id}", headers=auth)),
        "photographer's thumbnail": counter.during(
            lambda: client.get(f"/api/event/{wedding.id}/photos/{photo_id}/thumb", headers=auth)
        ),
        "guest page": counter.during(lambda: client.get(f"/e/{wedding.slug}")),
        "guest search": counter.during(lambda: search(web, wedding.slug, selfie("red"))),
    }
    given = guests.given("red.jpg")
    counts |= {
        "guest thumbnail": counter.during(lambda: client.get(given["thumbnail_url"])),
        "guest download": counter.during(lambda: client.get(given["download_url"])),
        "photo faces": counter.during(lambda: client.get(given["faces_url"])),
    }

    assert {route: n for route, n in counts.items() if n > 1} == {}, counts


def test_a_search_finds_faces_with_no_transaction_open_and_no_connection_held(
    guests: Guests, counter: TransactionCounter
) -> None:
    web, slug = guests.web, guests.wedding.slug
    engine = probe_searches(web, counter)
    web.context.event_hints.forget(slug)  # a search of an event this process has not served yet

    first = counter.during(lambda: search(web, slug, selfie("red"), selfie("green")))
    again = counter.during(lambda: search(web, slug, selfie("blue")))

    assert len(engine.seen) == 3 and set(engine.seen) == {(0, 0)}, engine.seen
    # the event is looked up once, in a short transaction committed before the engine runs
    assert (first, again) == (2, 1)


def test_a_search_of_an_event_deleted_after_its_page_was_served_is_a_404(
    guests: Guests, counter: TransactionCounter
) -> None:
    web, wedding = guests.web, guests.wedding
    assert web.client.get(f"/e/{wedding.slug}").status_code == 200  # the page: its engine is known
    auth = {"Authorization": f"Bearer {_token(web)}"}
    assert web.client.delete(f"/api/event/{wedding.id}", headers=auth).status_code == 200

    assert search(web, wedding.slug, selfie("red")).status_code == 404


def test_a_search_whose_event_changed_engine_meanwhile_asks_to_search_again(
    guests: Guests, counter: TransactionCounter
) -> None:
    web, wedding = guests.web, guests.wedding
    assert web.client.get(f"/e/{wedding.slug}").status_code == 200
    with web.transaction() as uow:
        uow.events.set_engine(wedding.id, "other")

    changed = search(web, wedding.slug, selfie("red"))

    assert changed.status_code == 503 and "retry-after" in changed.headers, changed.text
    with web.transaction() as uow:
        uow.events.set_engine(wedding.id, "fake")
    assert search(web, wedding.slug, selfie("red")).status_code == 200  # looked up afresh


def test_a_zip_streams_after_its_transaction_committed(guests: Guests, counter: TransactionCounter) -> None:
    web = guests.web
    url = search(web, guests.wedding.slug, selfie("red")).json()["download_all_url"]
    pool: Any = web.runtime.db.pool

    counter.reset()
    with web.client.stream("GET", url) as response:
        assert response.status_code == 200
        chunks = response.iter_bytes()
        first = next(chunks)
        held = (counter.open, pool.checkedout())
        rest = b"".join(chunks)

    assert first[:2] == b"PK" and rest
    assert held == (0, 0)
    assert counter.begun == 1


class Enqueued:
    """What the database held each time a job was enqueued (the worker may run it at once)."""

    def __init__(self, web: Web, counter: TransactionCounter) -> None:
        self.counter = counter
        self.seen: list[tuple[str, int, int]] = []  # (task, transactions open, begun until then)
        self.huey = web.context.huey
        self.huey.signal(signals.SIGNAL_ENQUEUED)(self._enqueued)

    def _enqueued(self, _signal: str, task: Task, *_args: Any) -> None:
        self.seen.append((task.name, self.counter.open, self.counter.begun))

    def close(self) -> None:
        self.huey.disconnect_signal(self._enqueued)


def test_a_request_commits_what_its_jobs_read_once_before_enqueueing_them(
    guests: Guests, counter: TransactionCounter
) -> None:
    web, wedding = guests.web, guests.wedding
    auth = {"Authorization": f"Bearer {_token(web)}"}
    csrf = web.login(ALICE)
    folder = guests.wedding_folder
    requests: dict[str, Callable[[], Any]] = {
        "API: index": lambda: web.client.post(f"/api/event/{wedding.id}/index", headers=auth),
        "API: new event, indexed": lambda: web.client.post(
            "/api/events", headers=auth, json={"name": "Again", "folder": str(folder), "index": True}
        ),
        "API: auto-sync on": lambda: web.client.post(
            f"/api/event/{wedding.id}/auto-sync/enable", headers=auth, json={"interval_minutes": 5}
        ),
        "API: auto-sync off": lambda: web.client.post(
            f"/api/event/{wedding.id}/auto-sync/disable", headers=auth
        ),
        "page: index": lambda: web.client.post(
            f"/events/{wedding.id}/index", data={"csrf_token": csrf}, follow_redirects=False
        ),
        "page: new event": lambda: web.client.post(
            "/events",
            data={"csrf_token": csrf, "name": "Third", "folder": str(folder)},
            follow_redirects=False,
        ),
    }
    enqueued = Enqueued(web, counter)
    try:
        firsts = {}
        for name, request in requests.items():
            enqueued.seen.clear()
            counter.during(request)
            assert enqueued.seen, f"{name} enqueued nothing"
            _, open_then, begun_until_then = enqueued.seen[0]
            assert all(open_now == 0 for _, open_now, _ in enqueued.seen), (name, enqueued.seen)
            firsts[name] = (open_then, begun_until_then)
    finally:
        enqueued.close()

    # one transaction, committed, before the first job (whose own transactions come after)
    assert firsts == dict.fromkeys(requests, (0, 1)), firsts


def _token(web: Web) -> str:
    with web.transaction() as uow:
        return accounts.create_api_token(uow, ALICE)
