"""Settings: the EVENTFACE_* names and the original system's names, and refusing invalid values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from eventface.settings import EngineName, Settings


def test_defaults_keep_the_database_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    assert settings.db_url == f"sqlite:///{tmp_path.resolve() / 'eventface.db'}"
    assert settings.face_engine is EngineName.FUSION
    assert settings.face_tolerance is None
    assert settings.auto_sync_interval == 2.0


def test_data_dir_comes_from_eventface_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVENTFACE_DATA_DIR", str(tmp_path / "elsewhere"))

    assert Settings().data_dir == tmp_path / "elsewhere"


def test_data_dir_expands_the_home_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    assert Settings(data_dir=Path("~/ef")).data_dir == tmp_path / "ef"


@pytest.mark.parametrize("name", ["DATABASE_URL", "EVENTFACE_DATABASE_URL"])
def test_database_url_overrides_the_sqlite_file(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "postgresql+psycopg://ef@db/eventface")

    assert Settings().db_url == "postgresql+psycopg://ef@db/eventface"


@pytest.mark.parametrize("name", ["FACE_TOLERANCE", "EVENTFACE_FACE_TOLERANCE"])
def test_face_tolerance_is_read_from_both_names(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "0.45")

    assert Settings().face_tolerance == 0.45


@pytest.mark.parametrize("name", ["AUTO_SYNC_INTERVAL", "EVENTFACE_AUTO_SYNC_INTERVAL"])
def test_auto_sync_interval_is_read_from_both_names(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "5")

    assert Settings().auto_sync_interval == 5.0


def test_engine_and_workers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTFACE_FACE_ENGINE", "sface")
    monkeypatch.setenv("EVENTFACE_WORKERS", "3")

    settings = Settings()

    assert settings.face_engine is EngineName.SFACE
    assert settings.worker_count == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATA_DIR", "/elsewhere"), ("WORKERS", "7"), ("FACE_ENGINE", "dlib"), ("MAX_IMAGE_PIXELS", "5")],
)
def test_generic_names_without_the_prefix_are_ignored(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    # only the names the original system and the issues spell bare are read so: another program's
    # WORKERS is not ours
    monkeypatch.setenv(name, value)

    field = name.lower()
    assert getattr(Settings(), field) == Settings.model_fields[field].default


def test_zero_workers_means_one_per_cpu() -> None:
    assert Settings(workers=0).worker_count == (os.cpu_count() or 1)


def test_a_dotenv_file_in_the_working_folder_is_read(tmp_path: Path) -> None:
    # the autouse fixture runs every test in its own tmp_path
    (tmp_path / ".env").write_text("FACE_TOLERANCE=0.33\nEVENTFACE_WORKERS=2\n")

    settings = Settings()

    assert (settings.face_tolerance, settings.workers) == (0.33, 2)


def test_explicit_values_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACE_TOLERANCE", "0.45")

    assert Settings(face_tolerance=0.5).face_tolerance == 0.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FACE_TOLERANCE", "0"),
        ("FACE_TOLERANCE", "-0.2"),
        ("FACE_TOLERANCE", "close"),
        ("AUTO_SYNC_INTERVAL", "0.1"),
        ("AUTO_SYNC_INTERVAL", "61"),
        ("AUTO_SYNC_INTERVAL", "soon"),
        ("EVENTFACE_FACE_ENGINE", "opencv"),
        ("EVENTFACE_WORKERS", "-1"),
        ("EVENTFACE_DETECT_MAX_SIDE_PX", "100"),
        ("EVENTFACE_DLIB_UPSAMPLE", "4"),
        ("EVENTFACE_MAX_IMAGE_PIXELS", "0"),
    ],
)
def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError) as raised:
        Settings()

    (error,) = raised.value.errors()
    assert error["loc"] == ("EVENTFACE_" + name.removeprefix("EVENTFACE_"),)
    assert error["input"] == value


def test_queue_url_comes_from_queue_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).queue_url is None
    monkeypatch.setenv("QUEUE_URL", "redis://queue.example:6379/0")

    assert Settings(data_dir=tmp_path).queue_url == "redis://queue.example:6379/0"


def test_a_queue_url_that_is_not_redis_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="redis://"):
        Settings(data_dir=tmp_path, queue_url="amqp://localhost")
