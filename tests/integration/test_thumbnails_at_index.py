"""An indexing run leaves every indexed photo's thumbnail and preview on disk (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from eventface.jobs.tasks import index_event
from eventface.services import ingest
from eventface.settings import Settings
from tests.fakes.photos import encode, picture
from tests.integration.fake_indexing import build_with_fake_engine, create_event, photo_states


def test_an_index_job_caches_each_photos_thumbnail_and_preview(settings: Settings, tmp_path: Path) -> None:
    rt = build_with_fake_engine(settings)
    folder = tmp_path / "photos"
    folder.mkdir()
    for k, size in enumerate([(2400, 1600), (640, 480), (300, 200)]):
        (folder / f"{k}.jpg").write_bytes(encode(picture(size, [("red", (10, 10), 60)])))
    (folder / "broken.jpg").write_bytes(b"not a photo")
    event = create_event(rt, folder)
    with rt.transactions() as uow:
        task = ingest.create_task(uow, str(event.id))

    report = index_event(rt, task.task_id)  # the job: the runtime's analyzer and caches

    assert report.indexed == 3 and len(report.failed) == 1
    indexed = [s.id for s in photo_states(rt, event).values() if s.status == "indexed"]
    with rt.transactions() as uow:
        photos = uow.photos.in_event_by_ids(event.id, indexed)
    rt.close()

    def read() -> bytes:
        pytest.fail("a guest's request read the original")

    assert len(photos) == 3
    for cache in (rt.thumbnails, rt.previews):  # the web copies are made on request (issue 14)
        for photo in photos:
            assert photo.content_hash is not None and photo.width and photo.height
            # the key the web asks for, and only disk reads behind it
            path = cache.get(event.id, photo.id, photo.content_hash, read)
            with Image.open(path) as made:
                assert max(made.size) == min(cache.max_side_px, max(photo.width, photo.height))
