"""The job queue, built from Settings: the same tasks run on SQLite or Redis storage."""

from __future__ import annotations

from huey import Huey, RedisHuey, SqliteHuey

from eventface.settings import Settings

QUEUE_NAME = "eventface"


def make_huey(settings: Settings) -> Huey:
    """Huey on `queue.db` in the data dir, or on Redis when `queue_url` is a redis:// URL."""
    if settings.queue_url:
        return RedisHuey(QUEUE_NAME, url=settings.queue_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(settings.data_dir / "queue.db"))
