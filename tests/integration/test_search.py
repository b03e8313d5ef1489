"""Searching an event with selfies: the real search service and database, the fake colour-square engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventface.errors import NotFoundError, NoUsableSelfieError
from eventface.faces.quality import SelfieCheck
from eventface.runtime import Runtime, build_runtime
from eventface.services import search
from eventface.settings import Settings
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine
from tests.fakes.photos import jpeg_with_squares
from tests.integration.fake_indexing import create_event, index_event, search_squares


@pytest.fixture
def engine() -> ColourSquareEngine:
    return ColourSquareEngine()


@pytest.fixture
def folder(tmp_path: Path, write_photo: WritePhoto) -> Path:
    root = tmp_path / "photos"
    write_photo(root / "red.jpg", [("red", (40, 40), 60)])
    write_photo(root / "green.jpg", [("green", (40, 40), 60)])
    write_photo(root / "both.jpg", [("red", (10, 10), 40), ("green", (100, 100), 40)])
    return root


def names(result: search.SearchResult) -> set[str]:
    return {m.name for m in result.matches}


def test_a_selfie_finds_every_photo_with_that_face_and_no_other(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)

    result = search_squares(runtime, event, engine, [("green", (50, 50), 100)])

    assert names(result) == {"green.jpg", "both.jpg"}
    assert all(m.distance == pytest.approx(0.0, abs=1e-6) for m in result.matches)
    assert [(s.faces_found, s.message) for s in result.selfies] == [(1, None)]


def test_several_selfies_find_the_union_of_their_photos(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)

    result = search_squares(runtime, event, engine, [("red", (0, 0), 50)], [("green", (0, 0), 50)])

    assert names(result) == {"red.jpg", "green.jpg", "both.jpg"}
    assert len(result.matches) == 3  # each photo once


def test_a_search_whose_only_selfie_has_no_face_is_refused_with_its_report(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)

    with pytest.raises(NoUsableSelfieError) as refused:
        search_squares(runtime, event, engine, [])

    (report,) = refused.value.reports
    assert (report["faces_found"], report["code"]) == (0, "no_face")
    assert "no face found" in report["message"]


def test_a_group_selfie_uses_its_largest_face(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)

    result = search_squares(runtime, event, engine, [("red", (0, 0), 30), ("green", (100, 60), 120)])

    assert names(result) == {"green.jpg", "both.jpg"}
    (report,) = result.selfies
    assert report.faces_found == 2
    assert report.message == "2 faces in this selfie: the largest one was used"


def test_a_small_selfie_beside_a_good_one_is_reported_and_left_out(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    monkeypatch.setitem(search.SELFIE_CHECKS, engine.name, SelfieCheck(min_face_px=50))

    result = search_squares(runtime, event, engine, [("red", (10, 10), 40)], [("green", (10, 10), 60)])

    assert names(result) == {"green.jpg", "both.jpg"}  # the small red selfie found nothing
    assert [s.code for s in result.selfies] == ["face_too_small", "ok"]
    assert "closer" in (result.selfies[0].message or "")


def test_a_small_selfie_alone_is_searched_with_a_stricter_rule(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    monkeypatch.setitem(search.SELFIE_CHECKS, engine.name, SelfieCheck(min_face_px=50))
    seen: list[float] = []
    real_match = search.match_faces

    def spy(*args: object, tolerance: float, **kwargs: object) -> object:
        seen.append(tolerance)
        return real_match(*args, tolerance=tolerance, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "match_faces", spy)

    small = search_squares(runtime, event, engine, [("red", (10, 10), 40)])
    good = search_squares(runtime, event, engine, [("red", (10, 10), 60)])

    assert names(small) == names(good) == {"red.jpg", "both.jpg"}  # the same face, found strictly
    assert [s.code for s in small.selfies] == ["face_too_small"]
    assert seen == [engine.default_tolerance * search.POOR_SELFIE_SCALE, engine.default_tolerance]


def test_a_blurry_selfie_is_reported_with_what_to_change(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    # the fake engine's faces all have sharpness 100
    monkeypatch.setitem(search.SELFIE_CHECKS, engine.name, SelfieCheck(min_face_px=10, min_sharpness=101))

    result = search_squares(runtime, event, engine, [("red", (10, 10), 60)])

    (report,) = result.selfies
    assert report.public()["code"] == "face_blurry"
    assert "light" in (report.message or "")


def test_an_unreadable_selfie_is_reported_and_the_others_still_search(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)

    with runtime.transactions() as uow:
        result = search.find_photos(
            uow,
            runtime.index,
            engine,
            str(event.id),
            [
                search.Selfie("notes.jpg", b"not a photo"),
                search.Selfie("me.jpg", jpeg_with_squares([("red", (0, 0), 50)])),
            ],
            search.SearchLimits(engine.default_tolerance, runtime.settings.max_image_pixels),
        )

    assert names(result) == {"red.jpg", "both.jpg"}
    assert [(s.file, s.faces_found, s.error) for s in result.selfies] == [
        ("notes.jpg", 0, "not an image (or an unsupported format)"),
        ("me.jpg", 1, None),
    ]


def test_searching_an_unknown_event_is_not_found(runtime: Runtime, engine: ColourSquareEngine) -> None:
    with pytest.raises(NotFoundError, match="no event '999'"), runtime.transactions() as uow:
        search.find_photos(uow, runtime.index, engine, "999", [], search.SearchLimits(0.1, 10**6))


def test_search_sees_photos_indexed_and_removed_by_another_process(
    settings: Settings, runtime: Runtime, folder: Path, engine: ColourSquareEngine, write_photo: WritePhoto
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    red = [("red", (0, 0), 50)]
    assert names(search_squares(runtime, event, engine, red)) == {"red.jpg", "both.jpg"}  # now in memory

    other_process = build_runtime(settings)  # its own database engine and vector index
    try:
        write_photo(folder / "new.jpg", [("red", (5, 5), 30)])
        (folder / "both.jpg").unlink()
        index_event(other_process, event, engine)
    finally:
        other_process.close()

    assert names(search_squares(runtime, event, engine, red)) == {"red.jpg", "new.jpg"}
