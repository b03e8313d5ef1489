"""A stateful fake of the Google Drive v3 REST API and Google's OAuth endpoints, over real HTTP.

The real google-api-python-client talks to it:

    with FakeDrive() as drive:
        service = build("drive", "v3", credentials=drive.credentials(), static_discovery=True,
                        client_options={"api_endpoint": drive.api_endpoint})

Served (paths as in googleapiclient's static discovery document, under `/drive/v3/`):
files.list, files.get (metadata, and `alt=media` content with `Range`), changes.getStartPageToken,
changes.list, changes.watch, channels.stop, about.get (the user only: `email`, `display_name`);
plus Google's OAuth endpoints: `GET /auth` (`auth_uri`), `POST /token` (`token_uri`: refresh_token
and authorization_code grants) and `POST /revoke` (`revoke_uri`).

Fidelity choices worth knowing:
- `fields` is honoured the way Drive does it: without `fields` a file has only kind, id, name and
  mimeType; with it, exactly the selected fields (`a,b(c,d),e/f`, `*`). Selecting a field the
  File/FileList/Change/ChangeList schema does not have answers 400 "Invalid field selection".
- `q` understands `'<id>' in parents`, `trashed = true|false`, `mimeType = | != | contains '<s>'`,
  `name = | != | contains '<s>'` (contains: case-insensitive substring), `and`, `or`, `not` and
  parentheses. Anything else answers 400 (reason "invalid", location "q") so a test notices;
  `orderBy` is refused the same way (the fake lists in creation order).
- files.list pages by creation order with keyset page tokens: a file added between two page
  requests (see `on_list_page`) shows up on a later page, and nothing is listed twice.
- The change log records a snapshot of the file's metadata at the time of each change. Trashing
  a folder trashes everything under it (each descendant gets a change); deleting a folder deletes
  everything under it (each gets a `removed` change). Trashed files are still visible to
  files.get and appear in changes with `removed: false` and `file.trashed: true`, as in Drive.
- A page token that is not valid (garbage, or issued before `expire_page_token()`) answers
  `INVALID_TOKEN_STATUS` (400) with reason "invalid", message "Invalid Value", location
  "pageToken": that is what Drive answers for a page token it cannot use (Drive documents that
  change page tokens do not expire, so a stale cursor shows up as an invalid value, not a 404/410).
- Watch notifications are never sent by the fake on its own (not even Drive's initial "sync"
  message): a test calls `notify()`.
- `GET /auth` is the consent screen with the photographer clicking Allow at once: it checks
  client_id, redirect_uri, response_type=code and scope, then answers 302 to
  `redirect_uri?code=...&scope=<granted>&state=...`. Each code is new, single-use, and bound to
  that redirect_uri and PKCE `code_challenge` (S256 or plain), which /token checks against
  `code_verifier`. `deny_next_consent()` makes the next visit come back with error=access_denied,
  `untick_drive_next_consent()` grants everything asked but Drive (granular consent). The static
  `auth_code` is a reusable shortcut for tests that skip the browser: it grants openid, email and
  `scope`, with no PKCE check.
- An authorization_code grant answers a new refresh token, `scope` (what was granted) and, when
  openid was granted, an `id_token`: a JWT signed HS256 with the client secret (Google signs RS256;
  nobody checks the signature of an id_token that came straight from /token), with claims iss, aud
  (client_id), azp, sub, email (`email`), email_verified, iat and exp.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import random
import re
import socket
import string
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, NamedTuple, Self
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import googleapiclient
import httpx
from google.oauth2.credentials import Credentials

FOLDER_MIME = "application/vnd.google-apps.folder"
GOOGLE_APPS_PREFIX = "application/vnd.google-apps."
ROOT_ID = "root"
API_PREFIX = "/drive/v3/"
DEFAULT_SCOPE = "https://www.googleapis.com/auth/drive.readonly"
# what a consent grants beside Drive when the static `auth_code` is exchanged
SIGN_IN_SCOPES = ("openid", "https://www.googleapis.com/auth/userinfo.email")
DRIVE_SCOPE_PREFIX = "https://www.googleapis.com/auth/drive"
GOOGLE_ISSUER = "https://accounts.google.com"
ACCESS_TOKEN_LIFETIME = 3600
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
# Drive's default expiry for a changes channel, and the longest it grants
DEFAULT_CHANNEL_SECONDS = 3600
MAX_CHANNEL_SECONDS = 7 * 24 * 3600
SHUTDOWN_POLL_S = 0.005  # how often the serving loop looks whether to stop: at 0.05, most of a teardown

Selection = dict[str, "Selection | None"]  # a parsed `fields` value; None selects a whole value
Predicate = Callable[["_File"], bool]

_DEFAULT_FIELDS = {
    "FileList": "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)",
    "File": "kind,id,name,mimeType",
    "ChangeList": (
        "kind,nextPageToken,newStartPageToken,"
        "changes(kind,changeType,time,removed,fileId,file(kind,id,name,mimeType))"
    ),
    "StartPageToken": "kind,startPageToken",
}
_REASONS: dict[int, tuple[str, str]] = {
    400: ("badRequest", "Bad Request"),
    401: ("authError", "Invalid Credentials"),
    403: ("forbidden", "Forbidden"),
    404: ("notFound", "Not Found"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
}
_REASON_MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "dailyLimitExceeded": "Daily Limit Exceeded",
    "backendError": "Backend Error",
}
_USAGE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"})
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
_REALM = 'Bearer realm="https://accounts.google.com/"'


class RecordedRequest(NamedTuple):
    """One request the fake received: its method, path and query (last value of each name)."""

    method: str
    path: str
    query: dict[str, str]


@dataclass(frozen=True)
class ListPage:
    """A files.list page the fake has computed, handed to the `on_list_page` callback."""

    number: int  # 1 for a request without pageToken, then 2, 3, ... along the token chain
    q: str | None
    file_ids: list[str]
    next_page_token: str | None


@dataclass(frozen=True)
class WatchChannel:
    """A notification channel opened by changes.watch and not stopped yet."""

    id: str
    resource_id: str
    address: str
    token: str | None
    expiration: str  # milliseconds since the epoch, as Drive writes it
    page_token: str


@dataclass(frozen=True)
class _Consent:
    """What one visit to /auth granted, kept until its code is exchanged at /token."""

    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str

    def verifies(self, code_verifier: str | None) -> bool:
        if self.code_challenge is None:
            return True
        if not code_verifier:
            return False
        if self.code_challenge_method == "S256":
            digest = hashlib.sha256(code_verifier.encode()).digest()
            return _b64url(digest) == self.code_challenge
        return code_verifier == self.code_challenge


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class _File:
    id: str
    name: str
    mime_type: str
    parent: str | None
    content: bytes
    created: str
    modified: str
    seq: int
    explicitly_trashed: bool = False
    trashed: bool = False
    version: int = 1

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME

    def metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "trashed": self.trashed,
            "explicitlyTrashed": self.explicitly_trashed,
            "createdTime": self.created,
            "modifiedTime": self.modified,
            "version": str(self.version),
            "spaces": ["drive"],
            "ownedByMe": True,
        }
        if self.parent is not None:
            data["parents"] = [self.parent]
        if not self.mime_type.startswith(GOOGLE_APPS_PREFIX):
            data["md5Checksum"] = hashlib.md5(self.content).hexdigest()
            data["size"] = str(len(self.content))
            data["originalFilename"] = self.name
        return data


@dataclass(frozen=True)
class _Change:
    position: int
    file_id: str
    time: str
    file: dict[str, Any] | None  # None: permanently deleted

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "drive#change",
            "changeType": "file",
            "fileId": self.file_id,
            "removed": self.file is None,
            "time": self.time,
        }
        if self.file is not None:
            data["file"] = self.file
        return data


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: object, headers: dict[str, str] | None = None) -> _Response:
        return cls(
            status,
            json.dumps(data).encode(),
            {"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
        )


class _ApiError(Exception):
    """Ends a request early with this response."""

    def __init__(self, response: _Response) -> None:
        super().__init__(response.status)
        self.response = response


def drive_error(
    status: int,
    reason: str | None = None,
    message: str | None = None,
    *,
    location: str | None = None,
    location_type: str = "parameter",
    headers: dict[str, str] | None = None,
) -> _Response:
    """A response with Drive's error body: {"error": {"code", "message", "errors": [...]}}."""
    default_reason, default_message = _REASONS.get(status, ("backendError", HTTPStatus(status).phrase))
    reason = reason or default_reason
    message = message or _REASON_MESSAGES.get(reason) or default_message
    detail: dict[str, str] = {
        "message": message,
        "domain": "usageLimits" if reason in _USAGE_LIMIT_REASONS else "global",
        "reason": reason,
    }
    if location is not None:
        detail["location"] = location
        detail["locationType"] = location_type
    body = {"error": {"code": status, "message": message, "errors": [detail]}}
    return _Response.json(status, body, headers)


def _invalid(location: str, message: str = "Invalid Value") -> _ApiError:
    return _ApiError(drive_error(400, "invalid", message, location=location))


def _required(name: str) -> _ApiError:
    return _ApiError(drive_error(400, "required", f"Required parameter: {name}", location=name))


# --- fields: Drive's partial-response selections ------------------------------------------------


@cache
def _schemas() -> dict[str, Any]:
    """The Drive v3 schemas from googleapiclient's own static discovery document."""
    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "drive.v3.json"
    schemas: dict[str, Any] = json.loads(path.read_text())["schemas"]
    return schemas


_FIELD_PATH = re.compile(r"[A-Za-z0-9_$.*-]+(?:/[A-Za-z0-9_$.*-]+)*")


def _parse_fields(text: str) -> Selection:
    """Parses `a,b(c,d),e/f` into {"a": None, "b": {"c": None, "d": None}, "e": {"f": None}}."""
    compact = re.sub(r"\s+", "", text)
    selection, position = _parse_selection(compact, 0, nested=False)
    if position != len(compact):
        raise _invalid_fields(compact[position:])
    return selection


def _parse_selection(text: str, position: int, *, nested: bool) -> tuple[Selection, int]:
    selection: Selection = {}
    while True:
        match = _FIELD_PATH.match(text, position)
        if match is None:
            raise _invalid_fields(text[position:] or text)
        path = match.group().split("/")
        position = match.end()
        sub: Selection | None = None
        if text.startswith("(", position):
            sub, position = _parse_selection(text, position + 1, nested=True)
            if not text.startswith(")", position):
                raise _invalid_fields(text)
            position += 1
        _merge_path(selection, path, sub)
        if text.startswith(",", position):
            position += 1
            continue
        if nested and not text.startswith(")", position):
            raise _invalid_fields(text)
        return selection, position


def _merge_path(selection: Selection, path: list[str], sub: Selection | None) -> None:
    head, *rest = path
    if not rest:
        if head in selection and (selection[head] is None or sub is None):
            selection[head] = None
        elif head in selection:
            existing = selection[head]
            assert existing is not None and sub is not None
            for name, value in sub.items():
                _merge_path(existing, [name], value)
        else:
            selection[head] = sub
        return
    existing = selection.get(head, {})
    if existing is None:  # already selected whole
        return
    selection[head] = existing
    _merge_path(existing, rest, sub)


def _invalid_fields(fragment: str) -> _ApiError:
    return _invalid("fields", f"Invalid field selection {fragment}")


def _check_selection(selection: Selection, schema: dict[str, Any]) -> None:
    properties: dict[str, Any] = schema.get("properties", {})
    for name, sub in selection.items():
        if name == "*":
            continue
        prop = properties.get(name)
        if prop is None:
            raise _invalid_fields(name)
        if sub is None:
            continue
        target = _resolve(prop)
        if target is None:
            raise _invalid_fields(name)  # a selection inside a string, number or boolean
        if "properties" in target:
            _check_selection(sub, target)
        # maps (additionalProperties) take any key


def _resolve(prop: dict[str, Any]) -> dict[str, Any] | None:
    if prop.get("type") == "array":
        return _resolve(prop["items"])
    if "$ref" in prop:
        schema: dict[str, Any] = _schemas()[prop["$ref"]]
        return schema
    if "properties" in prop or "additionalProperties" in prop:
        return prop
    return None


def _apply_selection(value: Any, selection: Selection | None) -> Any:
    if selection is None:
        return value
    if isinstance(value, list):
        return [_apply_selection(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    if "*" in selection:
        return {name: _apply_selection(item, selection.get(name)) for name, item in value.items()}
    return {name: _apply_selection(value[name], sub) for name, sub in selection.items() if name in value}


def _select(data: dict[str, Any], fields: str | None, schema_name: str) -> dict[str, Any]:
    selection = _parse_fields(fields if fields is not None else _DEFAULT_FIELDS[schema_name])
    _check_selection(selection, _schemas()[schema_name])
    selected: dict[str, Any] = _apply_selection(data, selection)
    return selected


# --- q: Drive's search query language, the part eventface uses ----------------------------------

_Q_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<op>!=|<=|>=|=|<|>)|(?P<paren>[()])|(?P<word>[A-Za-z_][\w.]*))"
)


class _QueryError(Exception):
    pass


class _Token(NamedTuple):
    kind: str  # str, op, paren, word
    value: str


def _tokenize(q: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while q[position:].strip():
        match = _Q_TOKEN.match(q, position)
        if match is None or match.lastgroup is None:
            raise _QueryError(f"cannot read {q[position:]!r}")
        value = match.group(match.lastgroup)
        if match.lastgroup == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(_Token(match.lastgroup, value))
        position = match.end()
    return tokens


class _QueryParser:
    """expr := and ('or' and)* ; and := unary ('and' unary)* ; unary := 'not' unary | '(' expr ')' | term"""

    def __init__(self, q: str) -> None:
        self.tokens = _tokenize(q)
        self.position = 0

    def parse(self) -> Predicate:
        if not self.tokens:
            raise _QueryError("empty query")
        predicate = self._or()
        if self.position != len(self.tokens):
            raise _QueryError(f"unexpected {self.tokens[self.position].value!r}")
        return predicate

    def _peek_word(self, *words: str) -> bool:
        if self.position >= len(self.tokens):
            return False
        token = self.tokens[self.position]
        return token.kind == "word" and token.value.lower() in words

    def _next(self) -> _Token:
        if self.position >= len(self.tokens):
            raise _QueryError("query ends too early")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _expect(self, kind: str, *values: str) -> _Token:
        token = self._next()
        if token.kind != kind or (values and token.value.lower() not in values):
            raise _QueryError(f"expected {values or kind}, got {token.value!r}")
        return token

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek_word("or"):
            self.position += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda f: any(p(f) for p in parts)

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._peek_word("and"):
            self.position += 1
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else lambda f: all(p(f) for p in parts)

    def _unary(self) -> Predicate:
        if self._peek_word("not"):
            self.position += 1
            inner = self._unary()
            return lambda f: not inner(f)
        token = self._next()
        if token == _Token("paren", "("):
            inner = self._or()
            self._expect("paren", ")")
            return inner
        return self._term(token)

    def _term(self, token: _Token) -> Predicate:
        if token.kind == "str":
            self._expect("word", "in")
            self._expect("word", "parents")
            parent = token.value
            return lambda f: f.parent == parent
        if token.kind != "word":
            raise _QueryError(f"unexpected {token.value!r}")
        if token.value == "trashed":
            op = self._expect("op", "=", "!=").value
            literal = self._expect("word", "true", "false").value.lower() == "true"
            wanted = literal if op == "=" else not literal
            return lambda f: f.trashed == wanted
        if token.value in ("mimeType", "name"):
            attribute = "mime_type" if token.value == "mimeType" else "name"
            op_token = self._next()
            if op_token.kind == "word" and op_token.value.lower() == "contains":
                needle = self._expect("str").value
                if attribute == "name":
                    return lambda f: needle.lower() in f.name.lower()
                return lambda f: needle in f.mime_type
            if op_token.kind != "op" or op_token.value not in ("=", "!="):
                raise _QueryError(f"operator {op_token.value!r} is not supported for {token.value}")
            value = self._expect("str").value
            if op_token.value == "=":
                return lambda f: getattr(f, attribute) == value
            return lambda f: getattr(f, attribute) != value
        raise _QueryError(f"the fake does not support the query term {token.value!r}")


# --- the HTTP server ------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as googleapiclient's httplib2 expects
    server: _Server

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(url.query, keep_blank_values=True).items()}
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = _Request(method, url.path, query, headers, body)
        response = self.server.fake._handle(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: FakeDrive.requests records every request


class _Server(ThreadingHTTPServer):
    """One daemon thread per connection, each tracked so that stop() can end and join them all."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeDrive) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self._lock = threading.Lock()
        self._connections: dict[Any, threading.Thread] = {}

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), daemon=True, name="fake-drive"
        )
        with self._lock:
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away, or stop() closed the connection
        super().handle_error(request, client_address)

    def close_connections(self, timeout: float = 5.0) -> None:
        with self._lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in connections:
            thread.join(timeout)


class FakeDrive:
    """A stateful Google Drive v3 + OAuth fake on a free 127.0.0.1 port (see the module docstring)."""

    # changes.list / changes.watch with a page token that is not valid (see the module docstring)
    INVALID_TOKEN_STATUS: ClassVar[int] = 400
    INVALID_TOKEN_REASON: ClassVar[str] = "invalid"

    def __init__(
        self,
        *,
        static_token: str | None = "test-token",
        refresh_token: str = "test-refresh-token",
        client_id: str = "test-client-id",
        client_secret: str = "test-client-secret",
        auth_code: str = "test-auth-code",
        scope: str = DEFAULT_SCOPE,
        email: str = "photographer@example.com",
        display_name: str = "Pat Photographer",
        seed: int | None = None,
    ) -> None:
        self.static_token = static_token
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.auth_code = auth_code
        self.scope = scope
        self.email = email  # the Google account: in id_tokens and about.get
        self.display_name = display_name
        self.errors: list[str] = []  # tracebacks of exceptions inside the fake (answered with 500)
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._files: dict[str, _File] = {}
        self._seq = 0
        self._changes: list[_Change] = []
        self._next_position = 1
        self._oldest_valid_position = 1
        self._last_time = datetime.fromtimestamp(0, UTC)
        self._static_valid = static_token is not None
        self._access_tokens: set[str] = set()
        self._refresh_tokens: set[str] = {refresh_token}
        self._grants = 0
        self._codes_issued = 0
        self._consents: dict[str, _Consent] = {}  # codes issued by /auth and not exchanged yet
        self._next_consent = "allow"  # or "deny", "untick_drive": see deny_next_consent()
        self._failures: list[tuple[int, str | None]] = []
        self._requests: list[RecordedRequest] = []
        self._channels: dict[str, WatchChannel] = {}
        self._message_numbers: dict[str, int] = {}
        self._list_page_callback: Callable[[ListPage], None] | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        now = self._now()
        self._files[ROOT_ID] = _File(ROOT_ID, "My Drive", FOLDER_MIME, None, b"", now, now, seq=0)

    # --- lifecycle

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("FakeDrive is already running")
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_S},
            daemon=True,
            name="fake-drive",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeDrive is not running: call start()")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_endpoint(self) -> str:
        """The `api_endpoint` client option for googleapiclient: the whole base URL, /drive/v3/."""
        return f"{self.base_url}{API_PREFIX}"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def revoke_uri(self) -> str:
        return f"{self.base_url}/revoke"

    @property
    def auth_uri(self) -> str:
        """Google's authorization endpoint (the consent screen): see the module docstring."""
        return f"{self.base_url}/auth"

    def credentials(self, *, refreshable: bool = True) -> Credentials:
        """Credentials holding the static access token; with `refreshable`, also this fake's refresh
        token, client and token URI, so that google-auth refreshes against /token after a 401."""
        if not refreshable:
            return Credentials(token=self.static_token)  # type: ignore[no-untyped-call]
        return Credentials(  # type: ignore[no-untyped-call]
            token=self.static_token,
            refresh_token=self.refresh_token,
            token_uri=self.token_uri,
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=self.scope.split(),
        )

    # --- test helpers: state

    def add_folder(self, name: str, parent: str = ROOT_ID) -> str:
        return self._add(parent, name, b"", FOLDER_MIME)

    def add_photo(self, parent: str, name: str, data: bytes, mime: str = "image/jpeg") -> str:
        return self._add(parent, name, data, mime)

    def add_file(self, parent: str, name: str, data: bytes, mime: str = "application/octet-stream") -> str:
        return self._add(parent, name, data, mime)

    def update_content(self, file_id: str, data: bytes, mime: str | None = None) -> None:
        with self._lock:
            file = self._file(file_id)
            if file.is_folder:
                raise ValueError(f"{file_id} is a folder")
            file.content = data
            file.mime_type = mime or file.mime_type
            self._touch(file)

    def rename(self, file_id: str, name: str) -> None:
        with self._lock:
            file = self._file(file_id)
            file.name = name
            self._touch(file)

    def move(self, file_id: str, new_parent: str) -> None:
        with self._lock:
            file = self._file(file_id)
            self._folder(new_parent)
            if new_parent in self._subtree(file_id):
                raise ValueError(f"cannot move {file_id} into itself")
            file.parent = new_parent
            self._touch(file, record=False)
            self._update_trash(file_id)

    def trash(self, file_id: str) -> None:
        with self._lock:
            self._file(file_id).explicitly_trashed = True
            self._update_trash(file_id)

    def untrash(self, file_id: str) -> None:
        with self._lock:
            self._file(file_id).explicitly_trashed = False
            self._update_trash(file_id)

    def delete(self, file_id: str) -> None:
        """Deletes permanently, a folder with everything under it: each gets a `removed` change."""
        with self._lock:
            self._file(file_id)
            for gone in reversed(self._subtree(file_id)):
                del self._files[gone]
                self._record_change(gone, None)

    def metadata(self, file_id: str) -> dict[str, Any]:
        """All the metadata the fake keeps for a file, as files.get with fields='*' answers it."""
        with self._lock:
            return self._file(file_id).metadata()

    def content(self, file_id: str) -> bytes:
        with self._lock:
            return self._file(file_id).content

    def md5(self, file_id: str) -> str:
        return hashlib.md5(self.content(file_id)).hexdigest()

    @property
    def page_token(self) -> str:
        """What changes.getStartPageToken answers now."""
        with self._lock:
            return str(self._next_position)

    def expire_page_token(self) -> None:
        """Every changes page token issued so far becomes invalid (INVALID_TOKEN_STATUS)."""
        with self._lock:
            self._next_position += 1  # skip one position, so no new token equals an old one
            self._oldest_valid_position = self._next_position

    # --- test helpers: failures, auth, observation

    def fail_next(self, status: int, count: int = 1, reason: str | None = None) -> None:
        """The next `count` Drive API requests (not /token) answer `status` with Drive's error body;
        e.g. 429, 500, 503, or 403 with reason "rateLimitExceeded" / "userRateLimitExceeded"."""
        if status < 400:
            raise ValueError("fail_next needs an error status")
        with self._lock:
            self._failures.extend([(status, reason)] * count)

    def revoke(self) -> None:
        """The user revoked access: every access token (the static one too) answers 401 and the
        refresh token answers invalid_grant. Only an authorization_code exchange grants again."""
        with self._lock:
            self._access_tokens.clear()
            self._refresh_tokens.clear()
            self._static_valid = False

    def deny_next_consent(self) -> None:
        """The next visit to /auth is the photographer clicking Cancel: 302 with error=access_denied."""
        with self._lock:
            self._next_consent = "deny"

    def untick_drive_next_consent(self) -> None:
        """At the next visit to /auth the photographer unticks Drive on Google's granular consent
        screen: the code grants every scope asked except the Drive ones."""
        with self._lock:
            self._next_consent = "untick_drive"

    def expire_access_tokens(self) -> None:
        """Every access token (the static one too) answers 401; refresh tokens still work."""
        with self._lock:
            self._access_tokens.clear()
            self._static_valid = False

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def on_list_page(self, callback: Callable[[ListPage], None] | None) -> None:
        """Calls `callback` for each files.list page once it is computed and before it is sent, so
        whatever the callback changes is what the next page request sees. None removes it."""
        with self._lock:
            self._list_page_callback = callback

    @property
    def channels(self) -> list[WatchChannel]:
        with self._lock:
            return list(self._channels.values())

    def notify(self, channel_id: str, state: str = "change") -> int:
        """POSTs a Drive push notification to the channel's address; answers the HTTP status."""
        with self._lock:
            channel = self._channels[channel_id]
            number = self._message_numbers.get(channel_id, 0) + 1
            self._message_numbers[channel_id] = number
        expiration = datetime.fromtimestamp(int(channel.expiration) / 1000, UTC)
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": format_datetime(expiration, usegmt=True),
            "X-Goog-Resource-State": state,
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": self._resource_uri(channel.page_token),
            "X-Goog-Message-Number": str(number),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        with httpx.Client(timeout=5.0) as client:
            return client.post(channel.address, headers=headers, content=b"").status_code

    # --- state internals (callers hold the lock)

    def _now(self) -> str:
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if now <= self._last_time:
            now = self._last_time + timedelta(milliseconds=1)
        self._last_time = now
        return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond // 1000:03d}Z"

    def _new_id(self) -> str:
        while True:
            file_id = "1" + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(32))
            if file_id not in self._files:
                return file_id

    def _file(self, file_id: str) -> _File:
        try:
            return self._files[file_id]
        except KeyError:
            raise KeyError(f"no file {file_id!r} in the fake Drive") from None

    def _folder(self, file_id: str) -> _File:
        folder = self._file(file_id)
        if not folder.is_folder:
            raise ValueError(f"{file_id} is not a folder")
        return folder

    def _add(self, parent: str, name: str, data: bytes, mime: str) -> str:
        with self._lock:
            folder = self._folder(parent)
            self._seq += 1
            now = self._now()
            file = _File(self._new_id(), name, mime, parent, data, now, now, seq=self._seq)
            file.trashed = folder.trashed
            self._files[file.id] = file
            self._record_change(file.id, file)
            return file.id

    def _touch(self, file: _File, *, record: bool = True) -> None:
        file.version += 1
        file.modified = self._now()
        if record:
            self._record_change(file.id, file)

    def _record_change(self, file_id: str, file: _File | None) -> None:
        snapshot = file.metadata() if file is not None else None
        self._changes.append(_Change(self._next_position, file_id, self._now(), snapshot))
        self._next_position += 1

    def _subtree(self, file_id: str) -> list[str]:
        """file_id and everything under it, parents before children."""
        order = [file_id]
        for current in order:
            order.extend(f.id for f in self._files.values() if f.parent == current)
        return order

    def _update_trash(self, file_id: str) -> None:
        """Recomputes `trashed` under file_id; file_id always gets a change, others when they flip."""
        for current in self._subtree(file_id):
            file = self._files[current]
            parent = self._files.get(file.parent) if file.parent is not None else None
            trashed = file.explicitly_trashed or (parent is not None and parent.trashed)
            if trashed != file.trashed or current == file_id:
                file.trashed = trashed
                file.version += 1
                self._record_change(current, file)

    def _resource_uri(self, page_token: str) -> str:
        query = urlencode({"alt": "json", "pageToken": page_token})
        return f"{self.base_url}{API_PREFIX}changes?{query}"

    # --- HTTP

    def _handle(self, request: _Request) -> _Response:
        with self._lock:
            self._requests.append(RecordedRequest(request.method, request.path, dict(request.query)))
        try:
            if request.path == "/auth" and request.method == "GET":
                return self._authorize(request.query)
            if request.path == "/token" and request.method == "POST":
                return self._token(request)
            if request.path == "/revoke" and request.method == "POST":
                return self._revoke_endpoint(request)
            if request.path.startswith(API_PREFIX):
                self._authenticate(request)
                self._injected_failure()
                return self._api(request, unquote(request.path[len(API_PREFIX) :]))
            return drive_error(404, message=f"No such endpoint: {request.method} {request.path}")
        except _ApiError as error:
            return error.response
        except Exception:
            self.errors.append(traceback.format_exc())
            return drive_error(500)

    def _authenticate(self, request: _Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _ApiError(
                drive_error(
                    401,
                    "required",
                    "Login Required.",
                    location="Authorization",
                    location_type="header",
                    headers={"WWW-Authenticate": _REALM},
                )
            )
        with self._lock:
            valid = token in self._access_tokens or (self._static_valid and token == self.static_token)
        if not valid:
            raise _ApiError(
                drive_error(
                    401,
                    "authError",
                    "Invalid Credentials",
                    location="Authorization",
                    location_type="header",
                    headers={"WWW-Authenticate": f'{_REALM}, error="invalid_token"'},
                )
            )

    def _injected_failure(self) -> None:
        with self._lock:
            if not self._failures:
                return
            status, reason = self._failures.pop(0)
        raise _ApiError(drive_error(status, reason))

    def _api(self, request: _Request, route: str) -> _Response:
        method = request.method
        if method == "GET" and route == "files":
            return self._files_list(request.query)
        if method == "GET" and route.startswith("files/") and route.count("/") == 1:
            return self._files_get(route.removeprefix("files/"), request)
        if method == "GET" and route == "changes/startPageToken":
            data = {"kind": "drive#startPageToken", "startPageToken": self.page_token}
            return _Response.json(200, _select(data, request.query.get("fields"), "StartPageToken"))
        if method == "GET" and route == "changes":
            return self._changes_list(request.query)
        if method == "POST" and route == "changes/watch":
            return self._changes_watch(request)
        if method == "POST" and route == "channels/stop":
            return self._channels_stop(request)
        if method == "GET" and route == "about":
            return self._about(request.query)
        return drive_error(404, message=f"The fake Drive does not serve {method} {API_PREFIX}{route}")

    def _page_size(self, query: dict[str, str]) -> int:
        raw = query.get("pageSize", str(DEFAULT_PAGE_SIZE))
        try:
            size = int(raw)
        except ValueError:
            raise _invalid("pageSize", f"Invalid value '{raw}'. Values must match the format int32") from None
        if size < 1:
            raise _invalid("pageSize")
        return min(size, MAX_PAGE_SIZE)  # Drive coerces values above 1000 to 1000

    def _files_list(self, query: dict[str, str]) -> _Response:
        if query.get("orderBy"):
            raise _invalid("orderBy", "orderBy is not supported by the fake Drive")
        q = query.get("q") or None
        try:
            predicate = _QueryParser(q).parse() if q is not None else None
        except _QueryError:
            raise _invalid("q") from None
        page_size = self._page_size(query)
        number, after = self._decode_list_token(query.get("pageToken"), q)
        with self._lock:
            matching = [
                f
                for f in sorted(self._files.values(), key=lambda f: f.seq)
                if f.id != ROOT_ID and f.seq > after and (predicate is None or predicate(f))
            ]
            page = matching[:page_size]
            data: dict[str, Any] = {
                "kind": "drive#fileList",
                "incompleteSearch": False,
                "files": [f.metadata() for f in page],
            }
            callback = self._list_page_callback
        next_token = None
        if len(matching) > page_size:
            next_token = self._encode_list_token(number + 1, page[-1].seq, q)
            data["nextPageToken"] = next_token
        body = _select(data, query.get("fields"), "FileList")
        if callback is not None:
            callback(ListPage(number, q, [f.id for f in page], next_token))
        return _Response.json(200, body)

    @staticmethod
    def _encode_list_token(number: int, after: int, q: str | None) -> str:
        raw = json.dumps([number, after, hashlib.sha256((q or "").encode()).hexdigest()[:12]])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def _decode_list_token(token: str | None, q: str | None) -> tuple[int, int]:
        if not token:
            return 1, 0
        try:
            padded = token + "=" * (-len(token) % 4)
            number, after, q_hash = json.loads(base64.urlsafe_b64decode(padded))
            if q_hash != hashlib.sha256((q or "").encode()).hexdigest()[:12]:
                raise ValueError("the page token belongs to another query")
            return int(number), int(after)
        except ValueError:
            raise _invalid("pageToken") from None

    def _files_get(self, file_id: str, request: _Request) -> _Response:
        with self._lock:
            file = self._files.get(file_id)
            if file is None:
                message = f"File not found: {file_id}."
                raise _ApiError(drive_error(404, "notFound", message, location="fileId"))
            metadata = file.metadata()
            content = file.content
        if request.query.get("alt") != "media":
            return _Response.json(200, _select(metadata, request.query.get("fields"), "File"))
        if file.mime_type.startswith(GOOGLE_APPS_PREFIX):
            message = "Only files with binary content can be downloaded. Use Export with Docs Editors files."
            raise _ApiError(drive_error(403, "fileNotDownloadable", message, location="alt"))
        return self._media(content, file.mime_type, request.headers.get("range"))

    @staticmethod
    def _media(content: bytes, mime: str, range_header: str | None) -> _Response:
        total = len(content)
        match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", range_header or "")
        if match is None or match.groups() == ("", ""):
            return _Response(200, content, {"Content-Type": mime})  # no Range, or one we do not read
        first, last = match.groups()
        if first == "":  # the last N bytes
            start, end = max(total - int(last), 0), total - 1
        else:
            start = int(first)
            end = min(int(last), total - 1) if last else total - 1
        if start >= total or end < start:
            return _Response(416, b"", {"Content-Range": f"bytes */{total}"})
        headers = {"Content-Type": mime, "Content-Range": f"bytes {start}-{end}/{total}"}
        return _Response(206, content[start : end + 1], headers)

    def _change_position(self, token: str | None) -> int:
        if token is None or token == "":
            raise _required("pageToken")
        if not token.isdigit():
            raise _invalid("pageToken")
        position = int(token)
        with self._lock:
            if not self._oldest_valid_position <= position <= self._next_position:
                raise _invalid("pageToken")
        return position

    def _changes_list(self, query: dict[str, str]) -> _Response:
        position = self._change_position(query.get("pageToken"))
        page_size = self._page_size(query)
        include_removed = query.get("includeRemoved", "true").lower() != "false"
        with self._lock:
            pending = [c for c in self._changes if c.position >= position]
            page = pending[:page_size]
            data: dict[str, Any] = {
                "kind": "drive#changeList",
                "changes": [c.as_json() for c in page if include_removed or c.file is not None],
            }
            if len(pending) > page_size:
                data["nextPageToken"] = str(pending[page_size].position)
            else:
                data["newStartPageToken"] = str(self._next_position)
        return _Response.json(200, _select(data, query.get("fields"), "ChangeList"))

    @staticmethod
    def _json_body(request: _Request) -> dict[str, Any]:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise _ApiError(drive_error(400, "parseError", "Parse Error")) from None
        if not isinstance(body, dict):
            raise _ApiError(drive_error(400, "parseError", "Parse Error"))
        return body

    def _changes_watch(self, request: _Request) -> _Response:
        page_token = request.query.get("pageToken")
        self._change_position(page_token)
        assert page_token is not None
        body = self._json_body(request)
        channel_id, address = body.get("id"), body.get("address")
        if not channel_id:
            raise _required("id")
        if body.get("type") not in ("web_hook", "webhook"):
            raise _invalid("type", f"Invalid value for channel type: {body.get('type')!r}")
        if not address:
            raise _required("address")
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        requested = body.get("expiration")
        expiration = int(requested) if requested else now_ms + DEFAULT_CHANNEL_SECONDS * 1000
        expiration = min(expiration, now_ms + MAX_CHANNEL_SECONDS * 1000)
        with self._lock:
            if channel_id in self._channels:
                raise _ApiError(
                    drive_error(
                        400, "channelIdNotUnique", f"Channel id {channel_id} not unique", location="id"
                    )
                )
            resource_id = "".join(self._rng.choice(_ID_ALPHABET) for _ in range(27))
            channel = WatchChannel(
                id=str(channel_id),
                resource_id=resource_id,
                address=str(address),
                token=body.get("token"),
                expiration=str(expiration),
                page_token=page_token,
            )
            self._channels[channel.id] = channel
        data: dict[str, Any] = {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": self._resource_uri(page_token),
            "expiration": channel.expiration,
        }
        if channel.token is not None:
            data["token"] = channel.token
        return _Response.json(200, data)

    def _channels_stop(self, request: _Request) -> _Response:
        body = self._json_body(request)
        channel_id, resource_id = body.get("id"), body.get("resourceId")
        with self._lock:
            channel = self._channels.get(str(channel_id))
            if channel is None or channel.resource_id != resource_id:
                message = f"Channel '{channel_id}' not found for project 'fake-drive'"
                raise _ApiError(drive_error(404, "notFound", message))
            del self._channels[channel.id]
            self._message_numbers.pop(channel.id, None)
        return _Response(204)

    def _about(self, query: dict[str, str]) -> _Response:
        fields = query.get("fields")
        if not fields:  # Drive requires a selection for about.get
            message = "The 'fields' parameter is required for this method."
            raise _ApiError(drive_error(400, "required", message, location="fields"))
        user = {
            "kind": "drive#user",
            "displayName": self.display_name,
            "emailAddress": self.email,
            "me": True,
            "permissionId": self._subject()[:20],
        }
        return _Response.json(200, _select({"kind": "drive#about", "user": user}, fields, "About"))

    # --- OAuth

    @staticmethod
    def _form(request: _Request) -> dict[str, str]:
        if request.headers.get("content-type", "").startswith("application/json"):
            data = json.loads(request.body or b"{}")
            return {str(k): str(v) for k, v in data.items()}
        parsed = parse_qs(request.body.decode(), keep_blank_values=True)
        return {name: values[-1] for name, values in parsed.items()}

    @staticmethod
    def _oauth_error(status: int, error: str, description: str) -> _Response:
        return _Response.json(status, {"error": error, "error_description": description})

    def _authorize(self, query: dict[str, str]) -> _Response:
        """The consent screen, answered at once (see the module docstring)."""
        if query.get("client_id") != self.client_id:
            return self._oauth_error(401, "invalid_client", "The OAuth client was not found.")
        redirect_uri = query.get("redirect_uri")
        if not redirect_uri:
            return self._oauth_error(400, "invalid_request", "Missing required parameter: redirect_uri")
        if query.get("response_type") != "code":
            message = f"Unsupported response type: {query.get('response_type')}"
            return self._oauth_error(400, "unsupported_response_type", message)
        scopes = query.get("scope", "").split()
        if not scopes:
            return self._oauth_error(400, "invalid_request", "Missing required parameter: scope")
        challenge = query.get("code_challenge") or None
        method = query.get("code_challenge_method") or "plain"  # RFC 7636's default
        if method not in ("S256", "plain"):
            return self._oauth_error(400, "invalid_request", f"Invalid code_challenge_method: {method}")
        with self._lock:
            outcome, self._next_consent = self._next_consent, "allow"
            if outcome == "deny":
                params = {"error": "access_denied"}
            else:
                if outcome == "untick_drive":
                    scopes = [s for s in scopes if not s.startswith(DRIVE_SCOPE_PREFIX)]
                self._codes_issued += 1
                noise = "".join(self._rng.choice(_ID_ALPHABET) for _ in range(20))
                code = f"4/fake-{self._codes_issued}-{noise}"
                self._consents[code] = _Consent(redirect_uri, " ".join(scopes), challenge, method)
                params = {"code": code, "scope": " ".join(scopes)}
        if "state" in query:
            params["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return _Response(302, b"", {"Location": f"{redirect_uri}{separator}{urlencode(params)}"})

    def _token(self, request: _Request) -> _Response:
        form = self._form(request)
        grant_type = form.get("grant_type", "")
        if form.get("client_id") != self.client_id:
            return self._oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if form.get("client_secret") != self.client_secret:
            return self._oauth_error(401, "invalid_client", "Unauthorized")
        new_refresh_token: str | None = None
        granted = ""
        with self._lock:
            if grant_type == "refresh_token":
                if not form.get("refresh_token"):
                    return self._oauth_error(
                        400, "invalid_request", "Missing required parameter: refresh_token"
                    )
                if form["refresh_token"] not in self._refresh_tokens:
                    return self._oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            elif grant_type == "authorization_code":
                consent = self._consents.pop(form.get("code", ""), None)  # a code works once
                if consent is None and form.get("code") != self.auth_code:
                    return self._oauth_error(400, "invalid_grant", "Malformed auth code.")
                if consent is not None and form.get("redirect_uri") != consent.redirect_uri:
                    return self._oauth_error(400, "redirect_uri_mismatch", "Bad Request")
                if consent is not None and not consent.verifies(form.get("code_verifier")):
                    return self._oauth_error(400, "invalid_grant", "Invalid code verifier.")
                granted = consent.scope if consent is not None else " ".join((*SIGN_IN_SCOPES, self.scope))
                self._grants += 1
                new_refresh_token = f"{self.refresh_token}-{self._grants}"
                self._refresh_tokens.add(new_refresh_token)
            else:
                return self._oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
            access_token = "ya29.fake-" + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(40))
            self._access_tokens.add(access_token)
        data: dict[str, Any] = {
            "access_token": access_token,
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "token_type": "Bearer",
            "scope": form.get("scope") or self.scope,
        }
        if new_refresh_token is not None:
            data["refresh_token"] = new_refresh_token
            data["scope"] = granted
            if "openid" in granted.split():
                data["id_token"] = self._id_token()
        return _Response.json(200, data, {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"})

    def _subject(self) -> str:
        """The account's stable id (`sub`): digits, as Google's are."""
        return str(int(hashlib.sha256(self.email.encode()).hexdigest(), 16))[:21]

    def _id_token(self) -> str:
        now = int(datetime.now(UTC).timestamp())
        claims = {
            "iss": GOOGLE_ISSUER,
            "azp": self.client_id,
            "aud": self.client_id,
            "sub": self._subject(),
            "email": self.email,
            "email_verified": True,
            "iat": now,
            "exp": now + ACCESS_TOKEN_LIFETIME,
        }
        header = {"alg": "HS256", "typ": "JWT"}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = hmac.new(self.client_secret.encode(), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(signature)}"

    def _revoke_endpoint(self, request: _Request) -> _Response:
        token = request.query.get("token") or self._form(request).get("token")
        with self._lock:
            known = token is not None and (
                token in self._access_tokens
                or token in self._refresh_tokens
                or (self._static_valid and token == self.static_token)
            )
        if not known:
            return self._oauth_error(400, "invalid_token", "Token expired or revoked")
        self.revoke()  # revoking any token of a grant revokes the whole grant, as Google does
        return _Response.json(200, {})
