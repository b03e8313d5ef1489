"""Per-recipient caps on the mail that anyone may make this server send: a password reset link,
a notification confirmation. Rate limits per client address do not protect the recipient: a
flood from many addresses could still fill one inbox, so each kind of mail also has a cap per
recipient, whoever asks. Past a cap the mail is not sent and the asker is answered the same.

Mails are counted in the database (so every web process shares the counts) by a keyed hash of
the address: the ledger does not say who got mail, and it is pruned after `KEPT`. Two requests
racing past the count may both be sent: a cap is about floods, not about the exact number.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventface.db.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

KEPT = timedelta(days=1)  # the longest window below


@dataclass(frozen=True)
class Limit:
    count: int  # mails of the kind to one address...
    window: timedelta  # ...per this long
    per_event: bool = False  # ...to one event's (notification confirmations)


# a reset link works for an hour: more than a few an hour help nobody
PASSWORD_RESET = ("reset", (Limit(3, timedelta(hours=1)),))
NOTIFY_CONFIRMATION = (
    "notify",
    (Limit(1, timedelta(minutes=10), per_event=True), Limit(5, timedelta(days=1))),
)


class MailCaps:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(b"eventface mail caps\0" + secret_key.encode()).digest()

    def take(
        self,
        uow: UnitOfWork,
        cap: tuple[str, Sequence[Limit]],
        address: str,
        now: datetime,
        event_id: int | None = None,
    ) -> bool:
        """Counts one mail to `address` (normalized) if every limit of `cap` allows it; False (and
        nothing counted) if one does not."""
        kind, limits = cap
        hashed = hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()
        for limit in limits:
            scope = event_id if limit.per_event else None
            if uow.mail_sends.count(hashed, kind, now - limit.window, scope) >= limit.count:
                # the kind, never the address: who gets mail from this server is nobody's business
                log.info("mail not sent: the recipient's cap", extra={"fields": {"kind": kind}})
                return False
        uow.mail_sends.record(hashed, kind, now, event_id)
        return True


def prune(uow: UnitOfWork, now: datetime) -> None:
    uow.mail_sends.prune(now - KEPT)
