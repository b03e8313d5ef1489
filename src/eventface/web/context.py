"""What every request handler needs, built once by the app factory and shared through app.state."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from huey import Huey

from eventface.jobs.tasks import Tasks
from eventface.runtime import Runtime
from eventface.secret_key import secret_key
from eventface.settings import Settings
from eventface.sources.google_oauth import OAuthClient
from eventface.web.capabilities import Capabilities
from eventface.web.limits import UploadSlots
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
    google_oauth: OAuthClient | None  # None: Google Drive is not configured on this server
    upload_slots: UploadSlots  # selfie searches in flight (web/limits.py)
    # one search at a time on the web process's face engine: its native models are not thread-safe,
    # and with two cores a second concurrent search would only slow the first
    search_lock: threading.Lock = field(default_factory=threading.Lock)
    # failed password guesses (sign-in) and sign-up attempts, per client address and per account
    # (in Redis, shared by every web process, when the queue is: web/shared_limits.py)
    login_throttle: Throttle = field(default_factory=LoginThrottle)
    signup_throttle: Throttle = field(default_factory=LoginThrottle)
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
