"""Email notifications: "tell me when new photos of me arrive" (issue 14).

After a search a guest may leave an email. Only the face embeddings of their selfies are kept
(sealed with a key of their own, secret_box.py), with the email, the event, the page's language
and the time of consent, until the subscription expires: `retention` after the event's date (or
after it was made, for an event without a date).

- **Double opt-in.** Subscribing mails a confirmation link; only a confirmed subscription is
  matched or mailed. Opening the link shows a button; only pressing it (a POST) confirms, since
  mail scanners open links. An unconfirmed subscription goes after `CONFIRM_LINK_LIFETIME`.
- **No mail cannon.** A confirmation goes to an address at most once per event per 10 minutes
  and 5 times a day across events (services/mail_caps.py); past a cap the request is answered
  the same and nothing is kept or sent.
- **New photos.** Every photo indexing commits stamps the event's faces revision
  (services/ingest.py), whatever ran it (a worker, a sync, a watched folder, `eventface index`).
  `match_new_photos` matches the faces of photos stamped after a subscription's checked revision
  against its few embeddings (a small matrix), by distance alone at the search's tolerance.
- **Digests.** `take_due_digests` hands out one digest per subscriber once their oldest unsent
  photo is `digest` old (zero: at once), so a burst of photos is one email, and no subscriber
  gets more than one per `digest`. Its links (the photos, unsubscribe) need no selfie.

Links carry a signed (subscription id, nonce): the nonce is random per subscription, so a link
opens nothing once its subscription is gone, even if the database reuses the id.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import numpy as np
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from eventface.db.notifications import NewFaces, Subscription
from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.distance import Metric
from eventface.domain.models import Brand, Event
from eventface.errors import InvalidInputError, NotFoundError
from eventface.secret_box import SecretBox
from eventface.services import accounts, branding, mail_caps
from eventface.services.mail_caps import MailCaps

log = logging.getLogger(__name__)

EMBEDDINGS_LABEL = b"eventface notify embeddings v1"  # SecretBox label: a key of their own
CONFIRM_LINK_LIFETIME = timedelta(days=2)
MAX_EMAIL_CHARS = 254  # RFC 5321's longest path

LINK_INVALID = "This link has expired or was already used."
CLOSED = "This event no longer sends new photos by email."
MESSAGES = (LINK_INVALID, CLOSED, accounts.BAD_EMAIL)


@dataclass(frozen=True)
class Pending:
    """A subscription waiting for its confirmation: the shell mails `confirm_token`."""

    subscription: Subscription
    confirm_token: str


@dataclass(frozen=True)
class Digest:
    """New photos for one subscriber: the shell mails them."""

    subscription: Subscription
    event: Event
    new_photos: int
    manage_token: str  # opens the subscriber's photos and the unsubscribe
    brand: Brand | None = None  # the photographer's, shown in the email as on the guest page


@dataclass(frozen=True)
class MatchRule:
    """How the event's engine tells a face from a stranger's (Runtime.search_limits)."""

    metric: Metric
    tolerance: float
    min_face_px: int = 0
    min_sharpness: float = 0.0


class NotifyLinks:
    """The signed tokens of notification links."""

    def __init__(self, secret_key: str, confirm_lifetime: timedelta = CONFIRM_LINK_LIFETIME) -> None:
        self._confirm = URLSafeTimedSerializer(secret_key, salt="eventface notify confirm")
        self._manage = URLSafeSerializer(secret_key, salt="eventface notify manage")
        self.confirm_lifetime = confirm_lifetime

    def confirm_token(self, subscription: Subscription) -> str:
        return self._confirm.dumps([subscription.id, subscription.nonce])

    def manage_token(self, subscription: Subscription) -> str:
        return self._manage.dumps([subscription.id, subscription.nonce])

    def open_confirm(self, uow: UnitOfWork, event: Event, token: str) -> Subscription:
        """The subscription a confirmation token opens; NotFoundError if forged, expired or gone."""
        try:
            claims = self._confirm.loads(token, max_age=int(self.confirm_lifetime.total_seconds()))
        except BadSignature as exc:
            raise NotFoundError(LINK_INVALID) from exc
        return _subscription(uow, event, claims)

    def open_manage(self, uow: UnitOfWork, event: Event, token: str) -> Subscription:
        try:
            claims = self._manage.loads(token)
        except BadSignature as exc:
            raise NotFoundError(LINK_INVALID) from exc
        return _subscription(uow, event, claims)


def _subscription(uow: UnitOfWork, event: Event, claims: object) -> Subscription:
    # only this server signs claims, so a malformed one is a bug; still, it opens nothing
    if not (isinstance(claims, list) and len(claims) == 2 and isinstance(claims[0], int)):
        raise NotFoundError(LINK_INVALID)
    found = uow.subscriptions.get(claims[0])
    if found is None or found.event_id != event.id or not hmac.compare_digest(found.nonce, str(claims[1])):
        raise NotFoundError(LINK_INVALID)
    return found


def expiry(event: Event, retention: timedelta, now: datetime) -> datetime:
    """When a subscription made `now` is deleted: `retention` after the end of the event's day,
    or after `now` for an event without a date."""
    start = datetime.combine(event.event_date + timedelta(days=1), time(), UTC) if event.event_date else now
    return start + retention


def checked_email(email: str) -> str:
    address = accounts.normalize_email(email)
    if len(address) > MAX_EMAIL_CHARS or any(ord(c) < 0x20 or c in '<>,;"\\' for c in address):
        raise InvalidInputError(accounts.BAD_EMAIL, code="invalid_email")
    try:
        accounts.check_email(address)
    except InvalidInputError as exc:
        raise InvalidInputError(accounts.BAD_EMAIL, code="invalid_email") from exc
    return address


@dataclass(frozen=True)
class Request:
    """What a guest asked for: the page gave the email and language, the search workers the
    embeddings (one per usable selfie, by `engine`), the request the address it came to."""

    event: Event
    email: str
    language: str
    engine: str
    embeddings: list[np.ndarray]
    base_url: str


@dataclass(frozen=True)
class Keys:
    links: NotifyLinks
    caps: MailCaps
    box: SecretBox  # seals the embeddings


def subscribe(
    uow: UnitOfWork, keys: Keys, asked: Request, retention: timedelta, now: datetime
) -> Pending | None:
    """Keeps the guest's embeddings until the subscription expires; the confirmation to mail, or
    None when the address has had its share of confirmations (then nothing is kept either).

    InvalidInputError for a malformed email, or an event past its retention.
    """
    address = checked_email(asked.email)
    event = asked.event
    expires_at = expiry(event, retention, now)
    if expires_at <= now:
        raise InvalidInputError(CLOSED, code="notify_closed")
    if not keys.caps.take(uow, mail_caps.NOTIFY_CONFIRMATION, address, now, event.id):
        return None
    matrix = np.vstack(asked.embeddings).astype("<f4")
    subscription = uow.subscriptions.add(
        event.id,
        address,
        asked.language,
        asked.engine,
        keys.box.seal(matrix.tobytes()),
        len(matrix),
        secrets.token_hex(16),
        expires_at,
        # what the guest's search could have found is not new: from this revision on it is
        checked_revision=uow.events.faces_revision(event.id),
        base_url=asked.base_url,
    )
    return Pending(subscription, keys.links.confirm_token(subscription))


def confirm(uow: UnitOfWork, links: NotifyLinks, event: Event, token: str, now: datetime) -> Subscription:
    subscription = links.open_confirm(uow, event, token)
    if not subscription.confirmed:
        uow.subscriptions.confirm(subscription.id, now)
        log.info("notifications confirmed", extra={"fields": {"event": event.id}})
    return subscription


def unsubscribe(uow: UnitOfWork, links: NotifyLinks, event: Event, token: str) -> None:
    """Deletes the subscription and its embeddings at once; a link already used does nothing more."""
    try:
        subscription = links.open_manage(uow, event, token)
    except NotFoundError:
        return
    uow.subscriptions.delete(subscription.id)
    log.info("notifications unsubscribed", extra={"fields": {"event": event.id}})


def subscriber_photo_ids(uow: UnitOfWork, links: NotifyLinks, event: Event, token: str) -> list[int]:
    """The photos found for the subscriber whose link this is, newest first."""
    subscription = links.open_manage(uow, event, token)
    if not subscription.confirmed:
        raise NotFoundError(LINK_INVALID)
    return uow.subscriptions.matched_photo_ids(subscription.id)


def match_new_photos(
    uow: UnitOfWork, box: SecretBox, rule_for: Callable[[str], MatchRule], now: datetime
) -> int:
    """Matches the photos indexed since each confirmed subscription was last checked against its
    embeddings; how many photos were found for someone. Safe to run in several workers at once."""
    found = 0
    by_event: dict[int, list[tuple[Subscription, int]]] = {}
    for subscription, revision in uow.subscriptions.to_check(now):
        by_event.setdefault(subscription.event_id, []).append((subscription, revision))
    for event_id, waiting in by_event.items():
        event = uow.events.get(event_id)
        lowest = min(s.checked_revision for s, _ in waiting)
        faces = uow.subscriptions.new_faces(event_id, event.engine, lowest)
        rule = rule_for(event.engine)
        for subscription, revision in waiting:
            if not uow.subscriptions.claim_check(subscription.id, subscription.checked_revision, revision):
                continue  # another worker's pass took it
            if subscription.engine != event.engine:
                continue  # embedded by another engine: not comparable (the guest may subscribe again)
            photo_ids = _matching_photos(box, subscription, faces, rule)
            found += uow.subscriptions.add_matches(subscription.id, photo_ids, now) if photo_ids else 0
    return found


def _matching_photos(
    box: SecretBox, subscription: Subscription, faces: NewFaces, rule: MatchRule
) -> list[int]:
    usable = (
        (faces.revisions > subscription.checked_revision)
        & (faces.heights >= rule.min_face_px)
        & (faces.sharpness >= rule.min_sharpness)
    )
    if not usable.any():
        return []
    queries = np.frombuffer(box.open(subscription.sealed_embeddings), dtype="<f4").astype(np.float32)
    queries = queries.reshape(subscription.faces, -1)
    candidates = faces.embeddings[usable]
    if queries.shape[1] != candidates.shape[1]:
        return []
    nearest = rule.metric.pairwise(queries, candidates).min(axis=0)
    return sorted({int(p) for p in faces.photo_ids[usable][nearest <= rule.tolerance]})


def take_due_digests(uow: UnitOfWork, links: NotifyLinks, digest: timedelta, now: datetime) -> list[Digest]:
    """The digests due now, each claimed (its photos marked sent): the caller mails them after commit."""
    digests = []
    for subscription_id in uow.subscriptions.due_digests(now - digest, now):
        new_photos = uow.subscriptions.claim_digest(subscription_id, now)
        subscription = uow.subscriptions.get(subscription_id)
        if new_photos and subscription is not None:
            event = uow.events.get(subscription.event_id)
            brand = branding.brand_for_event(uow, event)
            digests.append(Digest(subscription, event, new_photos, links.manage_token(subscription), brand))
    return digests


def purge(uow: UnitOfWork, now: datetime) -> int:
    """Deletes expired subscriptions (their embeddings with them) and unconfirmed ones past their
    link's lifetime; how many went."""
    gone = uow.subscriptions.purge(now, now - CONFIRM_LINK_LIFETIME)
    if gone:
        log.info("expired notification subscriptions deleted", extra={"fields": {"subscriptions": gone}})
    return gone
