"""Errors to HTTP, in one place: the project's error tree (errors.py) and HTTPException become
one JSON body `{"detail": message, "code": stable_code}` for API clients, or the error page, whose
text is chosen by the code in the visitor's language.

Routes raise the project's errors (or HTTPException for what only HTTP knows); they never build
error responses themselves.
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from eventface import errors
from eventface.web.auth import LoginRequiredError
from eventface.web.context import WebContext
from eventface.web.error_texts import error_text
from eventface.web.i18n import language, translator
from eventface.web.templating import render

log = logging.getLogger(__name__)

# most specific first: the first class an error is an instance of gives its status
STATUS: tuple[tuple[type[errors.EventfaceError], int], ...] = (
    (errors.NotFoundError, 404),
    (errors.AuthenticationError, 401),
    (errors.PermissionDeniedError, 403),
    (errors.PayloadTooLargeError, 413),
    (errors.UnsupportedMediaTypeError, 415),
    (errors.ConsentRequiredError, 400),
    (errors.InvalidInputError, 422),
    (errors.RateLimitedError, 429),
    (errors.ServerBusyError, 503),
    (errors.ImageError, 422),
    (errors.ReconnectNeededError, 503),
    (errors.PhotoGoneError, 404),
    (errors.SourceError, 503),
    (errors.SecretBoxError, 503),
    (errors.ModelFileError, 500),
)

# codes for what only HTTP knows (HTTPException raised by a route, or by Starlette itself)
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "busy",
}


class ErrorOut(BaseModel):
    """Every error answer of the API."""

    detail: str = Field(description="what went wrong, for people (may change between versions)")
    code: str = Field(description="a stable identifier of the error, for programs and translations")


def status_of(exc: errors.EventfaceError) -> int:
    return next((status for cls, status in STATUS if isinstance(exc, cls)), 400)


def retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def _headers_of(exc: errors.EventfaceError) -> dict[str, str]:
    if isinstance(exc, errors.RateLimitedError | errors.ServerBusyError):
        return retry_after(exc.retry_after_s)
    if isinstance(exc, errors.AuthenticationError):
        return {"WWW-Authenticate": "Bearer"}
    return {}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def error_response(
    request: Request,
    context: WebContext,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    if wants_json(request):
        body = {"detail": message, "code": code, **(extra or {})}
        return JSONResponse(body, status_code=status, headers=headers)
    # a page shows the text for its code in the visitor's language (web/error_texts.py)
    lang = language(request)
    page = render(
        request,
        context,
        "error.html",
        status_code=status,
        status=status,
        message=error_text(code, message, lang, translator(lang)),
    )
    page.headers.update(headers or {})
    return page


def add_error_handlers(app: FastAPI, context: WebContext) -> None:
    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "error")
        return error_response(
            request, context, exc.status_code, code, str(exc.detail), dict(exc.headers or {})
        )

    @app.exception_handler(errors.EventfaceError)
    async def eventface_error(request: Request, exc: errors.EventfaceError) -> Response:
        status = status_of(exc)
        if status >= 500:
            # the message may name server paths or vendor details: the log keeps them, the visitor not
            log.warning("request failed: %s: %s", type(exc).__name__, exc)
        extra = (
            {"selfies": exc.reports} if isinstance(exc, errors.NoUsableSelfieError) and exc.reports else None
        )
        message = _PUBLIC_MESSAGES.get(exc.code, str(exc)) if status >= 500 else str(exc)
        return error_response(request, context, status, exc.code, message, _headers_of(exc), extra)

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> Response:
        problems = exc.errors()
        if any(problem.get("loc", ("",))[0] == "path" for problem in problems):
            # /api/event/nope and ids beyond 64 bits name nothing that exists
            return error_response(request, context, 404, "not_found", "not found")
        if wants_json(request):
            body = {"detail": jsonable_encoder(problems), "code": "invalid_input"}
            return JSONResponse(body, status_code=422)
        message = "; ".join(str(p.get("msg", "")) for p in problems)
        return error_response(request, context, 422, "invalid_input", message)


# what a visitor reads for a server-side failure (the details are logged, not shown)
_PUBLIC_MESSAGES = {
    "source_unavailable": "the photos cannot be read right now: try again in a moment",
    "reconnect_needed": "the event's Google Drive must be connected again by the photographer",
    "source_error": "the photos cannot be read right now: try again in a moment",
    "secret_unreadable": "a stored credential cannot be read: the photographer must connect again",
    "model_file": "the face models are missing on this server: the administrator must reinstall",
}
