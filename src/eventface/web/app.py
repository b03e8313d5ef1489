"""The app factory: `create_app(settings)` builds the web shell over one runtime and one job queue.

With `worker=True` (what `eventface web` and `make run` use) the Huey consumer runs inside this
process on threads, with the periodic auto-sync scheduler; with a Redis queue, separate
`huey_consumer` processes may do that instead. The web and its in-process worker share the one
runtime: one database pool, one vector index (what indexing adds is what searches read), one
pool of search engines, started (by the server's main thread) with the app.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from eventface import __version__
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import register_tasks
from eventface.jobs.worker import start_worker, stop_worker
from eventface.runtime import Runtime, build_runtime
from eventface.secret_key import secret_key
from eventface.services.sessions import SESSION_LIFETIME
from eventface.settings import Settings
from eventface.web import (  # issue 14 (photographer)
    accounts_pages,
    admin,
    api,
    branding_pages,
    google,
    guest,
    guest_keeping,
    notify_pages,
    pages,
    password_reset_pages,
    photo_removal,
)
from eventface.web.apidocs import add_api_docs
from eventface.web.context import WebContext
from eventface.web.errors import add_error_handlers
from eventface.web.headers import AllowHeaderMiddleware, SecurityHeadersMiddleware, server_error_handler
from eventface.web.limits import UploadSlots
from eventface.web.shared_limits import limits_for
from eventface.web.shared_search_queue import search_queue_for
from eventface.web.templating import make_templates

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "eventface_session"
SESSION_MAX_AGE_S = int(SESSION_LIFETIME.total_seconds())  # the server forgets the session then too


def create_app(
    settings: Settings | None = None,
    *,
    worker: bool = False,
    build: Callable[[Settings], Runtime] = build_runtime,
) -> FastAPI:
    """The web app. `worker=True` also runs the background worker inside this process.

    `build` makes the runtime (the web's and the worker's); tests pass one with a fake engine.
    """
    settings = settings or Settings()
    runtime = build(settings)
    huey = make_huey(settings)
    templates = make_templates()
    # email notifications: the guest page offers them only with mail (templates/_notify.html)
    notify_pages.offer_notifications(templates, settings, runtime.mailer is not None)
    digest_mails = notify_pages.NotifyMails(templates)
    tasks = register_tasks(
        huey, settings, lambda _: runtime, digest_mails
    )  # the worker's runtime is this one
    engines = runtime.search_engines
    limits = limits_for(settings)
    context = WebContext(
        settings=settings,
        runtime=runtime,
        huey=huey,
        tasks=tasks,
        templates=templates,
        search_limiter=limits.search,
        login_throttle=limits.login,
        signup_throttle=limits.signup,
        removal_limiter=limits.removal,
        google_oauth=google.oauth_client(settings),
        upload_slots=UploadSlots(settings.max_concurrent_uploads),
        # shared by every web process through Redis when the queue is there (issue 15)
        search_queue=search_queue_for(settings, engines.workers, lambda: runtime.search_engines.mean_run_s),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # spawned here, by the thread that runs the server to its end: the workers die with it
        ready = runtime.search_engines.start(preload=settings.face_engine.value)
        # this process ranks with the engine's metric (its models stay in the workers): built now,
        # its native libraries are not imported on the first guest's search
        runtime.face_engine(settings.face_engine.value)
        warming = asyncio.create_task(_warm_up(ready))  # the first guest must not wait for the models
        consumer = start_worker(huey, tasks) if worker else None
        try:
            yield
        finally:
            warming.cancel()
            if consumer is not None:
                stop_worker(consumer, tasks)
            tasks.runtime.close()  # the worker's warm indexing processes, and the shared runtime
            runtime.close()  # in case the worker never used it

    app = FastAPI(
        title="eventface",
        version=__version__,
        summary="Find a guest's photos in an event's photo collection by face.",
        lifespan=lifespan,
        docs_url=None,  # web/apidocs.py serves them, from local files, when settings.api_docs is on
        redoc_url=None,
    )
    app.state.context = context
    https_site = bool(settings.public_base_url and settings.public_base_url.startswith("https://"))
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=https_site,
    )
    app.middleware("http")(_log_requests)
    app.add_middleware(AllowHeaderMiddleware, router=app.router)
    app.add_middleware(SecurityHeadersMiddleware, https_site=https_site)
    app.add_exception_handler(Exception, server_error_handler(https_site=https_site))
    if settings.trusted_proxies:
        # outermost, so that everything inside sees the client's address and scheme
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    if settings.api_docs:
        add_api_docs(app, __version__)
    add_error_handlers(app, context)
    return app


# the app's routes, by module: the API, the guest's pages, the photographer's pages
ROUTERS = (
    api.router,
    guest.router,
    guest_keeping.router,  # the ZIP of kept photos, the app manifest
    google.router,
    pages.router,
    accounts_pages.router,
    password_reset_pages.router,
    notify_pages.router,
    admin.router,
    branding_pages.router,  # brand, cover
    photo_removal.guest_router,  # guests' removal requests...
    photo_removal.pages_router,  # ...and the photographer's answers
)


async def _warm_up(ready: list[Future[Any]]) -> None:
    started = time.perf_counter()
    try:
        await asyncio.gather(*(asyncio.wrap_future(future) for future in ready))
    except Exception:  # a missing model shows up again, with its message, on the first search
        log.exception("could not load the face engine")
        return
    duration_ms = round(1000 * (time.perf_counter() - started))
    log.info("face engine ready", extra={"fields": {"duration_ms": duration_ms, "workers": len(ready)}})


async def _log_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """One line per request: id, method, path (never the query or body), status, duration."""
    request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex[:12]
    started = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        response.headers["X-Request-ID"] = request_id
        return response
    finally:
        if not request.url.path.startswith("/static/"):
            log.info(
                "request",
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": request.method,
                        "path": shown_path(request.url.path),
                        "status": status,
                        "duration_ms": round(1000 * (time.perf_counter() - started), 1),
                    }
                },
            )


# /e/SLUG/... and /api/e/SLUG/...: the slug opens the event to whoever reads it
_GUEST_PATH = re.compile(r"^(/(?:api/)?e/)([^/]+)(.*)$")
_LONG_SEGMENT = 20  # a signed link's token in a guest path is as much a key as the slug


def shown_path(path: str) -> str:
    """The path as the log shows it: a guest path's slug (and any token) cut to `ab…yz`."""
    found = _GUEST_PATH.match(path)
    if found is None:
        return path
    prefix, slug, rest = found.groups()
    segments = [_shortened(s) if len(s) >= _LONG_SEGMENT else s for s in rest.split("/")]
    return prefix + _shortened(slug) + "/".join(segments)


def _shortened(secret: str) -> str:
    return f"{secret[:2]}…{secret[-2:]}" if len(secret) > 6 else "…"
