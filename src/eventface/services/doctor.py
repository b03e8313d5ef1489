"""What would hurt this server in production: `eventface doctor`'s findings, each with its fix.

Looks at the settings and the data dir only (nothing is changed, no network is used), so it can
run before the first start and on a server that is up.
"""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from eventface.domain.reachability import unreachable_host
from eventface.secret_key import ENCRYPTION_KEY_FILE, KEY_FILE
from eventface.services.events import DATA_DIR_PHOTOS
from eventface.settings import MIN_KEY_BYTES, Settings, SignupPolicy

MIN_DISTINCT_KEY_CHARS = 12  # a long key of few characters ("aaaa…", "changeme" repeated) is guessable
PLACEHOLDER_KEYS = ("changeme", "secret", "password", "eventface", "example", "xxxx", "1234")
MAX_FILES_CHECKED = 200_000  # a data dir with that many thumbnails is checked in about a second
KEY_COMMAND = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
SESSIONS_EXPOSED = "sessions can be forged (a new key signs everyone out)"
GRANTS_EXPOSED = "stored Google grants can be decrypted (a new key means reconnecting Google accounts)"


class Severity(StrEnum):
    SERIOUS = "serious"  # guests or photographers are exposed, or the server misbehaves: exit code 1
    WARNING = "warning"  # something will not work as expected


@dataclass(frozen=True)
class Finding:
    severity: Severity
    problem: str
    fix: str


def examine(settings: Settings) -> list[Finding]:
    """Every finding for this server, serious ones first."""
    checks: list[Callable[[Settings], Iterator[Finding]]] = [
        _guest_links,
        _https,
        _trusted_proxies,
        _signup,
        _keys,
        _loose_permissions,
        _photo_roots,
    ]
    findings = [finding for check in checks for finding in check(settings)]
    return sorted(findings, key=lambda f: f.severity is not Severity.SERIOUS)


def _guest_links(settings: Settings) -> Iterator[Finding]:
    url = settings.public_base_url
    if url is None:
        yield Finding(
            Severity.SERIOUS,
            "PUBLIC_BASE_URL is unset: guest links and QR codes use whatever address a request came in "
            "on (http://127.0.0.1:8000 from the CLI), which guests' phones cannot open.",
            "set PUBLIC_BASE_URL to the address guests reach, e.g. https://photos.example.org "
            "(docs/deploy.md).",
        )
    elif (host := unreachable_host(url)) is not None:
        yield Finding(
            Severity.SERIOUS,
            f"PUBLIC_BASE_URL points to {host}, a loopback, private or local-network address: "
            "guest links and QR codes will not open on phones.",
            "set PUBLIC_BASE_URL to the server's public name, e.g. https://photos.example.org.",
        )


def _https(settings: Settings) -> Iterator[Finding]:
    url = settings.public_base_url
    if url is not None and url.startswith("http://"):
        yield Finding(
            Severity.SERIOUS,
            "PUBLIC_BASE_URL is http://: selfies, passwords and session cookies cross the network "
            "unencrypted.",
            "serve eventface behind Caddy (automatic HTTPS, docs/deploy.md) and set "
            "PUBLIC_BASE_URL=https://...",
        )


def _trusted_proxies(settings: Settings) -> Iterator[Finding]:
    url = settings.public_base_url
    if url is not None and url.startswith("https://") and not settings.trusted_proxies:
        yield Finding(
            Severity.SERIOUS,
            "PUBLIC_BASE_URL is https but EVENTFACE_TRUSTED_PROXIES is empty: behind the proxy every "
            "guest has the proxy's address, so one guest's searches use up everyone's rate limit.",
            "set EVENTFACE_TRUSTED_PROXIES to the proxy's address, e.g. 127.0.0.1,::1 for Caddy on "
            "this host.",
        )


def _signup(settings: Settings) -> Iterator[Finding]:
    if settings.signup is SignupPolicy.OPEN:
        yield Finding(
            Severity.SERIOUS,
            "sign-up is open: anyone on the internet can make a photographer account and publish "
            "the photo roots' folders.",
            "set EVENTFACE_SIGNUP=invite (admins invite photographers) or closed.",
        )


@dataclass(frozen=True)
class _Key:
    where: str  # the variable or the file it is set in
    value: str
    exposes: str  # what guessing it gives away
    fix: str


def _keys(settings: Settings) -> Iterator[Finding]:
    for key in _configured_keys(settings):
        weakness = _weakness(key.value)
        if weakness is not None:
            yield Finding(Severity.SERIOUS, f"{key.where} is {weakness}: {key.exposes}.", key.fix)


def _configured_keys(settings: Settings) -> Iterator[_Key]:
    keys = (
        ("EVENTFACE_SECRET_KEY", settings.secret_key, KEY_FILE, SESSIONS_EXPOSED),
        ("EVENTFACE_ENCRYPTION_KEY", settings.encryption_key, ENCRYPTION_KEY_FILE, GRANTS_EXPOSED),
    )
    for variable, configured, file_name, exposes in keys:
        if configured is not None:
            fix = f"set {variable} to the output of {KEY_COMMAND}"
            yield _Key(variable, configured.get_secret_value(), exposes, fix)
            continue
        path = settings.data_dir / file_name
        value = _read_key(path)
        if value is not None:
            yield _Key(str(path), value, exposes, f"write a new key: {KEY_COMMAND} > {path}")


def _read_key(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:  # not made yet (it will be random and long), or not this user's to read
        return None


def _weakness(key: str) -> str | None:
    if len(key.encode()) < MIN_KEY_BYTES:
        return f"short ({len(key.encode())} bytes, at least {MIN_KEY_BYTES} needed)"
    if len(set(key)) < MIN_DISTINCT_KEY_CHARS or any(word in key.lower() for word in PLACEHOLDER_KEYS):
        return "easy to guess (few different characters, or a placeholder word)"
    return None


def _loose_permissions(settings: Settings) -> Iterator[Finding]:
    data_dir = settings.data_dir
    if not data_dir.is_dir():
        return
    loose = list(_readable_by_others(data_dir))
    if loose:
        example = ", ".join(str(p) for p in loose[:3])
        yield Finding(
            Severity.SERIOUS,
            f"{len(loose)} files or folders in the data dir are open to other users of this machine "
            f"(database, keys, face data, thumbnails), e.g. {example}.",
            f"chmod -R go-rwx {data_dir} (eventface itself creates them 0600/0700).",
        )


def _readable_by_others(root: Path) -> Iterator[Path]:
    """The data dir and what is inside it that other users may read, write or enter."""
    for path in itertools.islice(_entries(root), MAX_FILES_CHECKED):
        try:
            mode = path.lstat().st_mode
        except OSError:  # removed meanwhile
            continue
        if not stat.S_ISLNK(mode) and mode & stat.S_IRWXO:
            yield path


def _entries(root: Path) -> Iterator[Path]:
    yield root
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            yield Path(dirpath, name)


def _photo_roots(settings: Settings) -> Iterator[Finding]:
    data = settings.data_dir.resolve()
    for root in settings.photo_roots:  # the default one, <data dir>/photos, is made on start
        resolved = root.resolve()
        if not root.is_dir():
            yield Finding(
                Severity.WARNING,
                f"photo root {root} does not exist: photographers cannot make events on its folders.",
                "create it (readable by the user eventface runs as) or fix EVENTFACE_PHOTO_ROOTS.",
            )
        elif not os.access(root, os.R_OK | os.X_OK):
            yield Finding(
                Severity.WARNING,
                f"photo root {root} cannot be read by the user eventface runs as.",
                "give that user read access to it, or fix EVENTFACE_PHOTO_ROOTS.",
            )
        elif resolved.is_relative_to(data) and not resolved.is_relative_to(
            (data / DATA_DIR_PHOTOS).resolve()
        ):
            yield Finding(
                Severity.WARNING,
                f"photo root {root} is in the data dir, where no event may point.",
                "keep photos outside the data dir (or in its photos folder), e.g. "
                "EVENTFACE_PHOTO_ROOTS=/srv/photos.",
            )
