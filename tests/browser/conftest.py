"""Browser tests: the real `eventface web` server in a subprocess, driven by Debian's chromium.

Playwright's own browser downloads are not used: `chromium_path` finds the system chromium and
skips (loudly) without it. The server runs the real face engine and its in-process worker on a
fresh data dir; the event folder is a copy of a few people from the developer face set.
Screenshots go to tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.conftest import REPO_ROOT, copy_face_files
from tests.harness import server as harness

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
STOP_DEADLINE_S = 30.0
# the tests sign several photographers up through the page
BROWSER_ENV = {"EVENTFACE_SIGNUP": "open"}

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
    """The module's `eventface web`, and what its tests leave there for each other."""

    running: harness.Server
    guest_url: str | None = None  # set by the first test that indexes the event through the UI
    emails: list[str] = field(default_factory=list)  # the photographers signed up, in order

    @property
    def base_url(self) -> str:
        return self.running.base_url

    def output_tail(self) -> str:
        return self.running.output_tail()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, event_photos: EventPhotos) -> Iterator[Server]:
    """`eventface web` on a free port with a fresh data dir (one per test module)."""
    root = tmp_path_factory.mktemp("server")
    # the event folder's parent is the photo root: the new-event form offers the folder
    with harness.Servers(root, photo_root=event_photos.folder.parent, env=BROWSER_ENV) as servers:
        running = servers.start(root / "data")
        yield Server(running)
        servers.stop(running, STOP_DEADLINE_S)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed browser test shows the end of the server's log under its traceback."""
    report = yield
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Server | harness.Server):
                report.sections.append(("eventface web log (last lines)", value.output_tail()))
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
