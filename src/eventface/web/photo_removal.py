"""Hiding photos from guests, and guests' "remove my photo" requests (issue 14).

A guest may ask for a photo to be taken down only with the signed link of a photo they were
given (a search or the gallery: web/capabilities.py); the answer is 202 whatever happens next,
and requests are counted per client (a script gets 429, not a full database). The photographer
answers on the event page: hide the photo (guests stop getting it at once) or dismiss.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

from eventface.errors import RateLimitedError
from eventface.services import photo_removal
from eventface.web.auth import PageUser, check_csrf
from eventface.web.context import Context, Transaction
from eventface.web.guest import Token, given_photo
from eventface.web.openapi import errors
from eventface.web.params import Id
from eventface.web.ratelimit import client_key

guest_router = APIRouter(tags=["guest"], responses=errors(404))
pages_router = APIRouter(include_in_schema=False)

ASKED = "Thank you. The photographer has been asked to remove this photo."


class RemovalAnswer(BaseModel):
    message: str


@guest_router.post(
    "/api/e/{slug}/p/{token}/removal-request",
    status_code=202,
    response_model=RemovalAnswer,
    responses=errors(422, 429),
)
def request_removal(
    slug: str,
    token: Token,
    request: Request,
    context: Context,
    uow: Transaction,
    reason: Annotated[str, Form(max_length=photo_removal.MAX_REASON_CHARS)] = "",
) -> JSONResponse:
    """A guest asks the photographer to remove a photo they were given (`reason`: optional, at most
    500 characters). 202 once asked; the photographer decides on the event page."""
    event, photo = given_photo(uow, context, slug, token)
    wait = context.removal_limiter.check(client_key(request.client.host if request.client else "unknown"))
    if wait is not None:
        raise RateLimitedError("too many requests from this address: wait a while and try again", wait)
    photo_removal.request_removal(uow, event, photo.id, reason)
    return JSONResponse(RemovalAnswer(message=ASKED).model_dump(), status_code=202)


CsrfField = Annotated[str, Form(alias="csrf_token")]


@pages_router.post("/events/{event_id}/photos/{photo_id}/{action}")
def hide_or_show_photo(
    event_id: Id,
    photo_id: Id,
    action: Literal["hide", "show"],
    request: Request,
    user: PageUser,
    uow: Transaction,
    csrf: CsrfField,
) -> RedirectResponse:
    """Hides the photo from guests, or shows it to them again (the event page's buttons)."""
    check_csrf(request, csrf)
    photo_removal.set_hidden(uow, user.id, event_id, photo_id, hidden=action == "hide")
    return _back(request, event_id, f"photo-{photo_id}")


@pages_router.post("/events/{event_id}/removal-requests/{request_id}/{action}")
def answer_request(
    event_id: Id,
    request_id: Id,
    action: str,
    request: Request,
    user: PageUser,
    uow: Transaction,
    csrf: CsrfField,
) -> RedirectResponse:
    """One click on the event page: `hide` the photo the request is about, or `dismiss` the request."""
    check_csrf(request, csrf)
    if action not in {"hide", "dismiss"}:
        return RedirectResponse(f"/events/{event_id}", status_code=303)
    photo_removal.answer_request(uow, user.id, event_id, request_id, hide=action == "hide")
    return _back(request, event_id, "removal-requests")


def _back(request: Request, event_id: int, anchor: str) -> RedirectResponse:
    # back to the grid page the photographer was on (?page=N), at the photo or the list
    page = request.query_params.get("page", "")
    query = f"?page={page}" if page.isdigit() and page != "1" else ""
    return RedirectResponse(f"/events/{event_id}{query}#{anchor}", status_code=303)
