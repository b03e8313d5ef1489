"""Connecting a Google account, against the fake's consent, token, revoke and Drive endpoints over HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from eventface.errors import InvalidInputError, ReconnectNeededError, SourceUnavailableError
from eventface.sources.drive import DriveClient, drive_service
from eventface.sources.google_oauth import (
    DRIVE_SCOPE,
    SCOPES,
    GoogleGrant,
    OAuthClient,
    account_email,
    authorization_url,
    credentials_from_info,
    exchange_code,
    read_authorized_user_file,
    revoke,
)
from tests.fakes.drive import FakeDrive
from tests.harness.drive import DriveOptions

CALLBACK = "http://127.0.0.1:8000/connect/google/callback"


@pytest.fixture
def drive_options() -> DriveOptions:
    # no static access token: Drive works only with tokens the fake's /token issued
    return {"static_token": None}


@pytest.fixture
def oauth(drive: FakeDrive) -> OAuthClient:
    return OAuthClient(
        client_id=drive.client_id,
        client_secret=drive.client_secret,
        auth_uri=drive.auth_uri,
        token_uri=drive.token_uri,
        revoke_uri=drive.revoke_uri,
    )


def query_of(url: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlsplit(url).query).items()}


def consent(url: str) -> dict[str, str]:
    """What the browser brings back to the callback after the photographer allows access."""
    with httpx.Client(follow_redirects=False) as browser:
        response = browser.get(url)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{CALLBACK}?")
    return query_of(location)


def connect(oauth: OAuthClient) -> GoogleGrant:
    url, verifier = authorization_url(oauth, CALLBACK, "state-1")
    return exchange_code(oauth, CALLBACK, consent(url)["code"], verifier)


def list_names(info: dict[str, str], drive: FakeDrive, folder: str) -> list[str]:
    client = DriveClient(drive_service(credentials_from_info(info), drive.api_endpoint))
    try:
        return [item.name for item in client.children(folder)]
    finally:
        client.close()


def test_the_authorization_url_asks_for_offline_access_with_pkce(oauth: OAuthClient) -> None:
    url, verifier = authorization_url(oauth, CALLBACK, "state-1")

    assert url.startswith(f"{oauth.auth_uri}?")
    query = query_of(url)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert query == {
        "response_type": "code",
        "client_id": oauth.client_id,
        "redirect_uri": CALLBACK,
        "scope": " ".join(SCOPES),
        "state": "state-1",
        "access_type": "offline",
        "prompt": "consent",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    assert 43 <= len(verifier) <= 128
    assert authorization_url(oauth, CALLBACK, "state-1")[1] != verifier


def test_a_consent_gives_a_grant_whose_credentials_read_drive(drive: FakeDrive, oauth: OAuthClient) -> None:
    folder = drive.add_folder("Wedding")
    drive.add_photo(folder, "a.jpg", b"jpeg bytes")
    url, verifier = authorization_url(oauth, CALLBACK, "state-1")
    back = consent(url)
    assert back["state"] == "state-1"

    grant = exchange_code(oauth, CALLBACK, back["code"], verifier)

    assert grant.email == "photographer@example.com"
    assert grant.scopes == SCOPES
    assert grant.info["type"] == "authorized_user"
    assert grant.info["client_id"] == drive.client_id
    assert grant.info["token_uri"] == drive.token_uri
    assert grant.info["revoke_uri"] == drive.revoke_uri
    assert grant.info["refresh_token"] not in (drive.refresh_token, "")
    assert grant.info["refresh_token"] not in repr(grant)
    assert drive.client_secret not in repr(grant) + repr(oauth)

    token_requests = len([r for r in drive.requests if r.path == "/token"])
    assert list_names(grant.info, drive, folder) == ["a.jpg"]
    # the stored grant holds no access token: the first Drive call refreshed one through /token
    assert len([r for r in drive.requests if r.path == "/token"]) == token_requests + 1


def test_credentials_from_info_are_refreshable_and_scoped_to_drive(oauth: OAuthClient) -> None:
    credentials = credentials_from_info(connect(oauth).info)

    assert credentials.refresh_token is not None
    assert credentials.token_uri == oauth.token_uri
    assert credentials.scopes == [DRIVE_SCOPE]
    with pytest.raises(ReconnectNeededError, match="refresh_token") as caught:
        credentials_from_info({"client_id": "id", "client_secret": "s3cr3t"})
    assert "s3cr3t" not in str(caught.value)


def test_an_unticked_drive_scope_is_refused_with_what_to_do(drive: FakeDrive, oauth: OAuthClient) -> None:
    drive.untick_drive_next_consent()
    with pytest.raises(InvalidInputError, match="tick"):
        connect(oauth)


def test_a_wrong_or_used_code_is_refused(oauth: OAuthClient) -> None:
    url, verifier = authorization_url(oauth, CALLBACK, "state-1")
    code = consent(url)["code"]
    with pytest.raises(InvalidInputError, match="invalid_grant"):
        exchange_code(oauth, CALLBACK, "not-a-code", verifier)

    exchange_code(oauth, CALLBACK, code, verifier)
    with pytest.raises(InvalidInputError, match="used already"):
        exchange_code(oauth, CALLBACK, code, verifier)


def test_a_code_with_another_session_verifier_is_refused(oauth: OAuthClient) -> None:
    url, _ = authorization_url(oauth, CALLBACK, "state-1")
    _, other_verifier = authorization_url(oauth, CALLBACK, "state-2")
    with pytest.raises(InvalidInputError, match="invalid_grant"):
        exchange_code(oauth, CALLBACK, consent(url)["code"], other_verifier)


def test_a_wrong_client_secret_is_refused_as_a_server_setup_problem(oauth: OAuthClient) -> None:
    url, verifier = authorization_url(oauth, CALLBACK, "state-1")
    wrong = OAuthClient(oauth.client_id, "wrong", oauth.auth_uri, oauth.token_uri, oauth.revoke_uri)
    with pytest.raises(InvalidInputError, match="client id and secret"):
        exchange_code(wrong, CALLBACK, consent(url)["code"], verifier)


def test_revoke_ends_the_grant_and_revoking_twice_is_fine(drive: FakeDrive, oauth: OAuthClient) -> None:
    folder = drive.add_folder("Wedding")
    grant = connect(oauth)
    assert list_names(grant.info, drive, folder) == []

    revoke(grant.info)

    with pytest.raises(ReconnectNeededError):
        list_names(grant.info, drive, folder)
    with httpx.Client() as client:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": drive.refresh_token,
            "client_id": drive.client_id,
            "client_secret": drive.client_secret,
        }
        assert client.post(drive.token_uri, data=form).json()["error"] == "invalid_grant"
    revoke(grant.info)  # Google answers 400 invalid_token: already done


def test_revoke_when_google_cannot_be_reached(oauth: OAuthClient) -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed_port = spare.getsockname()[1]
    info = {**connect(oauth).info, "revoke_uri": f"http://127.0.0.1:{closed_port}/revoke"}
    with pytest.raises(SourceUnavailableError, match="cannot be reached"):
        revoke(info)


def test_account_email_asks_drive_about_the_user(drive: FakeDrive, oauth: OAuthClient) -> None:
    drive.email = "studio@example.org"
    client = DriveClient(drive_service(credentials_from_info(connect(oauth).info), drive.api_endpoint))
    try:
        assert account_email(client) == "studio@example.org"
    finally:
        client.close()


# --- files


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_read_authorized_user_file(tmp_path: Path) -> None:
    info = {"type": "authorized_user", "client_id": "id", "client_secret": "secret", "refresh_token": "rt"}

    read = read_authorized_user_file(write_json(tmp_path / "user.json", info))

    assert read == {
        **info,
        "token_uri": "https://oauth2.googleapis.com/token",
        "revoke_uri": "https://oauth2.googleapis.com/revoke",
    }
    custom = {**info, "token_uri": "http://127.0.0.1:1/token"}
    assert read_authorized_user_file(write_json(tmp_path / "custom.json", custom))["token_uri"] == (
        "http://127.0.0.1:1/token"
    )


def test_read_authorized_user_file_names_missing_keys_never_values(tmp_path: Path) -> None:
    path = write_json(tmp_path / "user.json", {"client_id": "id-value", "client_secret": "secret-value"})
    with pytest.raises(InvalidInputError, match="lacks refresh_token") as caught:
        read_authorized_user_file(path)
    assert "secret-value" not in str(caught.value)
    assert "id-value" not in str(caught.value)

    with pytest.raises(InvalidInputError, match="client_id, client_secret, refresh_token"):
        read_authorized_user_file(write_json(tmp_path / "empty.json", {"client_id": ""}))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json {", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "service_account", "private_key": "k"}', "service_account"),
        ('{"web": {"client_id": "id", "client_secret": "s"}}', "OAuth client file"),
    ],
)
def test_read_authorized_user_file_refuses_other_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "user.json"
    path.write_text(content)
    with pytest.raises(InvalidInputError, match=message):
        read_authorized_user_file(path)


def test_read_authorized_user_file_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        read_authorized_user_file(tmp_path / "missing.json")


@pytest.mark.parametrize("kind", ["web", "installed"])
def test_from_secrets_file_reads_both_client_shapes(tmp_path: Path, kind: str) -> None:
    section = {
        "client_id": "123.apps.googleusercontent.com",
        "project_id": "eventface",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_secret": "GOCSPX-secret",
        "redirect_uris": [CALLBACK],
    }
    client = OAuthClient.from_secrets_file(write_json(tmp_path / "client_secret.json", {kind: section}))
    assert client == OAuthClient("123.apps.googleusercontent.com", "GOCSPX-secret")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"client_id": "id", "client_secret": "s"}, "neither a 'web' nor an 'installed'"),
        ({"web": {"client_id": "id"}}, "lacks client_secret"),
        ({"installed": "nonsense"}, "neither"),
    ],
)
def test_from_secrets_file_refuses_malformed_files(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        OAuthClient.from_secrets_file(write_json(tmp_path / "client_secret.json", data))
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(InvalidInputError, match="not JSON"):
        OAuthClient.from_secrets_file(tmp_path / "broken.json")
