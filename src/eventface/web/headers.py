"""Security headers on every response, as a pure ASGI middleware (static files and photos too).

The pages run only scripts from /static (their data rides in `<script type="application/json">`
blocks, which are not run), so the CSP allows no inline script or style. A guest URL carries the
event's slug, its only key: guest pages and files send no Referer at all. HSTS goes out only when
the browser reached us over https (the scheme ProxyHeadersMiddleware set from a trusted proxy) or
the public address is https. Also here: a 405's `Allow` that names every method of its path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match, Mount, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventface.web.apidocs import REDOC_URL

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # data: the CSS icons; blob: the selfie previews
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# ReDoc's styled-components add <style> elements at run time, and its search runs in a worker
# made from a blob: its page alone allows inline styles and blob workers (still no inline script)
REDOC_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + "; worker-src blob:"
HSTS = "max-age=31536000"
PERMISSIONS = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
GUEST_PREFIXES = ("/e/", "/api/e/")

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", PERMISSIONS.encode()),
)


def security_headers(path: str, scheme: str, *, https_site: bool) -> list[tuple[bytes, bytes]]:
    """The headers a response to `path` (requested over `scheme`) gets."""
    guest = path.startswith(GUEST_PREFIXES)
    headers = [
        *_ALWAYS,
        (b"content-security-policy", (REDOC_CSP if path == REDOC_URL else CSP).encode()),
        (b"referrer-policy", b"no-referrer" if guest else b"same-origin"),
    ]
    if https_site or scheme == "https":
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeadersMiddleware:
    """Adds `security_headers` to every HTTP response; a header the app set itself is kept."""

    def __init__(self, app: ASGIApp, *, https_site: bool) -> None:
        self.app = app
        self.https_site = https_site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], scope.get("scheme", "http"), https_site=self.https_site)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def server_error_handler(*, https_site: bool) -> Callable[[Request, Exception], Awaitable[Response]]:
    """The 500 answer: Starlette sends it from outside every middleware, so it gets the headers here."""

    async def server_error(request: Request, exc: Exception) -> Response:
        extra = security_headers(request.url.path, request.url.scheme, https_site=https_site)
        return PlainTextResponse(
            "Internal Server Error", status_code=500, headers={k.decode(): v.decode() for k, v in extra}
        )

    return server_error


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class AllowHeaderMiddleware:
    """A 405's `Allow` names every method of the path, not only those of the first route that
    matched it (Starlette's answer for `OPTIONS /api/events` said `GET` although POST works)."""

    def __init__(self, app: ASGIApp, *, router: Router) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if (
                message["type"] == "http.response.start"
                and message["status"] == 405
                and not self._mounted(scope)
            ):
                allow = ", ".join(sorted(self._methods(scope))).encode()
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allow)]}
            await send(message)

        await self.app(scope, receive, send_with_allow)

    def _methods(self, scope: Scope) -> set[str]:
        # each method tried on the router as a request with it would be (routes may sit in
        # included routers, whose own routes are not listed at the top)
        return {
            method
            for method in _METHODS
            if any(
                route.matches({**scope, "method": method})[0] is Match.FULL for route in self.router.routes
            )
        }

    def _mounted(self, scope: Scope) -> bool:
        # a mounted app (the static files) answers its own 405s
        return any(isinstance(r, Mount) and r.matches(scope)[0] is Match.FULL for r in self.router.routes)
