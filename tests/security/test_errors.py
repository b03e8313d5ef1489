"""Errors are mapped to HTTP in one place (issue 10): a stable `code` in every error body, ids of
any form that name nothing are 404 (never a 422 or a 500), a source failure is a 503 that keeps
server details in the log, and the error page is translated by its code."""

from __future__ import annotations

import pytest
from google.oauth2.credentials import Credentials

from eventface import errors
from eventface.sources.drive import DriveClient, DriveFolderSource, drive_service
from eventface.web.errors import STATUS, status_of
from tests.web.conftest import Photographer, Web

NOT_IDS = ("nope", "0", "-1", "1.5", "99999999999999999999", str(2**63))


@pytest.mark.parametrize("event_id", NOT_IDS)
@pytest.mark.parametrize(
    "route",
    [
        "/api/event/{id}",
        "/api/event/{id}/photos",
        "/api/event/{id}/task",
        "/api/event/{id}/auto-sync/status",
    ],
)
def test_an_event_id_of_any_form_that_names_nothing_is_404_with_a_code(
    web: Web, alice: Photographer, route: str, event_id: str
) -> None:
    response = web.client.get(route.format(id=event_id), headers=alice.auth)

    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("event_id", NOT_IDS)
def test_unsafe_methods_on_ids_that_name_nothing_are_404_too(
    web: Web, alice: Photographer, event_id: str
) -> None:
    for method, route in (
        ("DELETE", "/api/event/{id}"),
        ("POST", "/api/event/{id}/index"),
        ("POST", "/api/event/{id}/auto-sync/disable"),
    ):
        response = web.client.request(method, route.format(id=event_id), headers=alice.auth)
        assert response.status_code == 404, (method, route, response.text)


def test_a_page_for_an_id_that_names_nothing_is_the_translated_not_found_page(
    web: Web, alice: Photographer
) -> None:
    web.login(alice.email)

    page = web.client.get("/events/99999999999999999999?lang=th", headers={"Accept": "text/html"})

    assert page.status_code == 404
    assert "ไม่มีหน้านี้ หรือลิงก์หมดอายุแล้ว" in page.text  # the not_found text, in Thai
    assert "Traceback" not in page.text


def test_every_error_of_the_tree_has_its_own_stable_code_and_a_status() -> None:
    classes = [
        c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.EventfaceError)
    ]
    public = [c for c in classes if not c.__name__.startswith("_")]

    codes = [c.code for c in public]
    assert len(codes) == len(set(codes)), "two error classes share a code"
    assert all(code.islower() and " " not in code for code in codes)
    assert {cls for cls, _ in STATUS} <= set(public)
    assert status_of(errors.SourceUnavailableError("x")) == 503
    assert status_of(errors.ReconnectNeededError("x")) == 503
    assert status_of(errors.RateLimitedError("x", 3)) == 429
    assert status_of(errors.InvalidInputError("x", code="folder_refused")) == 422


def test_a_source_failure_is_a_503_with_its_code_that_keeps_server_details_in_the_log(
    web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    secret_path = "/srv/photographers/alice/private"

    def unreadable() -> None:
        raise errors.SourceUnavailableError(f"photo folder {secret_path} cannot be read")

    # a route added for this test: the mapping, not any one route, is what is under test
    web.app.add_api_route("/api/test-source-failure", unreadable)

    response = web.client.get("/api/test-source-failure")

    assert response.status_code == 503
    assert response.json()["code"] == "source_unavailable"
    assert secret_path not in response.text
    assert secret_path in caplog.text


def test_a_drive_that_cannot_be_reached_is_a_503_with_its_code_never_a_500(web: Web) -> None:
    """The vendor error (an unresolvable Drive host) arrives as `source_unavailable`, not a 500."""

    def drive_down() -> None:
        client = DriveClient(
            drive_service(Credentials(token="t"), "http://drive.invalid/drive/v3/"), num_retries=0
        )
        try:
            DriveFolderSource(client, "folder").read("file")
        finally:
            client.close()

    web.app.add_api_route("/api/test-drive-down", drive_down)

    response = web.client.get("/api/test-drive-down")

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "source_unavailable"
