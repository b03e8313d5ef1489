"""The fake Drive, driven by the real google-api-python-client and google-auth over localhost HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import google.auth.transport.requests
import httpx
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from tests.fakes.drive import FOLDER_MIME, FakeDrive, ListPage
from tests.fakes.webhook import webhook_receiver
from tests.harness.drive import DriveOptions

FILE_FIELDS = "id, name, mimeType, md5Checksum, size, parents, trashed, modifiedTime"


@pytest.fixture
def drive_options() -> DriveOptions:
    return {"seed": 7}


@contextmanager
def service(drive: FakeDrive, credentials: Credentials | None = None) -> Iterator[Any]:
    with build(
        "drive",
        "v3",
        credentials=credentials or Credentials(token="test-token"),  # type: ignore[no-untyped-call]
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": f"http://127.0.0.1:{drive.port}/drive/v3/"},
    ) as resource:
        yield resource


def reason(error: HttpError) -> str:
    details = error.error_details
    assert isinstance(details, list)
    return str(details[0]["reason"])


def test_list_with_a_query_pages_through_exactly_the_matching_files(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    elsewhere = drive.add_folder("Other")
    expected = [drive.add_photo(event, f"p{n}.jpg", f"photo {n}".encode()) for n in range(3)]
    expected.append(drive.add_photo(event, "p3.heic", b"heic", mime="image/heic"))
    expected.append(drive.add_folder("Ceremony", parent=event))
    drive.add_file(event, "notes.txt", b"text", "text/plain")
    drive.add_file(event, "clip.mp4", b"video", "video/mp4")
    drive.trash(drive.add_photo(event, "binned.jpg", b"old"))
    drive.add_photo(elsewhere, "x.jpg", b"elsewhere")
    q = (
        f"'{event}' in parents and trashed = false and "
        f"(mimeType contains 'image/' or mimeType = '{FOLDER_MIME}')"
    )

    pages: list[list[dict[str, Any]]] = []
    with service(drive) as drive_api:
        token: str | None = None
        while True:
            page = (
                drive_api.files()
                .list(
                    q=q,
                    pageSize=2,
                    pageToken=token,
                    fields=f"nextPageToken, files({FILE_FIELDS})",
                    supportsAllDrives=True,
                    includeItemsFromAllDrives=True,
                )
                .execute()
            )
            pages.append(page["files"])
            token = page.get("nextPageToken")
            if token is None:
                break

    assert [len(p) for p in pages] == [2, 2, 1]
    files = [f for p in pages for f in p]
    assert [f["id"] for f in files] == expected
    first = files[0]
    assert set(first) == {f.strip() for f in FILE_FIELDS.split(",")}
    assert first["size"] == str(len(b"photo 0"))
    assert first["md5Checksum"] == drive.md5(expected[0])
    assert first["parents"] == [event]
    assert first["trashed"] is False
    assert first["modifiedTime"].endswith("Z")
    assert files[-1]["mimeType"] == FOLDER_MIME
    assert "size" not in files[-1]
    lists = [r for r in drive.requests if r.path == "/drive/v3/files"]
    assert len(lists) == 3
    assert lists[0].query["q"] == q


def test_a_file_added_during_the_first_page_is_listed_once_on_a_later_page(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    ids = [drive.add_photo(event, f"p{n}.jpg", b"x") for n in range(3)]
    seen: list[ListPage] = []

    def upload_during_the_listing(page: ListPage) -> None:
        seen.append(page)
        if page.number == 1:
            ids.append(drive.add_photo(event, "late.jpg", b"late"))

    drive.on_list_page(upload_during_the_listing)
    listed: list[str] = []
    with service(drive) as drive_api:
        request = drive_api.files().list(q=f"'{event}' in parents", pageSize=2, fields="*")
        while request is not None:
            page = request.execute()
            listed.extend(f["id"] for f in page["files"])
            request = drive_api.files().list_next(request, page)

    assert listed == ids
    assert [p.number for p in seen] == [1, 2]


def test_default_fields_and_bad_requests(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    photo = drive.add_photo(event, "a.jpg", b"jpeg")
    with service(drive) as drive_api:
        listed = drive_api.files().list(q=f"'{event}' in parents").execute()
        assert listed == {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [{"kind": "drive#file", "id": photo, "name": "a.jpg", "mimeType": "image/jpeg"}],
        }
        for bad in [
            {"q": f"'{event}' in parents and modifiedTime > '2024-01-01'"},
            {"q": "trashed = maybe"},
            {"q": f"('{event}' in parents"},
            {"fields": "files(id,colour)"},
            {"fields": "files(id"},
            {"orderBy": "name"},
            {"pageToken": "not-a-token"},
        ]:
            with pytest.raises(HttpError) as caught:
                drive_api.files().list(**bad).execute()
            assert caught.value.status_code == 400, bad
            assert reason(caught.value) == "invalid", bad


def test_get_answers_metadata_and_404_for_unknown_or_deleted_files(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    photo = drive.add_photo(event, "a.jpg", b"jpeg bytes")
    binned = drive.add_photo(event, "b.jpg", b"old")
    drive.trash(binned)
    with service(drive) as drive_api:
        got = drive_api.files().get(fileId=photo, fields=FILE_FIELDS, supportsAllDrives=True).execute()
        assert got == {
            "id": photo,
            "name": "a.jpg",
            "mimeType": "image/jpeg",
            "md5Checksum": drive.md5(photo),
            "size": "10",
            "parents": [event],
            "trashed": False,
            "modifiedTime": drive.metadata(photo)["modifiedTime"],
        }
        assert drive_api.files().get(fileId=binned, fields="trashed").execute() == {"trashed": True}
        folder = drive_api.files().get(fileId=event).execute()
        assert folder == {"kind": "drive#file", "id": event, "name": "Wedding", "mimeType": FOLDER_MIME}
        drive.delete(event)
        for gone in (photo, event, "1NoSuchFile"):
            with pytest.raises(HttpError) as caught:
                drive_api.files().get(fileId=gone, fields="id").execute()
            assert caught.value.status_code == 404
            assert reason(caught.value) == "notFound"
            assert json.loads(caught.value.content)["error"]["message"] == f"File not found: {gone}."


def test_media_downloads_in_range_requests_return_the_exact_bytes(drive: FakeDrive) -> None:
    data = bytes(range(256)) * 40  # 10 240 bytes
    photo = drive.add_photo(drive.add_folder("Wedding"), "big.jpg", data)
    empty = drive.add_photo("root", "empty.jpg", b"")
    drive.clear_requests()
    with service(drive) as drive_api:
        out = io.BytesIO()
        downloader = MediaIoBaseDownload(out, drive_api.files().get_media(fileId=photo), chunksize=4096)
        done = False
        while not done:
            _, done = downloader.next_chunk()
        assert out.getvalue() == data
        assert [r.query.get("alt") for r in drive.requests] == ["media"] * 3

        out = io.BytesIO()
        _, done = MediaIoBaseDownload(out, drive_api.files().get_media(fileId=empty)).next_chunk()
        assert done
        assert out.getvalue() == b""

    auth = {"Authorization": "Bearer test-token"}
    url = f"{drive.api_endpoint}files/{photo}?alt=media"
    with httpx.Client(headers=auth) as client:
        whole = client.get(url)
        assert (whole.status_code, whole.content) == (200, data)
        part = client.get(url, headers={"Range": "bytes=10-19"})
        assert (part.status_code, part.content) == (206, data[10:20])
        assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        tail = client.get(url, headers={"Range": "bytes=-5"})
        assert tail.content == data[-5:]
        beyond = client.get(url, headers={"Range": f"bytes={len(data)}-"})
        assert beyond.status_code == 416
        assert beyond.headers["Content-Range"] == f"bytes */{len(data)}"


def test_changes_page_to_a_new_start_token(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    moved = drive.add_photo(event, "m.jpg", b"m")
    binned = drive.add_photo(event, "b.jpg", b"b")
    doomed = drive.add_photo(event, "d.jpg", b"d")
    other = drive.add_folder("Other")
    fields = "nextPageToken,newStartPageToken,changes(fileId,removed,time,file(id,name,parents,trashed))"

    with service(drive) as drive_api:
        start = drive_api.changes().getStartPageToken().execute()
        assert start == {"kind": "drive#startPageToken", "startPageToken": drive.page_token}
        added = drive.add_photo(event, "new.jpg", b"new")
        drive.trash(binned)
        drive.move(moved, other)
        drive.update_content(added, b"newer")
        drive.delete(doomed)

        changes: list[dict[str, Any]] = []
        token = start["startPageToken"]
        pages = 0
        while True:
            page = (
                drive_api.changes()
                .list(pageToken=token, pageSize=2, includeRemoved=True, fields=fields, supportsAllDrives=True)
                .execute()
            )
            pages += 1
            changes.extend(page["changes"])
            if "newStartPageToken" in page:
                new_start = page["newStartPageToken"]
                assert "nextPageToken" not in page
                break
            token = page["nextPageToken"]

        assert pages == 3
        assert [(c["fileId"], c["removed"]) for c in changes] == [
            (added, False),
            (binned, False),
            (moved, False),
            (added, False),
            (doomed, True),
        ]
        assert changes[1]["file"]["trashed"] is True
        assert changes[2]["file"]["parents"] == [other]
        assert "file" not in changes[4]
        assert changes[0]["time"] < changes[4]["time"]

        quiet = drive_api.changes().list(pageToken=new_start).execute()
        assert quiet == {"kind": "drive#changeList", "changes": [], "newStartPageToken": new_start}

        since_start = drive_api.changes().list(pageToken=start["startPageToken"], includeRemoved=False)
        no_removed = since_start.execute()
        assert [c["fileId"] for c in no_removed["changes"]] == [added, binned, moved, added]
        assert no_removed["changes"][0] == {
            "kind": "drive#change",
            "changeType": "file",
            "time": changes[0]["time"],
            "removed": False,
            "fileId": added,
            "file": {"kind": "drive#file", "id": added, "name": "new.jpg", "mimeType": "image/jpeg"},
        }


def test_trashing_a_folder_trashes_what_is_under_it(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    inner = drive.add_folder("Party", parent=event)
    photo = drive.add_photo(inner, "a.jpg", b"a")
    drive.trash(event)
    assert drive.metadata(photo)["trashed"] is True
    assert drive.metadata(photo)["explicitlyTrashed"] is False
    drive.untrash(event)
    assert drive.metadata(photo)["trashed"] is False


def test_an_expired_page_token_is_an_invalid_value(drive: FakeDrive) -> None:
    with service(drive) as drive_api:
        old = drive_api.changes().getStartPageToken().execute()["startPageToken"]
        drive.add_folder("Wedding")
        drive.expire_page_token()
        for token in (old, "garbage", str(int(drive.page_token) + 5)):
            with pytest.raises(HttpError) as caught:
                drive_api.changes().list(pageToken=token).execute()
            assert caught.value.status_code == FakeDrive.INVALID_TOKEN_STATUS
            assert reason(caught.value) == FakeDrive.INVALID_TOKEN_REASON
            assert json.loads(caught.value.content)["error"]["errors"][0]["location"] == "pageToken"
        fresh = drive_api.changes().getStartPageToken().execute()["startPageToken"]
        assert fresh != old
        assert drive_api.changes().list(pageToken=fresh).execute()["changes"] == []


def test_injected_rate_limits_fail_once_and_are_retried(drive: FakeDrive, retry_sleeps: list[float]) -> None:
    with service(drive) as drive_api:
        drive.fail_next(429)
        with pytest.raises(HttpError) as caught:
            drive_api.files().list().execute(num_retries=0)
        assert caught.value.status_code == 429
        assert reason(caught.value) == "rateLimitExceeded"

        drive.fail_next(429)
        drive.fail_next(403, reason="userRateLimitExceeded")
        assert drive_api.files().list().execute(num_retries=2)["files"] == []
        assert len(retry_sleeps) == 2

        drive.fail_next(503, count=2)
        with pytest.raises(HttpError) as caught:
            drive_api.files().list().execute(num_retries=1)
        assert caught.value.status_code == 503
        assert drive_api.files().list().execute()["files"] == []


def test_revoke_makes_access_tokens_answer_401(drive: FakeDrive) -> None:
    url = f"{drive.api_endpoint}files"
    with httpx.Client() as client:
        assert client.get(url, headers={"Authorization": "Bearer test-token"}).status_code == 200
        missing = client.get(url)
        assert missing.status_code == 401
        assert client.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 401
        drive.revoke()
        revoked = client.get(url, headers={"Authorization": "Bearer test-token"})
        assert revoked.status_code == 401
        assert revoked.json()["error"]["errors"][0]["reason"] == "authError"
    # google-auth answers a 401 by refreshing, which static-token credentials cannot do
    with service(drive) as drive_api, pytest.raises(RefreshError):
        drive_api.files().list().execute()


def test_the_token_endpoint_refreshes_until_the_grant_is_revoked(drive: FakeDrive) -> None:
    credentials = Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=drive.refresh_token,
        token_uri=f"{drive.base_url}/token",
        client_id=drive.client_id,
        client_secret=drive.client_secret,
    )
    with requests.Session() as session:
        transport = google.auth.transport.requests.Request(session)
        credentials.refresh(transport)  # type: ignore[no-untyped-call]
        first = credentials.token
        assert first is not None and first != "test-token"
        assert credentials.expiry is not None
        assert credentials.valid

        with service(drive, credentials) as drive_api:
            assert drive_api.files().list().execute()["files"] == []
            # an expired access token is refreshed behind the client's back
            drive.expire_access_tokens()
            assert drive_api.files().list().execute()["files"] == []
            assert credentials.token != first
            assert [r.method for r in drive.requests if r.path == "/token"] == ["POST", "POST"]

            drive.revoke()
            with pytest.raises(RefreshError, match="invalid_grant"):
                drive_api.files().list().execute()
        with pytest.raises(RefreshError, match="Token has been expired or revoked"):
            credentials.refresh(transport)  # type: ignore[no-untyped-call]
        wrong_client = Credentials(  # type: ignore[no-untyped-call]
            token=None,
            refresh_token=drive.refresh_token,
            token_uri=drive.token_uri,
            client_id="someone-else",
            client_secret=drive.client_secret,
        )
        with pytest.raises(RefreshError, match="invalid_client"):
            wrong_client.refresh(transport)  # type: ignore[no-untyped-call]


def test_the_revoke_endpoint_revokes_the_grant(drive: FakeDrive) -> None:
    with httpx.Client() as client:
        assert client.post(drive.revoke_uri, params={"token": "unknown"}).status_code == 400
        assert client.post(drive.revoke_uri, params={"token": drive.refresh_token}).status_code == 200
        form = {
            "grant_type": "refresh_token",
            "refresh_token": drive.refresh_token,
            "client_id": drive.client_id,
            "client_secret": drive.client_secret,
        }
        refused = client.post(drive.token_uri, data=form)
        assert refused.status_code == 400
        assert refused.json() == {
            "error": "invalid_grant",
            "error_description": "Token has been expired or revoked.",
        }
        # a new consent (authorization code) grants again, with a new refresh token
        exchange = {**form, "grant_type": "authorization_code", "code": drive.auth_code}
        granted = client.post(drive.token_uri, data=exchange).json()
        assert set(granted) == {
            "access_token",
            "expires_in",
            "token_type",
            "scope",
            "refresh_token",
            "id_token",
        }
        assert granted["expires_in"] == 3600
        assert granted["refresh_token"] != drive.refresh_token
        ok = client.get(
            f"{drive.api_endpoint}files", headers={"Authorization": f"Bearer {granted['access_token']}"}
        )
        assert ok.status_code == 200


def test_watch_notify_and_stop_round_trip(drive: FakeDrive) -> None:
    with webhook_receiver() as (address, received), service(drive) as drive_api:
        token = drive_api.changes().getStartPageToken().execute()["startPageToken"]
        body = {"id": "channel-1", "type": "web_hook", "address": address, "token": "secret"}
        channel = drive_api.changes().watch(pageToken=token, body=body).execute()
        assert channel["kind"] == "api#channel"
        assert channel["id"] == "channel-1"
        assert int(channel["expiration"]) > 0
        assert [c.id for c in drive.channels] == ["channel-1"]
        assert drive.channels[0].resource_id == channel["resourceId"]

        with pytest.raises(HttpError) as caught:
            drive_api.changes().watch(pageToken=token, body=body).execute()
        assert caught.value.status_code == 400

        assert drive.notify("channel-1", state="sync") == 200
        assert drive.notify("channel-1") == 200
        assert [
            (h["x-goog-channel-id"], h["x-goog-resource-state"], h["x-goog-message-number"]) for h in received
        ] == [("channel-1", "sync", "1"), ("channel-1", "change", "2")]
        assert received[1]["x-goog-channel-token"] == "secret"
        assert received[1]["x-goog-resource-id"] == channel["resourceId"]

        stop = {"id": "channel-1", "resourceId": channel["resourceId"]}
        drive_api.channels().stop(body=stop).execute()
        assert drive.channels == []
        with pytest.raises(HttpError) as caught:
            drive_api.channels().stop(body=stop).execute()
        assert caught.value.status_code == 404
    assert drive.errors == []


# --- the authorization endpoint, id_tokens and about.get

CALLBACK = "http://127.0.0.1:9/connect/google/callback"
CONSENT_SCOPES = (
    "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/drive.readonly"
)


def consent(drive: FakeDrive, client: httpx.Client, **extra: str) -> httpx.Response:
    params = {
        "client_id": drive.client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": CONSENT_SCOPES,
        "state": "state-1",
        **extra,
    }
    return client.get(drive.auth_uri, params=params)


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{CALLBACK}?")
    return {name: values[-1] for name, values in parse_qs(urlsplit(location).query).items()}


def exchange(drive: FakeDrive, client: httpx.Client, code: str, **extra: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": drive.client_id,
        "client_secret": drive.client_secret,
        **extra,
    }
    return client.post(drive.token_uri, data=form)


def claims_of(drive: FakeDrive, id_token: str) -> dict[str, Any]:
    """The id_token's claims, once its HS256 signature (keyed with the client secret) checks out."""
    header, payload, signature = id_token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    expected = hmac.new(drive.client_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    assert base64.urlsafe_b64decode(signature + "==") == expected.digest()
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return claims


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def test_consent_redirects_with_a_single_use_code_bound_to_pkce_and_redirect_uri(drive: FakeDrive) -> None:
    verifier = "v" * 50
    with httpx.Client() as client:
        first = redirect_query(
            consent(drive, client, code_challenge=s256(verifier), code_challenge_method="S256")
        )
        assert first["state"] == "state-1"
        assert first["scope"] == CONSENT_SCOPES
        assert first["code"] != drive.auth_code
        wrong = exchange(drive, client, first["code"], code_verifier="w" * 50)
        assert wrong.json() == {"error": "invalid_grant", "error_description": "Invalid code verifier."}

        second = redirect_query(
            consent(drive, client, code_challenge=s256(verifier), code_challenge_method="S256")
        )
        missing = exchange(drive, client, second["code"])
        assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"

        third = redirect_query(
            consent(drive, client, code_challenge=s256(verifier), code_challenge_method="S256")
        )
        mismatch = exchange(drive, client, third["code"], code_verifier=verifier, redirect_uri=f"{CALLBACK}x")
        assert mismatch.json()["error"] == "redirect_uri_mismatch"

        fourth = redirect_query(
            consent(drive, client, code_challenge=s256(verifier), code_challenge_method="S256")
        )
        granted = exchange(drive, client, fourth["code"], code_verifier=verifier)
        assert granted.status_code == 200
        body = granted.json()
        assert body["scope"] == CONSENT_SCOPES
        claims = claims_of(drive, body["id_token"])
        assert claims["email"] == "photographer@example.com"
        assert claims["email_verified"] is True
        assert claims["aud"] == drive.client_id
        assert claims["iss"] == "https://accounts.google.com"
        assert claims["sub"].isdigit()
        assert claims["exp"] > claims["iat"]
        files = client.get(
            f"{drive.api_endpoint}files", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert files.status_code == 200

        reused = exchange(drive, client, fourth["code"], code_verifier=verifier)
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_consent_without_pkce_and_without_state(drive: FakeDrive) -> None:
    drive.email = "someone@example.org"
    with httpx.Client() as client:
        response = client.get(
            drive.auth_uri,
            params={
                "client_id": drive.client_id,
                "redirect_uri": CALLBACK,
                "response_type": "code",
                "scope": "openid",
            },
        )
        query = redirect_query(response)
        assert "state" not in query
        body = exchange(drive, client, query["code"]).json()
        assert body["scope"] == "openid"
        assert claims_of(drive, body["id_token"])["email"] == "someone@example.org"


def test_consent_refuses_bad_requests(drive: FakeDrive) -> None:
    with httpx.Client() as client:
        assert consent(drive, client, client_id="someone-else").json()["error"] == "invalid_client"
        assert consent(drive, client, redirect_uri="").json()["error"] == "invalid_request"
        assert consent(drive, client, response_type="token").json()["error"] == "unsupported_response_type"
        assert consent(drive, client, scope="").json()["error"] == "invalid_request"
        assert consent(drive, client, code_challenge="c", code_challenge_method="S512").status_code == 400


def test_denied_and_unticked_consents_apply_to_the_next_visit_only(drive: FakeDrive) -> None:
    with httpx.Client() as client:
        drive.deny_next_consent()
        assert redirect_query(consent(drive, client)) == {"error": "access_denied", "state": "state-1"}

        drive.untick_drive_next_consent()
        unticked = redirect_query(consent(drive, client))
        without_drive = "openid https://www.googleapis.com/auth/userinfo.email"
        assert unticked["scope"] == without_drive
        body = exchange(drive, client, unticked["code"]).json()
        assert body["scope"] == without_drive
        assert "refresh_token" in body and "id_token" in body

        assert redirect_query(consent(drive, client))["scope"] == CONSENT_SCOPES


def test_the_static_auth_code_grants_sign_in_and_drive_every_time(drive: FakeDrive) -> None:
    with httpx.Client() as client:
        for _ in range(2):
            body = exchange(drive, client, drive.auth_code).json()
            assert body["scope"] == f"openid https://www.googleapis.com/auth/userinfo.email {drive.scope}"
            assert claims_of(drive, body["id_token"])["aud"] == drive.client_id


def test_about_answers_the_selected_user_fields(drive: FakeDrive) -> None:
    with service(drive) as drive_api:
        about = drive_api.about().get(fields="user(emailAddress, displayName)").execute()
        assert about == {
            "user": {"emailAddress": "photographer@example.com", "displayName": "Pat Photographer"}
        }
        assert drive_api.about().get(fields="user/me,kind").execute() == {
            "kind": "drive#about",
            "user": {"me": True},
        }
        for fields in ("user(password)", "owner"):
            with pytest.raises(HttpError) as caught:
                drive_api.about().get(fields=fields).execute()
            assert caught.value.status_code == 400
    with httpx.Client() as client:
        refused = client.get(f"{drive.api_endpoint}about", headers={"Authorization": "Bearer test-token"})
        assert refused.status_code == 400
        assert refused.json()["error"]["errors"][0]["location"] == "fields"
    assert drive.errors == []
