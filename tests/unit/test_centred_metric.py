"""An event's centred metric in a crowd (issue 11, matching/centring.py), on hand-made embeddings:
the metric equals centring, re-normalising and rescaling done by hand; the fit's means and
scales; the fit is frozen until a refit, and a refit groups the event again on the new metric."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest

from eventface.domain.distance import CentredFusedMetric, FusedMetric
from eventface.domain.models import FaceMatrix
from eventface.matching.centring import REFIT_GROWTH, centring_for, fit_centring
from eventface.matching.expansion import match_faces
from eventface.matching.index import EventFaces
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.matching.people import PeopleRule, group_faces
from eventface.matching.people_cache import PeopleCache

SPLIT = 8
BASE = FusedMetric(split=SPLIT, cosine_scale=0.5, euclidean_scale=0.4)
# the crowd rule, in a crowd from 3 groups of two faces or more
RULE = PeopleRule(link=1.0, join=1.2, hub_weight=0.5, crowd_join=1.26, crowd_people=3)
Floats = npt.NDArray[np.float64]


def crowd(people: int, seed: int = 0) -> FaceMatrix:
    """Each person in two photos, two people a photo (photo k: persons k and k + 1), rows sharing
    a common component in each half as a crowd's do (cosine half unit, Euclidean half not)."""
    rng = np.random.default_rng(seed)
    cosine_common, euclidean_common = rng.normal(size=SPLIT), rng.normal(size=SPLIT)
    cosine = cosine_common + 1.0 * rng.normal(size=(people, SPLIT))
    euclidean = euclidean_common + 0.5 * rng.normal(size=(people, SPLIT))
    rows, photos = [], []
    for photo in range(people):
        for person in (photo, (photo + 1) % people):
            c = cosine[person] + 0.02 * rng.normal(size=SPLIT)
            e = euclidean[person] + 0.01 * rng.normal(size=SPLIT)
            rows.append(np.concatenate([c / np.linalg.norm(c), e]))
            photos.append(photo)
    n = len(rows)
    return FaceMatrix(
        np.arange(n, dtype=np.int64) + 100,
        np.array(photos, np.int64),
        np.array(rows, np.float32),
        np.full(n, 200.0, np.float32),
        np.full(n, 100.0, np.float32),
    )


def by_hand(metric: CentredFusedMetric, x: npt.NDArray[np.float32]) -> Floats:
    """Each half centred on its mean and L2-normalised, in float64."""
    out = np.array(x, np.float64)
    for half, mean in ((slice(0, SPLIT), metric.cosine_mean), (slice(SPLIT, None), metric.euclidean_mean)):
        centred = out[:, half] - np.asarray(mean)
        out[:, half] = centred / np.linalg.norm(centred, axis=1, keepdims=True)
    return out


def fused_by_hand(
    metric: CentredFusedMetric, queries: npt.NDArray[np.float32], faces: npt.NDArray[np.float32]
) -> Floats:
    q, f = by_hand(metric, queries), by_hand(metric, faces)
    cosine = 1.0 - q[:, :SPLIT] @ f[:, :SPLIT].T
    euclidean = np.linalg.norm(q[:, None, SPLIT:] - f[None, :, SPLIT:], axis=2)
    scale_c, scale_e = BASE.cosine_scale * metric.cosine_ratio, BASE.euclidean_scale * metric.euclidean_ratio
    return np.asarray(0.5 / scale_c * cosine + 0.5 / scale_e * euclidean, np.float64)


def index_of(faces: FaceMatrix) -> NumpyVectorIndex:
    index = NumpyVectorIndex()
    index.load(1, 1, BASE, faces)
    return index


def test_the_centred_metric_equals_centring_renormalising_and_rescaling_by_hand() -> None:
    faces = crowd(12)
    x = faces.embeddings
    metric = CentredFusedMetric(
        BASE, tuple(x[:, :SPLIT].mean(0).tolist()), tuple(x[:, SPLIT:].mean(0).tolist()), 1.3, 0.7
    )
    queries = x[:5] + np.float32(0.01)
    terms = metric.face_terms(x)

    assert terms.shape == (len(x), 4)
    got, want = metric.distances(queries, x, terms), fused_by_hand(metric, queries, x)
    # float32 products: close to the thresholds (~1) within 2e-5; near 0 the square root of the
    # Euclidean half magnifies the rounding, as it does for FusedMetric
    far = want > 0.5
    np.testing.assert_allclose(got[far], want[far], atol=2e-5)
    np.testing.assert_allclose(got, want, atol=1e-3)
    # the terms of some faces are those faces' rows of the terms (as an index slices them)
    rows = np.array([3, 0, 7])
    np.testing.assert_allclose(
        metric.distances(queries, x[rows], terms[rows]), metric.pairwise(queries, x[rows])
    )


def test_two_metrics_of_the_same_fit_are_equal_and_the_plain_one_is_not() -> None:
    a = fit_centring(BASE, crowd(6).photo_ids, crowd(6).embeddings)
    b = fit_centring(BASE, crowd(6).photo_ids, crowd(6).embeddings)

    assert a == b and a is not b  # the people cache keeps an event's groups for one metric
    assert a != BASE and a != replace(b, cosine_ratio=b.cosine_ratio + 1e-9)


def test_the_fit_takes_the_event_means_and_keeps_its_same_photo_distances_median() -> None:
    faces = crowd(10)
    metric = fit_centring(BASE, faces.photo_ids, faces.embeddings)
    x = np.asarray(faces.embeddings, np.float64)

    np.testing.assert_allclose(metric.cosine_mean, x[:, :SPLIT].mean(0))
    np.testing.assert_allclose(metric.euclidean_mean, x[:, SPLIT:].mean(0))
    # two faces a photo: rows 2k and 2k + 1 are the event's only cannot-link pairs
    moved = by_hand(metric, faces.embeddings)
    i, j = np.arange(0, len(x), 2), np.arange(1, len(x), 2)
    cosine_ratio = np.median(1 - np.sum(moved[i, :SPLIT] * moved[j, :SPLIT], 1)) / np.median(
        1 - np.sum(x[i, :SPLIT] * x[j, :SPLIT], 1)
    )
    euclidean_ratio = np.median(np.linalg.norm(moved[i, SPLIT:] - moved[j, SPLIT:], axis=1)) / np.median(
        np.linalg.norm(x[i, SPLIT:] - x[j, SPLIT:], axis=1)
    )
    assert metric.cosine_ratio == pytest.approx(cosine_ratio)
    assert metric.euclidean_ratio == pytest.approx(euclidean_ratio)


def test_without_two_faces_in_any_photo_the_scales_stay() -> None:
    faces = crowd(6)
    metric = fit_centring(BASE, np.arange(len(faces), dtype=np.int64), faces.embeddings)

    assert (metric.cosine_ratio, metric.euclidean_ratio) == (1.0, 1.0)


def test_an_event_is_centred_once_it_is_a_crowd() -> None:
    small, big = crowd(2), crowd(8)

    assert centring_for(index_of(small), 1, RULE, BASE, "m", None) is None  # 2 people: not a crowd
    fitted = centring_for(index_of(big), 1, RULE, BASE, "m", None)
    assert fitted is not None
    assert (fitted.faces, fitted.model, fitted.version) == (len(big), "m", 0)
    assert fitted.metric == fit_centring(BASE, big.photo_ids, big.embeddings)
    # no crowd rule (no hub correction), or another metric: never centred
    assert centring_for(index_of(big), 1, replace(RULE, hub_weight=0.0), BASE, "m", None) is None


def test_a_stored_centring_holds_until_the_event_doubles_or_its_model_changes() -> None:
    faces = crowd(8)
    first = centring_for(index_of(faces), 1, RULE, BASE, "m", None)
    assert first is not None
    grown = crowd(int(8 * REFIT_GROWTH) - 1, seed=1)
    doubled = crowd(int(8 * REFIT_GROWTH), seed=1)

    assert centring_for(index_of(grown), 1, RULE, BASE, "m", first) is first  # frozen: photos came in
    refit = centring_for(index_of(doubled), 1, RULE, BASE, "m", first)
    assert refit is not None and refit is not first
    assert (refit.version, refit.faces) == (1, len(doubled))
    assert refit.metric == fit_centring(BASE, doubled.photo_ids, doubled.embeddings)
    other_model = centring_for(index_of(faces), 1, RULE, BASE, "m2", first)
    assert other_model is not None and (other_model.version, other_model.model) == (1, "m2")


def test_the_people_rule_groups_the_event_in_its_metric_and_again_after_a_refit() -> None:
    faces = crowd(10)
    index = index_of(faces)
    old = fit_centring(BASE, faces.photo_ids[:10], faces.embeddings[:10])  # fitted on fewer faces
    new = fit_centring(BASE, faces.photo_ids, faces.embeddings)
    selfie = faces.embeddings[:1]

    for metric in (old, new):
        match_faces(
            index, 1, selfie, tolerance=1.075, expansion_tolerance=None, people=replace(RULE, metric=metric)
        )
        held = index.every_face(1)
        assert held is not None
        groups = PeopleCache.of(index).groups(1, EventFaces(metric, held.faces, held.terms), RULE.link, True)
        assert groups is not None and groups.metric == metric
        batch = group_faces(faces.face_ids, faces.photo_ids, faces.embeddings, metric, RULE.link)
        np.testing.assert_array_equal(groups.labels, batch[np.argsort(faces.face_ids)])


def test_a_centred_search_finds_the_guest_and_no_stranger() -> None:
    faces = crowd(10)
    index = index_of(faces)
    fitted = centring_for(index, 1, RULE, BASE, "m", None)
    assert fitted is not None
    person_0 = faces.embeddings[0:1]  # person 0 is in photos 0 and 9

    matches = match_faces(
        index,
        1,
        person_0,
        tolerance=1.075,
        expansion_tolerance=None,
        people=replace(RULE, metric=fitted.metric),
    )

    assert {m.photo_id for m in matches} == {0, 9}
