"""Connecting a photographer's Google account: the OAuth 2.0 web flow, with PKCE, for read-only Drive.

The browser goes to `authorization_url`; Google sends it back to the redirect URI with a code that
`exchange_code` trades for a refresh token (the grant). `credentials_from_info` turns a stored grant
into google-auth credentials for `drive_service`; `revoke` ends it on Google's side.

The token and revoke requests are two form POSTs made here with urllib3 rather than through
oauthlib (google-auth-oauthlib's `Flow`): oauthlib refuses plain-http endpoints unless
OAUTHLIB_INSECURE_TRANSPORT is set, and raises when Google grants fewer scopes than asked unless
OAUTHLIB_RELAX_TOKEN_SCOPE is set, which granular consent makes an ordinary outcome. Doing the
two POSTs ourselves needs no process-wide environment variable, and checks the one scope that
matters (Drive) with a message the photographer can act on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import certifi
import urllib3
from google.auth import jwt
from google.auth.exceptions import GoogleAuthError
from google.oauth2.credentials import Credentials

from eventface.errors import (
    InvalidInputError,
    ReconnectNeededError,
    ScopeNotGrantedError,
    SourceUnavailableError,
)
from eventface.sources.drive import DriveClient

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive.readonly"
# full URLs, not the "email" shorthand: Google answers the granted scopes in this form
SCOPES = ("openid", "https://www.googleapis.com/auth/userinfo.email", DRIVE_SCOPE)
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URI = "https://oauth2.googleapis.com/revoke"
AUTHORIZED_USER_KEYS = ("client_id", "client_secret", "refresh_token")
PERMISSIONS_PAGE = "https://myaccount.google.com/permissions"
TIMEOUT = urllib3.Timeout(connect=10.0, read=30.0)
# a connection that failed may be tried again, but never a request that may have reached Google:
# an authorization code is single-use
RETRIES = urllib3.Retry(total=2, connect=2, read=0, status=0, other=0, redirect=False)


@dataclass(frozen=True)
class OAuthClient:
    """This server's OAuth client, as registered in the Google Cloud console."""

    client_id: str
    client_secret: str = field(repr=False)
    auth_uri: str = GOOGLE_AUTH_URI
    token_uri: str = GOOGLE_TOKEN_URI
    revoke_uri: str = GOOGLE_REVOKE_URI

    @classmethod
    def from_secrets_file(cls, path: Path) -> OAuthClient:
        """Reads the client_secret*.json the Google Cloud console downloads ("web" or "installed")."""
        data = _read_json_object(path, "an OAuth client file")
        section = data.get("web", data.get("installed"))
        if not isinstance(section, dict):
            raise InvalidInputError(
                f"{path} is not a Google OAuth client file: it has neither a 'web' nor an 'installed' "
                "client (download it from the Google Cloud console, APIs & Services > Credentials)"
            )
        _require_strings(section, ("client_id", "client_secret"), path)
        return cls(
            client_id=section["client_id"],
            client_secret=section["client_secret"],
            auth_uri=_optional_string(section, "auth_uri", GOOGLE_AUTH_URI),
            token_uri=_optional_string(section, "token_uri", GOOGLE_TOKEN_URI),
            revoke_uri=_optional_string(section, "revoke_uri", GOOGLE_REVOKE_URI),
        )


@dataclass(frozen=True)
class GoogleGrant:
    """What a photographer's consent gives: who they are, and what `credentials_from_info` needs."""

    email: str
    info: dict[str, str] = field(repr=False)  # holds the refresh token and client secret
    scopes: tuple[str, ...]


def authorization_url(client: OAuthClient, redirect_uri: str, state: str) -> tuple[str, str]:
    """(the URL to send the browser to, the PKCE code_verifier to keep in the session until the callback).

    access_type=offline with prompt=consent makes Google issue a refresh token every time, not only
    on the account's first consent."""
    code_verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(SCOPES),
        "state": state,
        "access_type": "offline",
        "prompt": "consent",
        "code_challenge": _code_challenge(code_verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in client.auth_uri else "?"
    return f"{client.auth_uri}{separator}{urlencode(params)}", code_verifier


def exchange_code(client: OAuthClient, redirect_uri: str, code: str, code_verifier: str) -> GoogleGrant:
    """Trades the code from Google's redirect for a grant. InvalidInputError, saying what to do,
    when Google refuses the code, sends no refresh token, or Drive access was not ticked."""
    status, answer = _post_form(
        client.token_uri,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "code_verifier": code_verifier,
        },
    )
    if status >= 500 or status == 429:
        raise SourceUnavailableError(f"Google's token endpoint answered {status}: try again later")
    if status != 200:
        raise InvalidInputError(_refusal(answer))
    # RFC 6749 §5.1: no `scope` in the answer means exactly the requested ones were granted
    scopes = tuple(str(answer.get("scope") or " ".join(SCOPES)).split())
    if DRIVE_SCOPE not in scopes:
        raise ScopeNotGrantedError(
            "Google Drive access was not granted: connect again and, on Google's consent screen, "
            "tick 'See and download all your Google Drive files'"
        )
    refresh_token = answer.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise InvalidInputError(
            "Google sent no refresh token: remove this app's access at "
            f"{PERMISSIONS_PAGE}, then connect again"
        )
    email = _id_token_email(answer.get("id_token"), client.client_id)
    info = _authorized_user_info(
        client_id=client.client_id,
        client_secret=client.client_secret,
        refresh_token=refresh_token,
        token_uri=client.token_uri,
        revoke_uri=client.revoke_uri,
    )
    return GoogleGrant(email=email, info=info, scopes=scopes)


def credentials_from_info(info: Mapping[str, str]) -> Credentials:
    """Refreshable credentials for Drive from authorized-user info (a stored grant, or the CLI's file).

    Built directly rather than with `Credentials.from_authorized_user_info`, which in current
    google-auth always uses Google's token URI: here the token endpoint is configuration."""
    missing = [key for key in AUTHORIZED_USER_KEYS if not info.get(key)]
    if missing:
        raise ReconnectNeededError(f"the stored Google grant lacks {', '.join(missing)}: reconnect Google")
    return Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=info["refresh_token"],
        token_uri=info.get("token_uri") or GOOGLE_TOKEN_URI,
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        # only what Drive reads need: refreshed access tokens are narrowed to it
        scopes=[DRIVE_SCOPE],
    )


def read_authorized_user_file(path: Path) -> dict[str, str]:
    """The authorized-user JSON google-auth reads (as written by `gcloud auth application-default
    login` or an earlier consent). InvalidInputError names missing keys, never values."""
    data = _read_json_object(path, "an authorized-user file")
    if "web" in data or "installed" in data:
        raise InvalidInputError(
            f"{path} is an OAuth client file (client_secret*.json), not an authorized-user file"
        )
    kind = data.get("type", "authorized_user")
    if kind != "authorized_user":
        raise InvalidInputError(
            f"{path} holds credentials of type {str(kind)!r}: eventface needs type 'authorized_user'"
        )
    _require_strings(data, AUTHORIZED_USER_KEYS, path)
    return _authorized_user_info(
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        refresh_token=data["refresh_token"],
        token_uri=_optional_string(data, "token_uri", GOOGLE_TOKEN_URI),
        revoke_uri=_optional_string(data, "revoke_uri", GOOGLE_REVOKE_URI),
    )


def revoke(info: Mapping[str, str]) -> None:
    """Ends the grant on Google's side (every token of it). A token Google already considers
    invalid counts as revoked; SourceUnavailableError when Google cannot be reached."""
    refresh_token = info.get("refresh_token")
    if not refresh_token:
        return  # nothing Google could still honour
    # the token goes in the form body, never the URL, which proxies and HTTP logs record
    status, answer = _post_form(info.get("revoke_uri") or GOOGLE_REVOKE_URI, {"token": refresh_token})
    if status == 200 or (status == 400 and answer.get("error") == "invalid_token"):
        return
    raise SourceUnavailableError(
        f"Google did not revoke the grant: it answered {status} {answer.get('error', '')}"
    )


def account_email(client: DriveClient) -> str:
    """The Drive account's email address, from about.get: for credentials that came without an id_token."""
    about = client.call(client.service.about().get(fields="user(emailAddress)"))
    email = about.get("user", {}).get("emailAddress")
    if not isinstance(email, str) or not email:
        raise SourceUnavailableError("Google Drive did not say which account it is")
    return email


def _code_challenge(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _post_form(url: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    """POSTs a form to one of Google's OAuth endpoints: (HTTP status, JSON object answered or {})."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    # certifi's roots, as googleapiclient's httplib2 uses for the Drive calls
    with urllib3.PoolManager(ca_certs=certifi.where()) as http:
        try:
            response = http.request(
                "POST", url, body=urlencode(form), headers=headers, timeout=TIMEOUT, retries=RETRIES
            )
        except urllib3.exceptions.HTTPError as exc:
            raise SourceUnavailableError(f"Google's sign-in service cannot be reached: {exc}") from exc
    try:
        answer = json.loads(response.data or b"{}")
    except ValueError:
        answer = {}
    return response.status, answer if isinstance(answer, dict) else {}


def _refusal(answer: Mapping[str, Any]) -> str:
    error = str(answer.get("error", "unknown_error"))
    description = answer.get("error_description")
    detail = f"{error}: {description}" if description else error
    if error == "invalid_grant":
        return f"Google did not accept this sign-in: it expired or was used already ({detail}): connect again"
    if error in ("invalid_client", "unauthorized_client"):
        return f"Google does not accept this server's OAuth client ({detail}): check its client id and secret"
    return f"Google refused the sign-in ({detail}): connect again"


def _id_token_email(id_token: object, client_id: str) -> str:
    if not isinstance(id_token, str) or not id_token:
        raise InvalidInputError("Google did not say which account this is: connect again and allow the email")
    # The id_token came straight from the token endpoint over TLS, so its signature need not be
    # checked (OpenID Connect Core §3.1.3.7, item 6): no fetch of Google's certificates.
    try:
        claims = jwt.decode(id_token, verify=False)  # type: ignore[no-untyped-call]
    except (ValueError, GoogleAuthError) as exc:
        raise InvalidInputError(
            "Google's answer held an id_token that cannot be read: connect again"
        ) from exc
    audience = claims.get("aud")
    if client_id not in (audience if isinstance(audience, list) else [audience]):
        raise InvalidInputError("Google's id_token was issued to another OAuth client: connect again")
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise InvalidInputError(
            "Google did not share the account's email address: connect again and allow it"
        )
    return email


def _authorized_user_info(
    *, client_id: str, client_secret: str, refresh_token: str, token_uri: str, revoke_uri: str
) -> dict[str, str]:
    return {
        "type": "authorized_user",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
        "token_uri": token_uri,
        "revoke_uri": revoke_uri,
    }


def _read_json_object(path: Path, what: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidInputError(f"{path} does not exist: give the path of {what}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path} cannot be read as {what}: {exc.__class__.__name__}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"{path} is not JSON, so not {what}") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path} is not {what}: it does not hold a JSON object")
    return data


def _require_strings(data: Mapping[str, Any], keys: tuple[str, ...], path: Path) -> None:
    missing = [key for key in keys if not isinstance(data.get(key), str) or not data[key]]
    if missing:
        raise InvalidInputError(f"{path} lacks {', '.join(missing)}")


def _optional_string(data: Mapping[str, Any], key: str, default: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) and value else default
