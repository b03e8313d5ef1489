"""What the OpenAPI description says beyond the routes' own signatures: the error answers each
route can give (their bodies are web/errors.py's `{"detail", "code"}`) and how a photographer
authenticates. Routers and decorators take these as `responses=` and `dependencies=`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Security
from fastapi.security import APIKeyCookie, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from eventface.web.errors import ErrorOut

SESSION_COOKIE = "eventface_session"  # app.py's; a test checks they agree


class ValidationProblem(BaseModel):
    """One problem found by request validation (pydantic's error, as FastAPI reports it)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(description="where: body, query, header, then the field")
    msg: str
    type: str


class InvalidInputOut(BaseModel):
    """A 422: `detail` is a sentence when the server refused a value, a list when the request
    did not match its schema."""

    model_config = ConfigDict(extra="allow")

    detail: str | list[ValidationProblem]
    code: str = Field(description="a stable identifier of the error, for programs and translations")


_DESCRIPTIONS = {
    400: "Bad request: a body that cannot be parsed, or a form or upload the server cannot use",
    401: "Not signed in: send `Authorization: Bearer <token>` (or the session cookie)",
    403: "Forbidden: a session request's CSRF header is missing or wrong, or the account may not do this",
    404: "Not found: no such event, photo or task (another photographer's event is not found either)",
    408: "The request's body came too slowly",
    413: "Too large",
    415: "Not a supported image type",
    422: "Invalid input",
    429: "Too many requests: wait for `Retry-After` seconds",
    503: "Busy, or the photos' source cannot be read right now: retry after `Retry-After` seconds",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these error statuses, with their bodies' schema."""
    return {
        status: {
            "model": InvalidInputOut if status == 422 else ErrorOut,
            "description": _DESCRIPTIONS[status],
        }
        for status in statuses
    }


# For the description only (web/auth.py reads the header and the cookie itself): they put the
# two ways a photographer's API call is authenticated into the schema, for Swagger UI's
# "Authorize" and API clients. auto_error=False: they never refuse a request.
PHOTOGRAPHER_AUTH = [
    Security(HTTPBearer(auto_error=False, scheme_name="token", description="a personal API token")),
    Security(
        APIKeyCookie(
            name=SESSION_COOKIE,
            auto_error=False,
            scheme_name="session",
            description="a signed-in browser; unsafe methods also need the `X-CSRF-Token` header",
        )
    ),
]


def file_answer(description: str, *media_types: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a 200 that is a file, not JSON."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": dict.fromkeys(media_types, binary)}}
