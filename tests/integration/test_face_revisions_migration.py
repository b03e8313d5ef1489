"""Migration 0008 on a database that already has photos: they start at revision 0, older than any
revision an index can hold, and the first bump stamps only the photos it names."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from eventface.db import migrate
from eventface.db.session import make_engine, make_session_factory
from eventface.db.unit_of_work import transactions


def test_existing_photos_get_revision_zero_and_a_bump_stamps_only_the_changed_ones(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ef.db'}")
    command.upgrade(migrate.alembic_config(engine), "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO events (id, name, slug, source_kind, source_uri, engine, faces_revision,"
                " created_at) VALUES (1, 'Wedding', 'wedding', 'local_folder', '/p', 'fake', 5, '2026-01-01')"
            )
        )
        for photo_id in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO photos (id, event_id, source_file_id, name, source_version, size_bytes,"
                    " status, face_count, created_at) VALUES"
                    f" ({photo_id}, 1, 'p{photo_id}', 'p{photo_id}', '1', 1, 'indexed', 0, '2026-01-01')"
                )
            )

    migrate.upgrade(engine)
    with transactions(make_session_factory(engine))() as uow:
        assert uow.faces.changes_after(1, "fake", 0).photo_ids.tolist() == []
        assert uow.events.bump_faces_revision(1, [2]) == 6
        assert uow.faces.changes_after(1, "fake", 5).photo_ids.tolist() == [2]
        assert uow.faces.changes_after(1, "fake", 6).photo_ids.tolist() == []
    engine.dispose()
