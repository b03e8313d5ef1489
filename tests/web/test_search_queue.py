"""Guests in parallel (issue 12): the bounded queue of searches, and searches that overlap each
other, an indexing run and a photo's removal.

The fake engine behind a gate holds searches on the search workers for as long as a test needs:
what is held, what waits and what is turned away is then certain, not a matter of timing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from eventface.domain.models import DetectedFace
from eventface.faces.images import PhotoImage
from eventface.faces.search_pool import ThreadEnginePool
from eventface.services import accounts
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine
from tests.web.conftest import MakeWeb, Web
from tests.web.test_guest_api import Guests, make_guests, names, search, selfie

ALICE = "alice@example.com"  # the wedding's photographer (make_guests)
DEADLINE_S = 30.0  # nothing here takes a second; a gate never stays shut longer than this


class GatedEngine(ColourSquareEngine):
    """The fake engine, but every call waits at a gate the test opens; counts who is inside."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.gate = threading.Event()
        self.inside = 0
        self._changed = threading.Condition()

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        with self._changed:
            self.inside += 1
            self._changed.notify_all()
        try:
            assert self.gate.wait(DEADLINE_S), "the test never opened the gate"
            return super().find_faces(image)
        finally:
            with self._changed:
                self.inside -= 1
                self._changed.notify_all()

    def wait_inside(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.inside == count, DEADLINE_S), (
                f"{self.inside} searches reached the engine, not {count}"
            )


def gated(web: Web) -> GatedEngine:
    """Puts a gated engine ("fake", as the tests' events use) on the app's search workers only:
    indexing keeps the open one."""
    engine = GatedEngine("fake")
    rt = web.runtime
    rt.search_engines.close()
    rt.search_engines = ThreadEnginePool(lambda _name: engine, rt.search_engines.workers)
    rt.search_engines.start()
    return engine


def wait_until(what: str, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def crowd() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8, thread_name_prefix="guest") as pool:
        yield pool


def guests_with(make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto, **settings: Any) -> Guests:
    return make_guests(make_web(**settings), tmp_path, write_photo)


def answered(future: Future[Any]) -> Any:
    return future.result(timeout=DEADLINE_S)


def test_a_search_beyond_the_queue_gets_503_with_retry_after_and_none_hangs(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto, crowd: ThreadPoolExecutor
) -> None:
    guests = guests_with(make_web, tmp_path, write_photo, search_workers=1, search_queue=1)
    web, slug = guests.web, guests.wedding.slug
    engine = gated(web)
    running = crowd.submit(search, web, slug, selfie("red"))
    engine.wait_inside(1)
    waiting = crowd.submit(search, web, slug, selfie("green"))
    wait_until("the second search to take the queue's place", lambda: web.context.search_queue.busy == 2)

    turned_away = search(web, slug, selfie("blue"))
    started = time.monotonic()
    page = web.client.get(f"/e/{slug}")
    page_s = time.monotonic() - started
    engine.gate.set()

    assert turned_away.status_code == 503, turned_away.text
    assert turned_away.json()["code"] == "busy"
    assert int(turned_away.headers["Retry-After"]) >= 1
    assert page.status_code == 200 and page_s < 2, "the guest page waited behind the searches"
    assert sorted(names(answered(running))) == ["pair.jpg", "red.jpg"]
    assert names(answered(waiting)) == ["pair.jpg"]
    assert web.context.search_queue.busy == 0
    assert search(web, slug, selfie("blue")).status_code == 200  # the queue has room again


def test_retry_after_grows_with_the_queue_and_with_how_long_a_search_takes(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto, crowd: ThreadPoolExecutor
) -> None:
    guests = guests_with(make_web, tmp_path, write_photo, search_workers=1, search_queue=4)
    web, slug = guests.web, guests.wedding.slug
    engine = gated(web)
    web.runtime.search_engines.mean_run_s = 2.0  # as if each search took 2 s on its worker
    held = [crowd.submit(search, web, slug, selfie("red")) for _ in range(5)]
    engine.wait_inside(1)
    wait_until("a full queue", lambda: web.context.search_queue.busy == 5)

    turned_away = search(web, slug, selfie("red"))
    engine.gate.set()

    assert turned_away.status_code == 503
    assert int(turned_away.headers["Retry-After"]) == 10  # 4 waiting + this one, 2 s each, 1 worker
    assert [answered(f).status_code for f in held] == [200] * 5


def test_two_searches_and_an_indexing_run_at_once_answer_as_one_at_a_time(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto, crowd: ThreadPoolExecutor
) -> None:
    guests = guests_with(make_web, tmp_path, write_photo, search_workers=2)
    web = guests.web
    alone = {
        colour: sorted(names(search(web, guests.wedding.slug, selfie(colour)))) for colour in ("red", "green")
    }
    write_photo(guests.party_folder / "party-two.jpg", [("red", (20, 20), 50), ("cyan", (120, 90), 50)])
    owner = web.photographer("carol@example.com")
    engine = gated(web)

    at_once = {colour: crowd.submit(search, web, guests.wedding.slug, selfie(colour)) for colour in alone}
    engine.wait_inside(2)  # both searches are on the search workers, while another event is indexed
    third = web.event(owner, guests.party_folder, "Party again")
    indexing = crowd.submit(web.index, owner, third)
    assert answered(indexing)["faces"] == 4  # it finished while the searches were held
    engine.gate.set()

    assert {colour: sorted(names(answered(f))) for colour, f in at_once.items()} == alone
    assert sorted(names(search(web, third.slug, selfie("red")))) == ["party-red.jpg", "party-two.jpg"]


def test_a_photo_removed_during_a_search_never_fails_the_search(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto, crowd: ThreadPoolExecutor
) -> None:
    guests = guests_with(make_web, tmp_path, write_photo, search_workers=1)
    web, slug = guests.web, guests.wedding.slug
    engine = gated(web)
    held = crowd.submit(search, web, slug, selfie("red"))
    engine.wait_inside(1)

    (guests.wedding_folder / "red.jpg").unlink()  # and its owner re-indexes: red.jpg leaves the event
    reindexed = web.client.post(f"/api/event/{guests.wedding.id}/index", headers=api_auth(web, ALICE))
    assert reindexed.status_code == 202, reindexed.text
    task = web.client.get(f"/api/task/{reindexed.json()['task_id']}", headers=api_auth(web, ALICE))
    assert task.json()["status"] == "done"
    engine.gate.set()

    response = answered(held)
    assert response.status_code == 200, response.text
    assert names(response) == ["pair.jpg"]


def api_auth(web: Web, email: str) -> dict[str, str]:
    with web.transaction() as uow:
        token = accounts.create_api_token(uow, email)
    return {"Authorization": f"Bearer {token}"}
