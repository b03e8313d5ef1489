"""The scale-out stores are real: migrations on PostgreSQL, and a Huey queue on a real Redis server.

The servers come from tests/harness/services.py (started from the Debian binaries when not given).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from huey import RedisHuey
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from eventface.db import migrate
from eventface.db.session import make_engine
from eventface.domain.models import SourceKind, TaskStatus
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import register_tasks
from eventface.runtime import Runtime
from eventface.services import ingest
from eventface.settings import Settings
from tests.conftest import WritePhoto, database_url_for
from tests.harness.services import PostgresServer, RedisServer
from tests.integration.fake_indexing import build_with_fake_engine, create_event, photo_states

TASK_DEADLINE_S = 60


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_round_trip_and_match_the_models_on_both_databases(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    engine = make_engine(database_url_for(kind, request) or f"sqlite:///{tmp_path / 'ef.db'}")
    try:
        migrate.upgrade(engine)
        assert migrate.drift(engine) == []

        command.downgrade(migrate.alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}

        migrate.upgrade(engine)
        assert migrate.is_current(engine)
        assert migrate.drift(engine) == []
    finally:
        engine.dispose()


def test_drift_sees_a_column_the_models_do_not_have_on_postgresql(postgres: PostgresServer) -> None:
    # guards the test above: an empty drift must mean "in step", not "drift() sees nothing" on PostgreSQL
    engine = make_engine(postgres.fresh_database())
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE photos ADD COLUMN camera TEXT"))
        assert any("camera" in str(diff) for diff in migrate.drift(engine))
    finally:
        engine.dispose()


def test_constraints_hold_on_postgresql(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.transactions() as uow:
        event = uow.events.add("Wedding", SourceKind.LOCAL_FOLDER, str(tmp_path), "fake")
        uow.photos.add_pending(event.id, "a.jpg", "a.jpg", "1-1", 1)

    with pytest.raises(IntegrityError), runtime.transactions() as uow:
        uow.photos.add_pending(event.id, "a.jpg", "a.jpg", "2-2", 2)
        uow.session.flush()
    with pytest.raises(IntegrityError), runtime.transactions() as uow:
        uow.photos.add_pending(12345, "b.jpg", "b.jpg", "1-1", 1)
        uow.session.flush()


def test_a_worker_runs_an_index_run_from_the_redis_queue_on_postgresql(
    postgres: PostgresServer, redis_server: RedisServer, tmp_path: Path, write_photo: WritePhoto
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        workers=1,
        database_url=postgres.fresh_database(),
        queue_url=redis_server.fresh_url(),
    )
    huey = make_huey(settings)
    assert isinstance(huey, RedisHuey)
    tasks = register_tasks(huey, settings, build=build_with_fake_engine)
    rt = tasks.runtime.get()
    write_photo(tmp_path / "photos" / "red.jpg", [("red", (40, 40), 60)])
    write_photo(tmp_path / "photos" / "two.jpg", [("red", (10, 10), 50), ("blue", (90, 60), 50)])
    event = create_event(rt, tmp_path / "photos")
    with rt.transactions() as uow:
        task = ingest.create_task(uow, str(event.id))
    consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer.start()
    try:
        tasks.index_event(task.task_id).get(blocking=True, timeout=TASK_DEADLINE_S)
        with rt.transactions() as uow:
            done = uow.tasks.get(task.task_id)
        assert (done.status, done.done, done.faces) == (TaskStatus.DONE, 2, 3)
        assert {name: state.status for name, state in photo_states(rt, event).items()} == {
            "red.jpg": "indexed",
            "two.jpg": "indexed",
        }
    finally:
        consumer.stop(graceful=True)
        tasks.runtime.close()
    assert not (settings.data_dir / "queue.db").exists()


def test_tests_collected_here_run_on_postgresql(runtime: Runtime) -> None:
    # guards the test_pg_*.py modules: the `runtime` they get is on the PostgreSQL server
    assert runtime.db.dialect.name == "postgresql"
