"""The OpenAPI description tells the truth: schemathesis runs all its phases and checks (as the
CLI's `schemathesis run --checks all` does) against the app, signed in as a photographer with an
indexed event: only documented statuses, bodies that match their schemas, invalid input refused,
valid input accepted, 401 without a token, an honest `Allow` on a 405.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from schemathesis.engine import from_schema as engine_for

from eventface.web import app as web_app
from eventface.web import openapi
from tests.conftest import REPO_ROOT
from tests.web.conftest import MakeWeb

MAX_EXAMPLES = 20
SEED = 20261130  # one fixed run: a CI failure is one `pytest` away from being seen again

# the per-operation settings the CLI uses too
OPERATIONS = (REPO_ROOT / "schemathesis.toml").read_text(encoding="utf-8")


def config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_str(
        f"seed = {SEED}\n"
        f"headers = {{ Authorization = {json.dumps('Bearer ' + token)} }}\n"
        f"generation.max-examples = {MAX_EXAMPLES}\n"
        # a few steps of the stateful phase (links between operations) keep the run near 20 s
        "phases.stateful.max-steps = 5\n" + OPERATIONS
    )


@pytest.fixture
def failures(make_web: MakeWeb, wedding_folder: Path) -> list[str]:
    web = make_web(search_rate_limit=100_000)
    owner = web.photographer("fuzz@example.com")
    event = web.event(owner, wedding_folder)
    task = web.index(owner, event)
    photos = web.client.get(f"/api/event/{event.id}/photos", headers=owner.auth).json()
    real = {"event_id": event.id, "slug": event.slug, "task_id": task["task_id"], "photo_id": photos[0]["id"]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", web.app, config=config(owner.token))

    @schema.hook
    def flatmap_path_parameters(context: Any, parameters: dict[str, Any]) -> Any:
        # half the time a path names what exists, so that requests get past the 404 to the route
        named = {name: value for name, value in real.items() if name in (parameters or {})}
        if not named:
            return st.just(parameters)
        return st.sampled_from([parameters, {**parameters, **named}])

    # DELETE last: the event it deletes is the one the other operations need
    runs = (schema.exclude(method="DELETE"), schema.include(method="DELETE"))
    return [failure for run in runs for failure in _failures(engine_for(run).execute())]


def _failures(stream: Any) -> Iterator[str]:
    for event in stream:
        if isinstance(event, events.FatalError):
            yield f"schemathesis stopped: {event.exception!r}"
        elif isinstance(event, events.NonFatalError):
            yield f"{event.label}: {event.value!r}"
        elif isinstance(event, events.ScenarioFinished) and event.status is Status.FAILURE:
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        info = check.failure_info
                        failure = f"{info.failure.title}: {info.failure.message}"
                        yield f"{event.label} [{check.name}] {failure}\n{info.code_sample}"


def test_every_operation_answers_as_its_openapi_description_says(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(dict.fromkeys(failures))


def test_the_documented_session_cookie_is_the_apps() -> None:
    assert openapi.SESSION_COOKIE == web_app.SESSION_COOKIE
