"""What every request handler needs, built once by the app factory and shared through app.state,
and the typed dependencies that hand it out: `Context`, and `Transaction`, the request's one
unit of work (committed when the handler returns, before the response is sent)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from huey import Huey

from eventface.db.unit_of_work import UnitOfWork
from eventface.jobs.tasks import Tasks
from eventface.runtime import Runtime
from eventface.secret_key import secret_key
from eventface.settings import Settings
from eventface.sources.google_oauth import OAuthClient
from eventface.web.capabilities import Capabilities
from eventface.web.event_hints import EventHints
from eventface.web.limits import SearchQueue, UploadSlots
from eventface.web.ratelimit import Limiter
from eventface.web.throttle import LoginThrottle, Throttle


@dataclass
class WebContext:
    settings: Settings
    runtime: Runtime
    huey: Huey
    tasks: Tasks
    templates: Jinja2Templates
    search_limiter: Limiter
    # guests' "remove my photo" requests, per client (web/photo_removal.py)
    removal_limiter: Limiter
    google_oauth: OAuthClient | None  # None: Google Drive is not configured on this server
    upload_slots: UploadSlots  # selfie uploads being received (web/limits.py)
    search_queue: SearchQueue  # searches on the search workers, and those waiting for one
    # failed password guesses (sign-in) and sign-up attempts, per client address and per account
    # (in Redis, shared by every web process, when the queue is: web/shared_limits.py)
    login_throttle: Throttle = field(default_factory=LoginThrottle)
    signup_throttle: Throttle = field(default_factory=LoginThrottle)
    # the events guest links named lately: a search picks its face engine before any transaction
    event_hints: EventHints = field(default_factory=EventHints)
    # signs the guest links a search hands out (web/capabilities.py)
    capabilities: Capabilities = field(init=False)

    def __post_init__(self) -> None:
        ttl_s = self.settings.photo_link_hours * 3600
        self.capabilities = Capabilities(secret_key(self.settings), ttl_s)

    def base_url(self, request: Request) -> str:
        return self.settings.public_base_url or str(request.base_url).rstrip("/")

    def guest_url(self, request: Request, slug: str) -> str:
        return f"{self.base_url(request)}/e/{slug}"


def get_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context


Context = Annotated[WebContext, Depends(get_context)]


def get_transaction(context: Context) -> Iterator[UnitOfWork]:
    with context.runtime.transactions() as uow:
        yield uow


# scope="function": committed (or rolled back) as the handler returns, so a failed commit is the
# request's error, not something that happens after a 200 was sent
Transaction = Annotated[UnitOfWork, Depends(get_transaction, scope="function")]
