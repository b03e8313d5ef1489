"""The people cache: each event's groups follow the faces a real NumpyVectorIndex holds, exactly
as grouping the event at once would; concurrent searches read consistent groups; a big event is
grouped in the background while searches match the guest to single faces."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from eventface.domain.distance import CosineMetric
from eventface.domain.models import FaceMatrix
from eventface.matching import expansion
from eventface.matching.expansion import match_faces
from eventface.matching.index import EventFaces
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.matching.people import HUB_NEIGHBOURS, PeopleGroups, PeopleRule, group_faces
from eventface.matching.people_cache import PeopleCache

METRIC = CosineMetric()
LINK = 0.05
EVENT = 1
WAIT = 30.0  # seconds a background build may take here, at most (it takes milliseconds)


def faces(first_face: int, first_photo: int, photos: int, rng: np.random.Generator) -> FaceMatrix:
    """Two faces a photo, each near one of 8 people (so groups are real and span photos)."""
    n = photos * 2
    people = rng.normal(size=(8, 16))
    vectors = people[rng.integers(0, 8, n)] + rng.normal(scale=0.15, size=(n, 16))
    return FaceMatrix(
        np.arange(first_face, first_face + n, dtype=np.int64),
        np.repeat(np.arange(first_photo, first_photo + photos, dtype=np.int64), 2),
        (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32),
        np.full(n, 200.0, np.float32),
        np.full(n, 100.0, np.float32),
    )


def batch(held: EventFaces) -> dict[int, int]:
    f = held.faces
    grouped = group_faces(f.face_ids, f.photo_ids, f.embeddings, METRIC, LINK)
    return dict(zip(f.face_ids.tolist(), grouped.tolist(), strict=True))


def labels(groups: PeopleGroups) -> dict[int, int]:
    return dict(zip(groups.face_ids.tolist(), groups.labels.tolist(), strict=True))


def held(index: NumpyVectorIndex) -> EventFaces:
    out = index.every_face(EVENT)
    assert out is not None
    return out


def test_the_groups_follow_added_and_removed_photos_exactly_as_grouping_the_event_at_once() -> None:
    rng = np.random.default_rng(1)
    index = NumpyVectorIndex()
    index.load(EVENT, 1, METRIC, faces(0, 0, 40, rng))
    cache = PeopleCache()
    revision, next_face, next_photo = 1, 80, 40
    for step in range(12):
        groups = cache.groups(EVENT, held(index), LINK)
        assert groups is not None
        assert labels(groups) == batch(held(index)), step
        removed = rng.choice(np.unique(held(index).faces.photo_ids), size=3, replace=False)
        added = faces(next_face, next_photo, 4, rng)
        revision, next_face, next_photo = revision + 1, next_face + 8, next_photo + 4
        index.apply(EVENT, revision, removed, added)


def brute_hub_means(held: EventFaces) -> dict[int, float]:
    """Each face's mean distance to its HUB_NEIGHBOURS nearest faces of other photos and other
    groups, grouping the event at once."""
    f = held.faces
    grouped = group_faces(f.face_ids, f.photo_ids, f.embeddings, METRIC, LINK)
    d = METRIC.pairwise(f.embeddings, f.embeddings).astype(np.float64)
    d[(f.photo_ids[:, None] == f.photo_ids[None, :]) | (grouped[:, None] == grouped[None, :])] = np.inf
    nearest = np.sort(d, axis=1)[:, :HUB_NEIGHBOURS]
    return {int(i): float(row[np.isfinite(row)].mean()) for i, row in zip(f.face_ids, nearest, strict=True)}


def test_the_neighbours_for_the_hub_correction_follow_photos_exactly_and_snapshots_keep_theirs() -> None:
    rng = np.random.default_rng(3)
    index = NumpyVectorIndex()
    index.load(EVENT, 1, METRIC, faces(0, 0, 40, rng))
    cache = PeopleCache()
    revision, next_face, next_photo = 1, 80, 40
    handed_out: list[tuple[PeopleGroups, np.ndarray]] = []
    for step in range(8):
        groups = cache.groups(EVENT, held(index), LINK, neighbours=True)
        assert groups is not None
        means = groups.hub_means()
        assert means is not None
        want = brute_hub_means(held(index))
        assert means.tolist() == pytest.approx([want[i] for i in groups.face_ids.tolist()], rel=1e-4), step
        handed_out.append((groups, means.copy()))
        removed = rng.choice(np.unique(held(index).faces.photo_ids), size=3, replace=False)
        added = faces(next_face, next_photo, 4, rng)
        revision, next_face, next_photo = revision + 1, next_face + 8, next_photo + 4
        index.apply(EVENT, revision, removed, added)
    for groups, means in handed_out:
        assert np.array_equal(groups.hub_means(), means)


def test_a_photo_analysed_again_leaves_with_its_old_faces_and_comes_back_with_its_new_ones() -> None:
    rng = np.random.default_rng(2)
    index = NumpyVectorIndex()
    index.load(EVENT, 1, METRIC, faces(0, 0, 20, rng))
    cache = PeopleCache()
    assert cache.groups(EVENT, held(index), LINK) is not None
    again = faces(100, 7, 1, rng)  # photo 7's faces, new face ids
    index.apply(EVENT, 2, np.array([7]), again)

    groups = cache.groups(EVENT, held(index), LINK)

    assert groups is not None and labels(groups) == batch(held(index))


def test_groups_handed_out_do_not_change_when_the_event_does() -> None:
    rng = np.random.default_rng(3)
    index = NumpyVectorIndex()
    index.load(EVENT, 1, METRIC, faces(0, 0, 20, rng))
    cache = PeopleCache()
    before = cache.groups(EVENT, held(index), LINK)
    assert before is not None
    snapshot = labels(before), before.component.copy()
    index.apply(EVENT, 2, np.array([0, 1, 2]), faces(40, 20, 5, rng))

    assert cache.groups(EVENT, held(index), LINK) is not None
    assert (labels(before), before.component.tolist()) == (snapshot[0], snapshot[1].tolist())


def test_concurrent_searches_while_photos_come_and_go_each_read_the_groups_of_what_they_saw() -> None:
    rng = np.random.default_rng(4)
    index = NumpyVectorIndex()
    index.load(EVENT, 1, METRIC, faces(0, 0, 30, rng))
    cache = PeopleCache()
    seen: list[tuple[EventFaces, PeopleGroups]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def search() -> None:
        try:
            while not done.is_set():
                now = held(index)
                groups = cache.groups(EVENT, now, LINK)
                assert groups is not None
                seen.append((now, groups))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            raise

    threads = [threading.Thread(target=search) for _ in range(4)]
    for t in threads:
        t.start()
    for revision in range(2, 20):
        photo = 30 + revision * 3
        index.apply(EVENT, revision, np.array([revision]), faces(photo * 2, photo, 3, rng))
        searched, deadline = len(seen), time.monotonic() + WAIT
        while len(seen) < searched + 2 and time.monotonic() < deadline and not errors:
            time.sleep(0.001)  # until the searchers have seen this revision
    done.set()
    for t in threads:
        t.join(WAIT)
    assert not errors
    assert len(seen) >= 2 * 18
    for now, groups in seen[:: max(1, len(seen) // 40)]:  # checking each would take long
        assert labels(groups) == batch(now)


def test_a_big_event_is_grouped_in_the_background_while_searches_join_single_faces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    index = NumpyVectorIndex()
    index.load(EVENT, 1, METRIC, faces(0, 0, 30, rng))
    cache = PeopleCache(background_above=10)
    PeopleCache.attach(index, cache)
    release = threading.Event()
    started = threading.Event()
    add = PeopleGroups.add

    def held_back(self: PeopleGroups, *args: np.ndarray) -> None:
        started.set()
        assert release.wait(WAIT)
        add(self, *args)

    monkeypatch.setattr(PeopleGroups, "add", held_back)
    selfie = held(index).faces.embeddings[:1]
    rule = PeopleRule(link=LINK, join=0.3)

    def search() -> list[int]:
        matches = match_faces(index, EVENT, selfie, tolerance=0.3, expansion_tolerance=None, people=rule)
        return sorted(m.photo_id for m in matches)

    singles = match_faces(
        index, EVENT, selfie, tolerance=0.3, expansion_tolerance=None, people=PeopleRule(0.0, 0.3)
    )
    assert search() == sorted(m.photo_id for m in singles)  # not waiting: the guest joins single faces
    assert started.wait(WAIT)
    assert cache.groups(EVENT, held(index), LINK) is None  # still building: one build at a time
    release.set()
    assert cache.wait(WAIT)

    groups = cache.groups(EVENT, held(index), LINK)

    assert groups is not None and labels(groups) == batch(held(index))
    assert search() != []


def test_an_event_the_index_no_longer_holds_exactly_is_forgotten() -> None:
    rng = np.random.default_rng(6)
    index = NumpyVectorIndex()
    index.load(EVENT, 1, METRIC, faces(0, 0, 10, rng))
    cache = PeopleCache(max_events=2)
    for event in (EVENT, 2, 3):
        index.load(event, 1, METRIC, faces(0, 0, 10, rng))
        assert cache.groups(event, index.every_face(event), LINK) is not None

    assert cache.groups(2, None, LINK) is None
    assert list(cache._entries) == [3]  # 1: the least recently searched beyond max_events; 2: not held


def test_an_event_too_big_for_the_people_rule_gets_the_guard_rule_and_keeps_no_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(7)
    index = NumpyVectorIndex()
    index.load(EVENT, 1, METRIC, faces(0, 0, 30, rng))
    cache = PeopleCache()
    PeopleCache.attach(index, cache)
    monkeypatch.setattr(expansion, "PEOPLE_MAX_FACES", 59)  # the event has 60
    selfie = held(index).faces.embeddings[:1]

    def search(people: PeopleRule | None) -> list[tuple[int, float]]:
        found = match_faces(index, EVENT, selfie, tolerance=0.3, expansion_tolerance=0.2, people=people)
        return [(m.photo_id, m.distance) for m in found]

    assert search(PeopleRule(link=LINK, join=0.3)) == search(None)
    assert list(cache._entries) == []
