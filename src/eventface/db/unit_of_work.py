"""A unit of work: one transaction and the repositories that share it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy.orm import Session, sessionmaker

from eventface.db.claims import PhotoClaims
from eventface.db.mail_sends import MailSendRepository
from eventface.db.notifications import SubscriptionRepository
from eventface.db.repositories import (
    BrandRepository,
    EventRepository,
    FaceRepository,
    GoogleAccountRepository,
    PhotoRepository,
    RemovalRequestRepository,
    SyncRunRepository,
    TaskRepository,
)
from eventface.db.users import InviteRepository, SessionRepository, UserRepository


class UnitOfWork:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.events = EventRepository(session)
        self.photos = PhotoRepository(session)
        self.faces = FaceRepository(session)
        self.tasks = TaskRepository(session)
        self.users = UserRepository(session)
        self.sessions = SessionRepository(session)
        self.invites = InviteRepository(session)
        self.google_accounts = GoogleAccountRepository(session)
        self.sync_runs = SyncRunRepository(session)
        self.subscriptions = SubscriptionRepository(session)  # email notifications
        self.mail_sends = MailSendRepository(session)  # per-recipient mail caps
        # issue 14 (photographer)
        self.brands = BrandRepository(session)
        self.removal_requests = RemovalRequestRepository(session)
        self.claims = PhotoClaims(session)  # scale-out (issue 15): leases on pending photos


Transactions = Callable[[], AbstractContextManager[UnitOfWork]]


def transactions(factory: sessionmaker[Session]) -> Transactions:
    """A factory of units of work: each commits when its block ends normally, else rolls back."""

    @contextmanager
    def unit() -> Iterator[UnitOfWork]:
        with factory() as session, session.begin():
            yield UnitOfWork(session)

    return unit
