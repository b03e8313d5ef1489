"""Finding a guest's photos from their selfies.

A selfie is read from its header first: one over the pixel limit, or not a JPEG, PNG, WebP or
HEIC, is reported and never decoded. A search none of whose selfies can be used is refused
(NoUsableSelfieError, with the report on each); one with at least one usable selfie goes on.
A selfie whose face is too small or too blurry to be relied on (`SELFIE_CHECKS`) is not matched
as if it were good (issue 11): its report tells the guest what to change, it is left out when
the guest gave a good selfie too, and alone it is matched by a stricter rule (POOR_SELFIE_SCALE).
In a crowd the people rule compares faces in the event's own centred metric, fitted once and
stored for every process (`centred`, matching/centring.py); selfies are compared in it too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.distance import FusedMetric
from eventface.domain.models import Box, DetectedFace, Photo
from eventface.errors import ImageError, ImageTooLargeError, NotFoundError, NoUsableSelfieError
from eventface.faces.engine import FaceEngine
from eventface.faces.images import SELFIE_FORMATS, PhotoImage
from eventface.faces.quality import SelfieCheck
from eventface.matching.centring import centring_for
from eventface.matching.expansion import match_faces
from eventface.matching.index import VectorIndex
from eventface.matching.people import HUB_WEIGHT, PeopleRule

# an indexing run may swap an event's faces between a search's reads of the index: read again
INDEX_ATTEMPTS = 3
# What a selfie's face needs to be matched like a good one, per engine (benchmarks/README.md,
# "Selfie quality", `benchmarks/crowd_selfies.py --degrade`, crowd seeds 1 and 2): alone, faces of
# 48-72 px return 2-4 % strangers' photos (good selfies ~1 %), and beside a good selfie a small one
# adds strangers' photos (P 0.987 -> 0.973-0.979); real selfies of 66-69 px did not, hence 64.
# Under 30 of sharpness a face finds almost nothing. Sharpness is measured on YuNet's aligned
# chip, which the dlib engine does not make (its faces' sharpness is 0): size only there.
MIN_SELFIE_FACE_PX = 64.0
MIN_SELFIE_SHARPNESS = 30.0
# a search with poor selfies only: the tolerance and the people rule's join shrink by this
# (the join 1.2 -> 1.05: poor selfies alone P 0.979 -> 0.992 and 0.989 -> 0.999 on seeds 1 and 2,
# at about half their recall; refusing them would find nothing)
POOR_SELFIE_SCALE = 0.875
SELFIE_CHECKS = {
    "fusion": SelfieCheck(min_face_px=MIN_SELFIE_FACE_PX, min_sharpness=MIN_SELFIE_SHARPNESS),
    "sface": SelfieCheck(min_face_px=MIN_SELFIE_FACE_PX, min_sharpness=MIN_SELFIE_SHARPNESS),
    "dlib": SelfieCheck(min_face_px=MIN_SELFIE_FACE_PX),
}
# what the guest is told for each fault of SelfieCheck (web/i18n.py has the Thai)
SELFIE_FAULTS = {
    "face_too_small": (
        "Your face is small in this selfie: one taken closer to the camera finds more of your photos."
    ),
    "face_blurry": (
        "This selfie is blurry: one held still, facing the camera, in more light finds more of your photos."
    ),
}


@dataclass(frozen=True)
class Selfie:
    label: str  # a file name, for the report
    data: bytes


@dataclass(frozen=True)
class SelfieReport:
    file: str
    faces_found: int
    error: str | None = None  # why this selfie could not be used
    too_large: bool = False  # refused from its header: more pixels than a selfie may have
    fault: str | None = None  # its face is too poor to be relied on: a key of SELFIE_FAULTS

    @property
    def code(self) -> str:
        """What the guest page translates: ok | no_face | many_faces | unreadable | too_large,
        or a fault of the face (face_too_small | face_blurry)."""
        if self.error:
            return "too_large" if self.too_large else "unreadable"
        if self.faces_found == 0:
            return "no_face"
        if self.fault:
            return self.fault
        return "many_faces" if self.faces_found > 1 else "ok"

    @property
    def usable(self) -> bool:
        return self.faces_found > 0

    @property
    def message(self) -> str | None:
        if self.error:
            return self.error
        if self.fault:
            return SELFIE_FAULTS[self.fault]
        if self.faces_found == 0:
            return "no face found in this selfie: try one facing the camera, in good light"
        if self.faces_found > 1:
            return f"{self.faces_found} faces in this selfie: the largest one was used"
        return None

    def public(self) -> dict[str, object]:
        """What a guest is told about this selfie (never its file name or bytes)."""
        return {"faces_found": self.faces_found, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class SearchLimits:
    """How close is a match, and what may be searched: from settings and the engine (Runtime)."""

    tolerance: float  # distance above which two faces are different people
    max_pixels: int  # larger selfies are refused from their header, never decoded (bombs)
    min_face_px: int = 0  # smaller faces in photos are not matched
    min_sharpness: float = 0.0  # blurrier faces in photos are not matched
    people: bool = True  # match the guest to the event's people, where the engine has a rule for it


@dataclass(frozen=True)
class PhotoMatch:
    photo_id: int
    name: str
    source_file_id: str
    distance: float
    margin: float | None = None  # to the nearest stranger: domain.models.Match
    expanded: bool = False
    # the matched face's centre, as fractions of the photo's width and height: a thumbnail's
    # crop is centred there (issue 14); None when the photo's size is not known
    focus: tuple[float, float] | None = None


@dataclass(frozen=True)
class SearchResult:
    matches: list[PhotoMatch]
    selfies: list[SelfieReport]


def largest(faces: list[DetectedFace]) -> DetectedFace:
    return max(faces, key=lambda f: f.box.width * f.box.height)


def selfie_embeddings(
    engine: FaceEngine, selfies: list[Selfie], max_pixels: int
) -> tuple[list[np.ndarray], list[SelfieReport]]:
    """One query embedding per usable selfie (its largest face), and a report on each selfie
    (with its fault, when the face fails the engine's SELFIE_CHECKS).

    The expensive half of a search, and the one that needs no database: the web runs it in a
    search worker (faces/search_pool.py) before it opens the search's transaction.
    """
    queries, reports = [], []
    check = SELFIE_CHECKS.get(engine.name)
    for selfie in selfies:
        try:
            faces = engine.find_faces(PhotoImage(selfie.data, max_pixels, formats=SELFIE_FORMATS))
        except ImageError as exc:
            too_large = isinstance(exc, ImageTooLargeError)
            reports.append(SelfieReport(selfie.label, 0, str(exc), too_large=too_large))
            continue
        face = largest(faces) if faces else None
        fault = check.fault(face.box.height, face.sharpness) if face and check else None
        reports.append(SelfieReport(selfie.label, len(faces), fault=fault))
        if face:
            queries.append(face.embedding)
    return queries, reports


def expansion_limit(engine: FaceEngine, tolerance: float) -> float | None:
    """The engine's expansion limit, scaled with a tolerance set away from the engine's own
    (FACE_TOLERANCE): a stricter tolerance makes the whole rule stricter, as calibrated."""
    if engine.expansion_tolerance is None:
        return None
    return engine.expansion_tolerance * (tolerance / engine.default_tolerance)  # exact at the default


def people_rule(engine: FaceEngine, tolerance: float) -> PeopleRule | None:
    """The engine's people rule, scaled like the expansion limit when FACE_TOLERANCE is set."""
    if engine.people_rule is None:
        return None
    scale = tolerance / engine.default_tolerance
    return people_rule_of(engine.people_rule, scale)


def people_rule_of(rule: tuple[float, float, float, float, float], scale: float = 1.0) -> PeopleRule:
    """An engine's (link, join, crowd join, crowd near, crowd room) as a PeopleRule, its distances
    scaled: in a crowd the hub correction applies, with the crowd join, and groups near a selfie
    have the crowd room beyond it (matching/people.py)."""
    link, join, crowd_join, crowd_near, crowd_room = rule
    return PeopleRule(
        link=link * scale,
        join=join * scale,
        hub_weight=HUB_WEIGHT if crowd_join else 0.0,
        crowd_join=crowd_join * scale,
        crowd_near=crowd_near * scale,
        crowd_room=crowd_room * scale,
    )


def ensure_loaded(uow: UnitOfWork, index: VectorIndex, event_id: int, engine: FaceEngine) -> None:
    """Brings the event's index to the database's revision: loads the whole event when the index
    does not hold it (nor has a copy saved), else only the photos whose faces changed since the
    revision it holds (however many processes made those changes)."""
    revision = uow.events.faces_revision(event_id)
    held = index.revision(event_id)
    if held is None:  # a big event's copy saved on disk spares building it (matching/saved_faces.py)
        held = index.restore(event_id, engine.metric)
    if held == revision:
        return
    if held is None or held > revision:  # a revision ahead: a change this process made was rolled back
        index.load(event_id, revision, engine.metric, uow.faces.matrix(event_id, engine.name))
        return
    changes = uow.faces.changes_after(event_id, engine.name, held)
    index.apply(event_id, revision, changes.photo_ids, changes.faces, since=held)


def centred(
    uow: UnitOfWork, index: VectorIndex, event_id: int, engine: FaceEngine, rule: PeopleRule
) -> PeopleRule:
    """The people rule measured in the event's stored centred metric when the event is a crowd
    (matching/centring.py), fitting and storing it first when it is due. A fit is stored in a
    transaction of its own, and what the table holds afterwards is used: two processes fitting at
    once end up on the same row (db/centrings.py)."""
    base = engine.metric
    if not isinstance(base, FusedMetric):
        return rule
    stored = uow.centrings.get(event_id, engine.name, base)
    centring = centring_for(index, event_id, rule, base, engine.model, stored)
    if centring is not None and centring is not stored:
        uow.commit()  # a fresh transaction: SQLite cannot write from a read snapshot others moved past
        centring = uow.centrings.put(event_id, engine.name, centring)
        uow.commit()  # not holding the write lock for the rest of the search
    return rule if centring is None else replace(rule, metric=centring.metric)


def find_photos_like(
    uow: UnitOfWork,
    index: VectorIndex,
    engine: FaceEngine,
    ref: str,
    face_id: int,
    limits: SearchLimits,
) -> list[PhotoMatch]:
    """Photos of the person whose face `face_id` is, in the same event ("more photos of this person")."""
    event = uow.events.find(ref)
    query = uow.faces.embedding(event.id, face_id, engine.name)
    return _ranked_photos(uow, index, engine, event.id, query[np.newaxis, :], limits)


def find_photos(
    uow: UnitOfWork,
    index: VectorIndex,
    engine: FaceEngine,
    ref: str,
    selfies: list[Selfie],
    limits: SearchLimits,
) -> SearchResult:
    """Each selfie is its own query (a photo matches if any selfie matches a face in it).

    Raises NoUsableSelfieError, with each selfie's `public()` report, when no selfie has a face.
    """
    event = uow.events.find(ref)
    queries, reports = selfie_embeddings(engine, selfies, limits.max_pixels)
    return match_selfies(uow, index, engine, event.id, queries, reports, limits)


def match_selfies(
    uow: UnitOfWork,
    index: VectorIndex,
    engine: FaceEngine,
    event_id: int,
    queries: list[np.ndarray],
    reports: list[SelfieReport],
    limits: SearchLimits,
) -> SearchResult:
    """The photos that selfies already embedded (`selfie_embeddings`) find; `engine` only ranks.
    Poor selfies (a fault) are left out beside a good one, and matched strictly alone.

    Raises NoUsableSelfieError, with each selfie's `public()` report, when no selfie has a face.
    """
    if not queries:
        raise NoUsableSelfieError(
            "none of the selfies could be used: see why for each one",
            [report.public() for report in reports],
        )
    poor = [report.fault is not None for report in reports if report.usable]  # row-aligned with queries
    good = [q for q, p in zip(queries, poor, strict=True) if not p]
    strict = not good
    chosen = np.vstack(queries if strict else good)
    matches = _ranked_photos(uow, index, engine, event_id, chosen, limits, strict=strict)
    return SearchResult(matches, reports)


def _ranked_photos(
    uow: UnitOfWork,
    index: VectorIndex,
    engine: FaceEngine,
    event_id: int,
    queries: np.ndarray,
    limits: SearchLimits,
    *,
    strict: bool = False,
) -> list[PhotoMatch]:
    """With `strict` (poor selfies only), the tolerance and the people rule's join are scaled by
    POOR_SELFIE_SCALE; the grouping (the rule's link) stays, so the event's groups are shared."""
    scale = POOR_SELFIE_SCALE if strict else 1.0
    tolerance = limits.tolerance * scale
    people = people_rule(engine, limits.tolerance) if limits.people else None
    if people is not None and strict:
        people = people.scaled(scale)
    for attempt in range(1, INDEX_ATTEMPTS + 1):
        ensure_loaded(uow, index, event_id, engine)
        try:
            ranked = match_faces(
                index,
                event_id,
                queries,
                tolerance=tolerance,
                expansion_tolerance=expansion_limit(engine, tolerance),
                people=None if people is None else centred(uow, index, event_id, engine, people),
                min_face_px=limits.min_face_px,
                min_sharpness=limits.min_sharpness,
            )
            break
        except NotFoundError:  # the event left the index, or a face did, between two reads
            if attempt == INDEX_ATTEMPTS:
                raise
    photos = uow.photos.get_many(m.photo_id for m in ranked)
    boxes = uow.faces.boxes(event_id, (m.face_id for m in ranked))
    return [
        PhotoMatch(
            m.photo_id,
            photos[m.photo_id].name,
            photos[m.photo_id].source_file_id,
            m.distance,
            m.margin,
            m.expanded,
            focus=face_focus(boxes.get(m.face_id), photos[m.photo_id]),
        )
        for m in ranked
        if m.photo_id in photos and not photos[m.photo_id].hidden  # hidden from guests (issue 14)
    ]


def face_focus(box: Box | None, photo: Photo) -> tuple[float, float] | None:
    """The face's centre in fractions of the photo's width and height: where a thumbnail's crop
    is centred (guest pages), or None without a face."""
    if box is None or not photo.width or not photo.height:
        return None
    return (
        round((box.left + box.right) / 2 / photo.width, 3),
        round((box.top + box.bottom) / 2 / photo.height, 3),
    )
