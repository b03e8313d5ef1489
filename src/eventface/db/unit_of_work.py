"""A unit of work: one transaction and the repositories that share it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy.orm import Session, sessionmaker

from eventface.db.centrings import CentringRepository
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
    """A transaction and the repositories that share it: it begins with the first statement (a
    unit never used costs nothing) and commits when its block ends (`transactions`)."""

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
        self.centrings = CentringRepository(session)  # issue 11: each event's metric in a crowd

    def commit(self) -> None:
        """Commits what the unit wrote so far and gives its connection back to the pool; the unit
        goes on, its next statement beginning a new transaction. A request calls it before
        enqueueing a job that reads what it wrote (the worker may run it at once, on another
        connection) and before slow work that needs no database (reading a photo, asking Drive)."""
        if self.session.in_transaction():
            self.session.commit()

    def rollback(self) -> None:
        """Undoes what the unit wrote so far (a service that refused after writing); the unit goes on."""
        self.session.rollback()


Transactions = Callable[[], AbstractContextManager[UnitOfWork]]


def transactions(factory: sessionmaker[Session]) -> Transactions:
    """A factory of units of work: each commits when its block ends normally, else rolls back."""

    @contextmanager
    def unit() -> Iterator[UnitOfWork]:
        with factory() as session:
            uow = UnitOfWork(session)
            try:
                yield uow
            except BaseException:
                session.rollback()
                raise
            uow.commit()

    return unit
