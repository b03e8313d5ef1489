"""The web app on a fresh data dir, the fake colour-square engine, photographers and their events.

`make_web(**settings)` builds `create_app(...)` inside a running TestClient (lifespan included)
with the Huey queue in immediate mode, so index and sync jobs finish inside the request. The
test's tmp dir is the photo root (unless `photo_roots` is given): events go on folders there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Event
from eventface.faces.search_pool import ThreadEnginePool
from eventface.runtime import Runtime, build_runtime
from eventface.services import accounts, events
from eventface.settings import Settings
from eventface.web.app import create_app
from eventface.web.context import WebContext
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine
from tests.fakes.photos import Square

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def build_with_fake_engine(settings: Settings) -> Runtime:
    """The real runtime with the fake engine as 'fake', and also under the configured engine's name.

    The second one keeps the search workers' warm-up (and events created through the API, which
    get the configured engine) off the real face models.
    """
    rt = build_runtime(settings)
    for name in ("fake", settings.face_engine.value):
        rt._engines[name] = ColourSquareEngine(name)
    # searches on threads with the same fake engines: worker processes would not know them
    rt.search_engines = ThreadEnginePool(rt.face_engine, settings.search_worker_count)
    return rt


@dataclass(frozen=True)
class Photographer:
    id: int
    email: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Web:
    app: FastAPI
    client: TestClient
    settings: Settings
    root: Path  # the test's tmp dir: photo folders go here, outside the data dir

    @property
    def context(self) -> WebContext:
        context: WebContext = self.app.state.context
        return context

    @property
    def runtime(self) -> Runtime:
        return self.context.runtime

    def transaction(self) -> Any:
        return self.runtime.transactions()

    def photographer(self, email: str) -> Photographer:
        with self.transaction() as uow:
            user = accounts.create_user(uow, email, PASSWORD, passwords=self.runtime.passwords)
        with self.transaction() as uow:
            token = accounts.create_api_token(uow, email)
        return Photographer(user.id, user.email, token)

    def event(self, owner: Photographer, folder: Path, name: str = "Wedding") -> Event:
        with self.transaction() as uow:
            return create_fake_event(uow, name, folder, owner.id, self.settings.data_dir)

    def index(self, owner: Photographer, event: Event) -> dict[str, Any]:
        """Indexes the event (inside the request: the queue is immediate); its finished task."""
        response = self.client.post(f"/api/event/{event.id}/index", headers=owner.auth)
        assert response.status_code == 202, response.text
        queued = response.json()
        assert queued["status"] == "queued", queued  # answered as committed, before its job ran
        done = self.client.get(f"/api/task/{queued['task_id']}", headers=owner.auth)
        task: dict[str, Any] = done.json()
        assert task["status"] == "done", task
        return task

    def login(self, email: str, password: str = PASSWORD) -> str:
        """Signs the client in through the login form; returns the new session's CSRF token."""
        response = self.client.post(
            "/login",
            data={"csrf_token": self.csrf_token(), "email": email, "password": password, "next": "/events"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return self.csrf_token()  # signing in starts a fresh session with a fresh token

    def csrf_token(self) -> str:
        page = self.client.get("/login")
        assert page.status_code == 200, page.text
        found = CSRF_FIELD.search(page.text)
        assert found is not None, "no csrf_token field on the login page"
        return found.group(1)


def create_fake_event(uow: UnitOfWork, name: str, folder: Path, owner_id: int, data_dir: Path) -> Event:
    # as the CLI does: tests of the photo roots go through the API or the form
    policy = events.FolderPolicy.anywhere_but_data(data_dir)
    return events.create_event(uow, name, folder, "fake", owner_id=owner_id, policy=policy)


MakeWeb = Callable[..., Web]


@pytest.fixture
def make_web(tmp_path: Path) -> Iterator[MakeWeb]:
    """Builds a running app on tmp_path/data; keyword arguments are extra Settings fields."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> Web:
            overrides.setdefault("photo_roots", [tmp_path])
            # the cheap argon2 cost: real hashing made every sign-in here take a quarter second
            overrides.setdefault("password_hash_cost", "test")
            settings = Settings(data_dir=tmp_path / "data", workers=1, **overrides)
            app = create_app(settings, worker=False, build=build_with_fake_engine)
            app.state.context.huey.immediate = True  # jobs run inside the request that enqueues them
            client = stack.enter_context(TestClient(app))
            return Web(app, client, settings, tmp_path)

        yield make


@pytest.fixture
def web(make_web: MakeWeb) -> Web:
    return make_web()


@pytest.fixture
def alice(web: Web) -> Photographer:
    return web.photographer("alice@example.com")


@pytest.fixture
def bob(web: Web) -> Photographer:
    return web.photographer("bob@example.com")


# The photos of the "wedding" folder: which palette colours ("people") each one shows
WEDDING: dict[str, list[Square]] = {
    "red.jpg": [("red", (40, 40), 60)],
    "pair.jpg": [("red", (20, 30), 50), ("green", (150, 100), 70)],
    "blue.jpg": [("blue", (100, 60), 60)],
}


@pytest.fixture
def wedding_folder(tmp_path: Path, write_photo: WritePhoto) -> Path:
    folder = tmp_path / "photos" / "wedding"
    for name, squares in WEDDING.items():
        write_photo(folder / name, squares)
    return folder
