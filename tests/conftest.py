"""Shared fixtures: explicit settings and a migrated runtime per test, the developer face set, photo files.

The harnesses are imported here so that every directory sees their fixtures: the fake Drive
(tests/harness/drive.py), the real `eventface web` server (tests/harness/server.py), throwaway
PostgreSQL and Redis servers (tests/harness/services.py) and a real SMTP server (tests/harness/smtp.py).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from eventface.runtime import Runtime, build_runtime
from eventface.settings import Settings
from tests.fakes.photos import Square, jpeg_with_squares
from tests.harness.drive import drive, drive_options, module_drive, retry_sleeps  # noqa: F401
from tests.harness.server import servers  # noqa: F401
from tests.harness.services import PostgresServer, postgres, redis_server  # noqa: F401
from tests.harness.smtp import smtp_server  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parents[1]
FACES_ENV = "EVENTFACE_TEST_FACES"
# EVENTFACE_TEST_DATABASE=postgresql runs every test that uses `settings` on a fresh PostgreSQL
# database (tests/harness/services.py); `make test` runs tests/database/ on both anyway
DATABASE_ENV = "EVENTFACE_TEST_DATABASE"
TEST_DATABASE = os.environ.get(DATABASE_ENV, "sqlite")
# Settings also reads each field's bare name (FACE_TOLERANCE, but also WORKERS, DATA_DIR)
SETTINGS_ENV_NAMES = frozenset(field.upper() for field in Settings.model_fields)


def faces_root() -> Path:
    return Path(os.environ.get(FACES_ENV) or REPO_ROOT.parent / "shared" / "data" / "faces")


@pytest.fixture(scope="session", autouse=True)
def clean_settings_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A developer's shell or ./.env must not change what the tests see, fixtures of any scope included."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if (name.startswith("EVENTFACE_") and name != FACES_ENV) or name.upper() in SETTINGS_ENV_NAMES:
                patch.delenv(name)
        patch.chdir(tmp_path_factory.mktemp("cwd"))  # Settings reads ./.env
        yield


@pytest.fixture(autouse=True)
def run_in_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """The developer face set (../shared/data/faces, or $EVENTFACE_TEST_FACES); skips when absent."""
    root = faces_root()
    if not (root / "manifest.json").is_file():
        pytest.skip(f"developer face set not found at {root} (set {FACES_ENV} to its folder)")
    return root


@pytest.fixture(scope="session")
def manifest(faces_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((faces_dir / "manifest.json").read_text())
    return data


def copy_face_files(faces: Path, folder: Path, relative_paths: list[str]) -> Path:
    """Copies face-set files (paths relative to the set) into `folder`, keeping their sub-folders."""
    for rel in relative_paths:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(faces / rel, target)
    return folder


CopyFaces = Callable[[Path, list[str]], Path]


@pytest.fixture
def copy_faces(faces_dir: Path) -> CopyFaces:
    """`copy_face_files` from the developer face set (skips the test when the set is absent)."""
    return lambda folder, relative_paths: copy_face_files(faces_dir, folder, relative_paths)


def database_url_for(kind: str, request: pytest.FixtureRequest) -> str | None:
    """None (SQLite in the data dir) or a fresh database on the test PostgreSQL server."""
    if kind == "sqlite":
        return None
    if kind == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        return server.fresh_database()
    raise ValueError(f"{DATABASE_ENV} must be sqlite or postgresql, not {kind!r}")


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str | None:
    return database_url_for(TEST_DATABASE, request)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(data_dir=tmp_path / "data", workers=1, database_url=database_url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime on a fresh SQLite database migrated by the real migrations."""
    rt = build_runtime(settings)
    yield rt
    rt.close()


WritePhoto = Callable[[Path, list[Square]], Path]


@pytest.fixture
def write_photo() -> WritePhoto:
    """Writes a small grey JPEG with the given coloured squares to `path` (creating folders)."""

    def write(path: Path, squares: list[Square]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg_with_squares(squares))
        return path

    return write
