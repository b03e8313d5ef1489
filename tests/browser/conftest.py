"""Browser tests: the real `eventface web` server in a subprocess, driven by Debian's chromium.

Playwright's own browser downloads are not used: `chromium_path` finds the system chromium and
skips (loudly) without it. The server runs the real face engine and its in-process worker on a
fresh data dir; the event folder is a copy of a few people from the developer face set.
Screenshots go to tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.conftest import REPO_ROOT, SETTINGS_ENV_NAMES, copy_face_files

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
STARTUP_DEADLINE_S = 90.0
STOP_DEADLINE_S = 30.0

DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# The event: these people's photos (less the selfie) and the group photos they are in
SELFIE = "people/obama/1.jpg"
SEARCHED = "obama"
EVENT_PEOPLE = ("obama", "biden", "tom_hanks", "kit_harington")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.is_file() else shutil.which("chromium")
    if not found:
        pytest.skip(
            "!!! Debian chromium not installed: apt-get install -y chromium; browser tests skipped !!!"
        )
    return found


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path)
        try:
            yield launched
        finally:
            launched.close()


@dataclass(frozen=True)
class EventPhotos:
    folder: Path
    originals: dict[str, Path]  # file name in the event folder -> the face-set file it is a copy of
    expected: frozenset[str]  # names of the event photos the searched person is in
    selfie: Path


@pytest.fixture(scope="module")
def event_photos(
    faces_dir: Path, manifest: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> EventPhotos:
    """The event folder; its files get unique names (people/obama/2.jpg -> people/obama/obama_2.jpg).

    The guest page shows base names only, and every person's folder has a 1.jpg: unique names
    make a name in the result grid (or the ZIP) say which photo it is.
    """
    identities = manifest["identities"]
    chosen: list[str] = []
    for person in EVENT_PEOPLE:
        for rel in [*identities[person]["people"], *identities[person]["groups"]]:
            if rel != SELFIE and rel not in chosen:
                chosen.append(rel)
    files = manifest["files"]
    # the selfie must be a photo of its own, not a crop of an event photo
    assert files[SELFIE]["source_photo"] not in {files[rel]["source_photo"] for rel in chosen}
    folder = copy_face_files(faces_dir, tmp_path_factory.mktemp("event") / "photos", chosen)
    originals: dict[str, Path] = {}
    expected: set[str] = set()
    for rel in chosen:
        path = PurePosixPath(rel)
        name = path.name if path.parts[0] == "groups" else f"{path.parent.name}_{path.name}"
        (folder / rel).rename(folder / path.parent / name)
        assert name not in originals, f"two event photos are both named {name}"
        originals[name] = faces_dir / rel
        if SEARCHED in files[rel]["identities"]:
            expected.add(name)
    assert len(expected) >= 5, expected
    return EventPhotos(folder, originals, frozenset(expected), faces_dir / SELFIE)


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    guest_url: str | None = None  # set by the first test that indexes the event through the UI
    emails: list[str] = field(default_factory=list)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no server log: {exc})"
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env() -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("EVENTFACE_") and name.upper() not in SETTINGS_ENV_NAMES
    }
    env["EVENTFACE_WORKERS"] = "1"
    env["EVENTFACE_PASSWORD_HASH_COST"] = "test"
    env["EVENTFACE_SIGNUP"] = "open"  # the tests sign several photographers up through the page
    env["PYTHONUNBUFFERED"] = "1"
    return env


def eventface_command() -> str:
    script = Path(sys.executable).parent / "eventface"
    found = str(script) if script.is_file() else shutil.which("eventface")
    if not found:
        pytest.fail("the eventface console script is not installed next to this Python (pip install -e .)")
    return found


def wait_until_ready(server: Server, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"eventface web exited with code {server.process.returncode} before it was ready;"
                f" its log ends with:\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{server.base_url}/login", timeout=2) as response:
                if response.status == 200:
                    return
                last_error = f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.1)  # poll interval
    raise RuntimeError(
        f"eventface web did not answer GET /login within {deadline_s:.0f} s ({last_error});"
        f" its log ends with:\n{server.log_tail()}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # SIGTERM: uvicorn shuts down, the worker stops
        try:
            process.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(
                f"eventface web did not stop within {STOP_DEADLINE_S:.0f} s of SIGTERM"
            ) from None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, event_photos: EventPhotos) -> Iterator[Server]:
    """`eventface web` on a free port with a fresh data dir (one per test module)."""
    root = tmp_path_factory.mktemp("server")
    port = free_port()
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                eventface_command(),
                "web",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(root / "data"),
            ],
            cwd=root,  # no ./.env of the developer's
            # the event folder's parent is the photo root: the new-event form offers the folder
            env={**server_env(), "EVENTFACE_PHOTO_ROOTS": str(event_photos.folder.parent)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_ready(running, STARTUP_DEADLINE_S)
        yield running
    finally:
        stop(process)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed browser test shows the end of the server's log under its traceback."""
    report = yield
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Server):
                report.sections.append(("eventface web log (last lines)", value.log_tail()))
                break
    return report


# What chromium said about the Content-Security-Policy during the current test
CSP_VIOLATIONS: list[str] = []


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """Fails a browser test whose pages broke the CSP (a blocked script, style or image)."""
    CSP_VIOLATIONS.clear()
    yield
    assert not CSP_VIOLATIONS, "the pages broke the Content-Security-Policy:\n" + "\n".join(CSP_VIOLATIONS)


def _note_csp_violation(message: ConsoleMessage) -> None:
    if "Content Security Policy" in message.text:
        CSP_VIOLATIONS.append(f"{message.location.get('url', '')}: {message.text}")


def new_page(browser: Browser, device: dict[str, Any]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(**device, locale="en-US", accept_downloads=True)
    context.set_default_timeout(15_000)
    context.on("console", _note_csp_violation)
    return context, context.new_page()


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if full_page:  # else the sticky top bar is drawn where the page happens to be scrolled to
        page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full_page)
    return path
