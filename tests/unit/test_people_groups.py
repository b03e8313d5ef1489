"""People groups on hand-made embeddings: cannot-link, faces between people, incremental = batch."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from eventface.domain.distance import CosineMetric, EuclideanMetric
from eventface.matching import people
from eventface.matching.people import HUB_NEIGHBOURS, PeopleGroups, PeopleRule, group_faces, match_people

COSINE = CosineMetric()


def unit(degrees: float) -> list[float]:
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees))]


def within(degrees: float) -> float:
    return 1 - math.cos(math.radians(degrees))


def grouped(angles: list[float], photos: list[int], link_degrees: float = 15) -> list[int]:
    vectors = np.array([unit(a) for a in angles], np.float32)
    ids = np.arange(len(angles), dtype=np.int64)
    return group_faces(ids, np.array(photos, np.int64), vectors, COSINE, within(link_degrees)).tolist()


def test_close_faces_in_different_photos_are_one_person_named_by_its_smallest_face_id() -> None:
    assert grouped([0, 3, 6, 90, 93], [1, 2, 3, 4, 5]) == [0, 0, 0, 3, 3]


def test_two_faces_of_one_photo_are_never_one_person() -> None:
    # faces 0 and 1 are nearly identical but share photo 1 (twins in one shot)
    labels = grouped([0, 1, 2], [1, 1, 2])

    assert labels[0] != labels[1]
    assert labels[2] in (labels[0], labels[1])


def test_a_group_never_takes_a_second_face_of_a_photo_it_already_holds() -> None:
    # 0-1-2 one person across photos 1-3; face 3 is in photo 1 too, within the link of all three
    labels = grouped([0, 2, 4, 10], [1, 2, 3, 1])

    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[0]


def test_a_face_between_two_people_joins_neither() -> None:
    # person A near 0 degrees, person B near 40; face 6 at 20 is 18-22 degrees from every face
    labels = grouped([-2, 0, 2, 38, 40, 42, 20], [1, 2, 3, 4, 5, 6, 7])

    assert labels[:3] == [0, 0, 0]
    assert labels[3:6] == [3, 3, 3]
    assert labels[6] == 6


def test_a_face_nearer_one_person_joins_that_one_only() -> None:
    labels = grouped([-2, 0, 2, 38, 40, 42, 12], [1, 2, 3, 4, 5, 6, 7])

    assert labels[6] == labels[0]
    assert labels[6] != labels[3]


def test_a_chain_of_faces_does_not_merge_two_people() -> None:
    # single linkage would chain 0 .. 50 degrees through faces 10 apart; average linkage stops
    labels = grouped([0, 10, 20, 30, 40, 50], [1, 2, 3, 4, 5, 6], link_degrees=12)

    assert len(set(labels)) > 1


def crowd(seed: int, people: int = 12, photos: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random people in 16 dimensions, 1-4 different people per photo, each face near its person."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 16))
    face_photos, vectors = [], []
    for photo in range(photos):
        for person in rng.choice(people, size=int(rng.integers(1, 5)), replace=False):
            face_photos.append(photo)
            vectors.append(centres[person] + rng.normal(scale=0.35, size=16))
    ids = rng.permutation(len(vectors)).astype(np.int64) + 1000  # ids need not follow photos
    return ids, np.array(face_photos, np.int64), np.array(vectors, np.float32)


def test_adding_photos_one_at_a_time_in_any_order_equals_grouping_them_all_at_once() -> None:
    metric, link = EuclideanMetric(), 2.6
    for seed in range(3):
        ids, photos, vectors = crowd(seed)
        batch = dict(zip(ids.tolist(), group_faces(ids, photos, vectors, metric, link).tolist(), strict=True))
        assert 5 < len(set(batch.values())) < len(ids)  # a real grouping, not all apart or all one

        groups = PeopleGroups(metric, link, dim=16)
        for photo in np.random.default_rng(seed).permutation(np.unique(photos)):
            at = photos == photo
            groups.add(ids[at], photos[at], vectors[at])

        assert dict(zip(groups.face_ids.tolist(), groups.labels.tolist(), strict=True)) == batch


def test_removing_photos_equals_grouping_what_is_left() -> None:
    metric, link = EuclideanMetric(), 2.6
    ids, photos, vectors = crowd(7)
    groups = PeopleGroups(metric, link, dim=16)
    groups.add(ids, photos, vectors)

    gone = np.array([3, 11, 12, 30], np.int64)
    groups.remove(gone)
    left = ~np.isin(photos, gone)
    batch = group_faces(ids[left], photos[left], vectors[left], metric, link)

    assert dict(zip(groups.face_ids.tolist(), groups.labels.tolist(), strict=True)) == dict(
        zip(ids[left].tolist(), batch.tolist(), strict=True)
    )


def event_of(angles: list[float], photos: list[int], link_degrees: float = 15) -> PeopleGroups:
    groups = PeopleGroups(COSINE, within(link_degrees), dim=2)
    groups.add(
        np.arange(len(angles), dtype=np.int64),
        np.array(photos, np.int64),
        np.array([unit(a) for a in angles], np.float32),
    )
    return groups


def selfie(degrees: float) -> np.ndarray:
    return np.array([unit(degrees)], np.float32)


def test_a_guest_gets_every_photo_of_the_person_they_match_not_only_the_close_ones() -> None:
    # the guest's faces at 0..18 degrees form one group (photos 1-4), ~18 degrees from the
    # selfie (-8) on average though face 3 is 26 away; a stranger at 60 degrees
    groups = event_of([0, 6, 12, 18, 60], [1, 2, 3, 4, 5])
    rule = PeopleRule(link=within(15), join=within(19), guard=False)

    got = match_people(groups, selfie(-8), rule)

    assert sorted(got.photo_ids.tolist()) == [1, 2, 3, 4]
    assert set(got.group_ids.tolist()) == {0}


def test_the_guest_joins_a_second_group_only_while_the_mean_distance_holds() -> None:
    # group A at 0..6 degrees, group B at 40..46 (apart at link 15); the selfie at 10 joins A
    # (mean 7 degrees); A + guest are ~40 degrees from B on average: B is not joined
    groups = event_of([0, 6, 40, 46], [1, 2, 3, 4])
    rule = PeopleRule(link=within(15), join=within(16), guard=False)

    assert sorted(match_people(groups, selfie(10), rule).photo_ids.tolist()) == [1, 2]


def test_a_guest_never_joins_two_groups_that_share_a_photo() -> None:
    # two people side by side in photo 1 (faces 0 and 1, 8 degrees apart, both near the
    # selfie); the guest joins the nearer one only
    groups = event_of([2, 10], [1, 1])
    rule = PeopleRule(link=within(15), join=within(20), guard=False)

    assert match_people(groups, selfie(0), rule).face_ids.tolist() == [0]


def test_a_face_nearer_to_a_stranger_than_to_the_guest_is_not_returned() -> None:
    # the guest is face 2 (-1 degrees, photo 3); face 0 (9 degrees, photo 2) is joined too, but
    # it is 1 degree from face 1 (10 degrees), a stranger: face 1 shares photo 3 with the guest
    groups = event_of([9, 10, -1], [2, 3, 3], link_degrees=0.5)
    loose = PeopleRule(link=within(0.5), join=within(10), guard=False)

    assert sorted(match_people(groups, selfie(0), loose).photo_ids.tolist()) == [2, 3]
    assert match_people(groups, selfie(0), replace(loose, guard=True)).photo_ids.tolist() == [3]


def test_no_queries_or_no_faces_match_nothing() -> None:
    rule = PeopleRule(link=within(15), join=within(10))

    assert len(match_people(event_of([0], [1]), np.zeros((0, 2), np.float32), rule).face_ids) == 0
    assert len(match_people(PeopleGroups(COSINE, within(15), dim=2), selfie(0), rule).face_ids) == 0


def brute_hub_means(
    ids: np.ndarray, photos: np.ndarray, vectors: np.ndarray, labels: np.ndarray, k: int
) -> dict[int, float]:
    """Each face's mean distance to its k nearest faces of other photos and other groups, from
    the full matrix."""
    d = np.linalg.norm(vectors[:, None, :] - vectors[None, :, :], axis=2).astype(np.float64)
    d[photos[:, None] == photos[None, :]] = np.inf
    d[labels[:, None] == labels[None, :]] = np.inf
    nearest = np.sort(d, axis=1)[:, :k]
    return {int(i): float(row[np.isfinite(row)].mean()) for i, row in zip(ids, nearest, strict=True)}


def test_a_face_s_crowdedness_leaves_out_its_own_group() -> None:
    # the guest's four photos (0-3 degrees) are one group: their neighbours are the other people
    groups = PeopleGroups(COSINE, within(15), dim=2, neighbours=True)
    angles = [0, 1, 2, 3, 90, 91, 180]
    groups.add(
        np.arange(7, dtype=np.int64), np.arange(1, 8, dtype=np.int64), np.array([unit(a) for a in angles])
    )

    means = groups.hub_means()

    assert groups.labels.tolist() == [0, 0, 0, 0, 4, 4, 6]
    assert means is not None
    assert means[0] == pytest.approx(np.mean([within(90), within(91), within(180)]), rel=1e-5)
    assert means[4] == pytest.approx(np.mean([within(d) for d in (90, 89, 88, 87, 90)]), rel=1e-5)


def test_each_face_keeps_its_nearest_neighbours_exactly_as_photos_come_and_go() -> None:
    metric = EuclideanMetric()
    for seed in (5, 6):
        ids, photos, vectors = crowd(seed, photos=60)
        groups = PeopleGroups(metric, 2.6, dim=16, neighbours=True)
        for photo in np.random.default_rng(seed).permutation(np.unique(photos)):
            at = photos == photo
            groups.add(ids[at], photos[at], vectors[at])
        gone = np.array([2, 9, 10, 41], np.int64)
        groups.remove(gone)

        left = ~np.isin(photos, gone)
        labels = group_faces(ids[left], photos[left], vectors[left], metric, 2.6)
        want = brute_hub_means(ids[left], photos[left], vectors[left], labels, HUB_NEIGHBOURS)
        everyone = brute_hub_means(ids[left], photos[left], vectors[left], ids[left], HUB_NEIGHBOURS)
        got = groups.hub_means()
        assert got is not None
        assert groups.people() >= 5  # groups of several faces, whose own faces are left out
        assert want != pytest.approx(everyone, rel=1e-3)
        for face, mean in zip(groups.face_ids.tolist(), got.tolist(), strict=True):
            assert mean == pytest.approx(want[face], rel=1e-4)


def test_neighbour_lists_measured_a_block_of_faces_at_a_time_are_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a whole event's first build, and a batch of photos, measured in blocks of 7 faces
    metric = EuclideanMetric()
    ids, photos, vectors = crowd(8, photos=60)
    half = photos < 30
    whole = PeopleGroups(metric, 2.6, dim=16, neighbours=True)
    whole.add(ids, photos, vectors)
    monkeypatch.setattr(people, "BLOCK_ROWS", 7)
    blocked = PeopleGroups(metric, 2.6, dim=16, neighbours=True)
    blocked.add(ids[half], photos[half], vectors[half])
    blocked.add(ids[~half], photos[~half], vectors[~half])

    assert len(ids) > 4 * 7
    want, got = whole.hub_means(), blocked.hub_means()
    assert want is not None
    assert got is not None
    by_face = dict(zip(blocked.face_ids.tolist(), got.tolist(), strict=True))
    assert [by_face[f] for f in whole.face_ids.tolist()] == pytest.approx(want.tolist(), rel=1e-6)


def hub_event() -> tuple[PeopleGroups, np.ndarray, np.ndarray]:
    """A crowd with no two faces grouped, the guest's selfie, and each face's corrected distance
    d - w (mu_face - mu_event) by brute force."""
    metric = EuclideanMetric()
    ids, photos, vectors = crowd(11, photos=60)
    groups = PeopleGroups(metric, 1e-6, dim=16, neighbours=True)  # no two faces merge
    groups.add(ids, photos, vectors)
    query = vectors[:1] + 0.1
    mu = brute_hub_means(ids, photos, vectors, ids, HUB_NEIGHBOURS)
    mu_face = np.array([mu[int(i)] for i in groups.face_ids])
    plain_d = np.linalg.norm(groups.embeddings - query, axis=1).astype(np.float64)
    return groups, query, plain_d - 0.5 * (mu_face - mu_face.mean())


def test_the_hub_correction_shifts_each_distance_by_the_event_face_s_crowdedness_only() -> None:
    # with every face its own group and no guard, the guest joins faces closest first by the
    # corrected distance: checked against brute force
    groups, query, corrected = hub_event()
    nearest = float(np.sort(corrected)[0])
    rule = PeopleRule(
        link=1e-6, join=0.0, guard=False, hub_weight=0.5, crowd_join=nearest + 1e-6, crowd_people=0
    )

    accepted = match_people(groups, query, rule)

    assert accepted.face_ids.tolist() == [int(groups.face_ids[np.argmin(corrected)])]


def test_the_hub_correction_applies_from_crowd_people_groups_only() -> None:
    groups, query, corrected = hub_event()
    rule = PeopleRule(
        link=1e-6, join=0.0, guard=False, hub_weight=0.5, crowd_join=float(np.sort(corrected)[0]) + 1e-6
    )
    crowd_of = lambda n: replace(rule, crowd_people=n)  # noqa: E731

    assert groups.people() == 0  # every face alone
    assert len(match_people(groups, query, crowd_of(0)).face_ids) == 1
    assert len(match_people(groups, query, crowd_of(1)).face_ids) == 0  # the plain join: 0


def test_a_crowd_is_counted_in_groups_of_two_faces_or_more() -> None:
    groups = event_of([0, 1, 2, 90, 91, 180], [1, 2, 3, 4, 5, 6])

    assert groups.people() == 2
    assert groups.people(min_faces=3) == 1


def test_without_neighbour_lists_the_plain_join_is_used() -> None:
    # single faces (while an event's groups are built) keep no neighbours: no correction
    groups = event_of([0, 5, 40], [1, 2, 3], link_degrees=1)
    single = PeopleGroups.singletons(
        COSINE, groups.face_ids, groups.photo_ids, groups.embeddings, groups.terms
    )
    rule = PeopleRule(link=within(1), join=within(10), hub_weight=0.5, crowd_join=10.0, crowd_people=0)

    assert single.hub_means() is None
    assert match_people(single, selfie(2), rule).face_ids.tolist() == [0, 1]


def crowd_event_of(angles: list[float], photos: list[int], link_degrees: float) -> PeopleGroups:
    """As event_of, keeping the neighbour lists a crowd's rule reads."""
    groups = PeopleGroups(COSINE, within(link_degrees), dim=2, neighbours=True)
    groups.add(
        np.arange(len(angles), dtype=np.int64),
        np.array(photos, np.int64),
        np.array([unit(a) for a in angles], np.float32),
    )
    return groups


# A crowd's rule whose correction is negligible (every face's offset is ~1e-9 x its crowdedness),
# so the joins below read the plain distances: the guest joins up to 22 degrees on average, a
# group holding a face within 5 degrees of the selfie 0.035 further (to ~25.6 degrees).
ROOMY = PeopleRule(
    link=within(30),
    join=0.0,
    guard=False,
    hub_weight=1e-9,
    crowd_join=within(22),
    crowd_people=0,
    crowd_near=within(5),
    crowd_room=0.035,
)
# Person A: one face 2 degrees from the selfie, two at 30-32 (photos 1-3), 0.0955 from the guest
# on average: beyond the crowd join (0.0728), within it plus the room (0.1078).
PERSON_A = ([2.0, 30.0, 32.0], [1, 2, 3])


def test_in_a_crowd_a_group_holding_a_face_near_a_selfie_joins_with_more_room() -> None:
    # person B (-24, -26 degrees; photos 1 and 2, so never grouped with A) is nearer on average
    # (0.0938) but has no face within 5 degrees of the selfie: no room
    angles, photos = PERSON_A
    groups = crowd_event_of([*angles, -24, -26], [*photos, 1, 2], link_degrees=30)
    assert len(set(groups.labels.tolist())) == 2

    assert sorted(match_people(groups, selfie(0), ROOMY).photo_ids.tolist()) == [1, 2, 3]
    assert len(match_people(groups, selfie(0), replace(ROOMY, crowd_room=0.0)).face_ids) == 0
    # not a crowd: the plain join (0 here), no room
    assert len(match_people(groups, selfie(0), replace(ROOMY, crowd_people=3)).face_ids) == 0


def test_a_group_with_no_face_near_a_selfie_gets_no_room() -> None:
    b_only = crowd_event_of([-24, -26], [1, 2], link_degrees=30)

    assert len(match_people(b_only, selfie(0), ROOMY).face_ids) == 0
    assert len(match_people(b_only, selfie(0), replace(ROOMY, crowd_near=within(25))).face_ids) == 2


def test_the_guest_joins_the_group_with_the_most_room_left_first() -> None:
    # person C (-20, -22 degrees, 0.0666 on average) shares photos 1 and 2 with A: the guest can
    # join one of them. C is nearer, but A has more room left (0.0123 against C's 0.0063)
    angles, photos = PERSON_A
    groups = crowd_event_of([*angles, -20, -22], [*photos, 1, 2], link_degrees=30)
    assert len(set(groups.labels.tolist())) == 2

    assert sorted(match_people(groups, selfie(0), ROOMY).face_ids.tolist()) == [0, 1, 2]
    assert sorted(match_people(groups, selfie(0), replace(ROOMY, crowd_room=0.0)).face_ids.tolist()) == [3, 4]


def test_a_stricter_rule_scales_the_joins_and_the_room_but_keeps_the_groups() -> None:
    strict = ROOMY.scaled(0.5)

    assert (strict.link, strict.crowd_people, strict.hub_weight) == (ROOMY.link, 0, ROOMY.hub_weight)
    assert strict.crowd_join == pytest.approx(ROOMY.crowd_join / 2)
    assert strict.crowd_near == pytest.approx(ROOMY.crowd_near / 2)
    assert strict.crowd_room == pytest.approx(0.0175)


# A crowd's rule reading plain distances (as ROOMY), joining up to 22 degrees on average, with the
# single-link check: a group is joined only with a face within 10 degrees of the selfie or of a
# face already joined.
LINKED = replace(ROOMY, crowd_near=0.0, crowd_room=0.0, crowd_link=within(10))


def test_in_a_crowd_a_group_with_no_face_near_the_guest_is_not_joined_however_near_its_mean() -> None:
    # person B (15, 17 degrees) is within the crowd join on average, but 15 degrees at the nearest;
    # person Z far away keeps B from being the event's only group
    groups = crowd_event_of([15, 17, 150, 152], [1, 2, 3, 4], link_degrees=5)
    assert len(set(groups.labels.tolist())) == 2

    assert len(match_people(groups, selfie(0), LINKED).face_ids) == 0
    assert sorted(match_people(groups, selfie(0), replace(LINKED, crowd_link=0.0)).face_ids.tolist()) == [
        0,
        1,
    ]
    assert sorted(
        match_people(groups, selfie(0), replace(LINKED, crowd_link=within(16))).face_ids.tolist()
    ) == [
        0,
        1,
    ]


def test_the_single_link_check_applies_in_a_crowd_only() -> None:
    groups = crowd_event_of([15, 17, 150, 152], [1, 2, 3, 4], link_degrees=5)
    not_a_crowd = replace(LINKED, join=within(22), crowd_people=3)

    assert sorted(match_people(groups, selfie(0), not_a_crowd).face_ids.tolist()) == [0, 1]


def test_a_group_may_be_reached_through_a_face_already_joined() -> None:
    # person A (2, 4 degrees) is near the selfie; person C (13, 15) is 13 degrees from it at the
    # nearest but 9 from A's face at 4: joined once A is, and not if the link is 8 degrees
    groups = crowd_event_of([2, 4, 13, 15, 150, 152], [1, 2, 3, 4, 5, 6], link_degrees=3)
    assert len(set(groups.labels.tolist())) == 3

    assert sorted(match_people(groups, selfie(0), LINKED).face_ids.tolist()) == [0, 1, 2, 3]
    assert sorted(
        match_people(groups, selfie(0), replace(LINKED, crowd_link=within(8))).face_ids.tolist()
    ) == [0, 1]


def test_a_stricter_rule_scales_the_single_link_too() -> None:
    assert LINKED.scaled(0.5).crowd_link == pytest.approx(LINKED.crowd_link / 2)
