"""A unit of work: one transaction and the repositories that share it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy.orm import Session, sessionmaker

from eventface.db.claims import PhotoClaims
from eventface.db.repositories import (
    EventRepository,
    FaceRepository,
    GoogleAccountRepository,
    PhotoRepository,
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
        self.claims = PhotoClaims(session)  # scale-out (issue 15): leases on pending photos


Transactions = Callable[[], AbstractContextManager[UnitOfWork]]


def transactions(factory: sessionmaker[Session]) -> Transactions:
    """A factory of units of work: each commits when its block ends normally, else rolls back."""

    @contextmanager
    def unit() -> Iterator[UnitOfWork]:
        with factory() as session, session.begin():
            yield UnitOfWork(session)

    return unit
