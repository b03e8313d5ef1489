"""The ledger of mails anyone may make this server send, by keyed address hash (services/mail_caps.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from eventface.db.tables import MailSendRow


class MailSendRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def count(self, address_hash: str, kind: str, since: datetime, event_id: int | None = None) -> int:
        """Mails of `kind` to the address since `since` (to one event's, when `event_id` is given)."""
        query = select(func.count()).where(
            MailSendRow.address_hash == address_hash, MailSendRow.kind == kind, MailSendRow.sent_at > since
        )
        if event_id is not None:
            query = query.where(MailSendRow.event_id == event_id)
        return int(self.session.scalar(query) or 0)

    def record(self, address_hash: str, kind: str, now: datetime, event_id: int | None = None) -> None:
        self.session.add(MailSendRow(address_hash=address_hash, kind=kind, event_id=event_id, sent_at=now))

    def prune(self, before: datetime) -> None:
        self.session.execute(delete(MailSendRow).where(MailSendRow.sent_at < before))
