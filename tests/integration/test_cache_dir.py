"""The thumbnail and preview cache is a setting (issue 15): per machine by default, or one path
that every web and worker machine shares, so what an indexing worker made, any web process serves."""

from __future__ import annotations

from pathlib import Path

from eventface.jobs.tasks import index_event
from eventface.services import ingest
from eventface.settings import Settings
from tests.conftest import WritePhoto
from tests.integration.fake_indexing import build_with_fake_engine, create_event


def test_renditions_go_to_the_cache_dir_setting(tmp_path: Path, write_photo: WritePhoto) -> None:
    shared = tmp_path / "shared-cache"
    settings = Settings(data_dir=tmp_path / "data", workers=1, cache_dir=shared)
    write_photo(tmp_path / "photos" / "red.jpg", [("red", (40, 40), 60)])
    rt = build_with_fake_engine(settings)
    try:
        event = create_event(rt, tmp_path / "photos")
        with rt.transactions() as uow:
            task = ingest.create_task(uow, str(event.id))
        assert index_event(rt, task.task_id).indexed == 1
    finally:
        rt.close()

    # indexing makes the thumbnail and the preview; the 2048 px copy to save is made when asked
    made = (rt.thumbnails, rt.previews)
    assert sorted(p.name for p in shared.iterdir()) == sorted(str(c.max_side_px) for c in made)
    assert all(any(p.is_file() for p in (shared / str(c.max_side_px)).rglob("*")) for c in made)
    assert not (settings.data_dir / "thumbnails").exists()


def test_the_cache_is_in_the_data_dir_by_default(tmp_path: Path) -> None:
    rt = build_with_fake_engine(Settings(data_dir=tmp_path / "data", workers=1))
    rt.close()
    written = [cache.put(1, 1, "0" * 64, b"jpeg bytes") for cache in rt.caches]
    assert all(path.is_relative_to(tmp_path / "data" / "thumbnails") for path in written)
