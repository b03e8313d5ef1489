"""The real Alembic migrations on a real SQLite file: in step with the models, pragmas, constraints."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from eventface.db import migrate
from eventface.db.session import SQLITE_BUSY_TIMEOUT_MS, make_engine
from eventface.domain.models import SourceKind
from eventface.runtime import Runtime

TABLES = {"alembic_version", "events", "photos", "faces", "index_tasks", "users", "api_tokens"}


def test_migrated_empty_database_matches_the_models(runtime: Runtime) -> None:
    assert set(inspect(runtime.db).get_table_names()) >= TABLES
    assert migrate.is_current(runtime.db)
    assert migrate.drift(runtime.db) == []


def test_drift_reports_a_schema_change_the_models_do_not_have(runtime: Runtime) -> None:
    # guards the test above: an empty drift must mean "in step", not "drift() sees nothing"
    with runtime.db.begin() as connection:
        connection.execute(text("ALTER TABLE photos ADD COLUMN camera TEXT"))

    assert any("camera" in str(diff) for diff in migrate.drift(runtime.db))


def test_migrations_downgrade_to_empty_and_upgrade_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ef.db'}")
    migrate.upgrade(engine)

    command.downgrade(migrate.alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    assert not migrate.is_current(engine)

    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    assert migrate.drift(engine) == []
    engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(runtime: Runtime) -> None:
    with runtime.db.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_a_source_file_is_recorded_once_per_event(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.transactions() as uow:
        event = uow.events.add("Wedding", SourceKind.LOCAL_FOLDER, str(tmp_path), "fake")
        other = uow.events.add("Party", SourceKind.LOCAL_FOLDER, str(tmp_path), "fake")
        uow.photos.add_pending(event.id, "a.jpg", "a.jpg", "1-1", 1)
        uow.photos.add_pending(other.id, "a.jpg", "a.jpg", "1-1", 1)  # another event: allowed

    with pytest.raises(IntegrityError, match="UNIQUE constraint failed"), runtime.transactions() as uow:
        uow.photos.add_pending(event.id, "a.jpg", "a.jpg", "2-2", 2)
        uow.session.flush()


def test_foreign_keys_are_enforced(runtime: Runtime) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"), runtime.transactions() as uow:
        uow.photos.add_pending(12345, "a.jpg", "a.jpg", "1-1", 1)
        uow.session.flush()
