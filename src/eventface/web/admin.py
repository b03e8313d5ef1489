"""The admins' users page: every account, and disable/enable, a new password, promote, invite.

Anyone but a signed-in admin gets 404 (the page is not advertised). Each action is a form with
the session's CSRF token; a new invite link is shown once, on the page the form answers with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import User
from eventface.errors import InvalidInputError, NotFoundError
from eventface.services import accounts, invites
from eventface.settings import SignupPolicy
from eventface.web.auth import AdminUser, check_csrf, sign_in
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.i18n import language, translator
from eventface.web.params import Id
from eventface.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)

CsrfField = Annotated[str, Form(alias="csrf_token")]
PAGE = "/admin/users"
# what the page says after an action (?done=...)
NOTICES = {
    "disable": "The account is disabled and signed out everywhere.",
    "enable": "The account is enabled again.",
    "promote": "The account is now an admin.",
    "password": "The password was changed; the account is signed out everywhere.",
}
INVITES_CLOSED = "Sign-up is closed (EVENTFACE_SIGNUP=closed): set it to invite to send invite links."
PAGE_MESSAGES = (*NOTICES.values(), INVITES_CLOSED)


def _users_page(
    request: Request,
    context: WebContext,
    uow: UnitOfWork,
    admin: User,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
    invite_link: str | None = None,
    invite_email: str = "",
) -> HTMLResponse:
    users = accounts.list_users(uow)
    t = translator(language(request))
    return render(
        request,
        context,
        "admin_users.html",
        user=admin,
        status_code=status_code,
        users=users,
        notice=notice,
        error=t(error) if error else None,
        invite_link=invite_link,
        invite_email=invite_email,
        invites_closed=INVITES_CLOSED if context.settings.signup is SignupPolicy.CLOSED else None,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request, context: Context, admin: AdminUser, uow: Transaction, done: str = ""
) -> HTMLResponse:
    return _users_page(request, context, uow, admin, notice=NOTICES.get(done))


@router.post("/users/invite", response_class=HTMLResponse)
def invite(
    request: Request,
    context: Context,
    admin: AdminUser,
    uow: Transaction,
    csrf: CsrfField,
    email: Annotated[str, Form()],
) -> HTMLResponse:
    check_csrf(request, csrf)
    try:
        token = invites.create_invite(uow, context.settings.signup, email, admin.id, datetime.now(UTC))
    except InvalidInputError as exc:
        uow.rollback()
        return _users_page(request, context, uow, admin, status_code=422, error=str(exc), invite_email=email)
    link = context.base_url(request) + invites.INVITE_PATH + token
    return _users_page(
        request, context, uow, admin, invite_link=link, invite_email=accounts.normalize_email(email)
    )


@router.post("/users/{user_id}/{action}", response_model=None)
def act(
    user_id: Id,
    action: str,
    request: Request,
    context: Context,
    admin: AdminUser,
    uow: Transaction,
    csrf: CsrfField,
    password: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        _apply(uow, context, action, user_id, password)
    except InvalidInputError as exc:
        uow.rollback()
        return _users_page(request, context, uow, admin, status_code=422, error=str(exc))
    if action == "password" and user_id == admin.id:
        sign_in(request, uow, admin)  # a new password ended every session, this one too: start afresh
    return RedirectResponse(f"{PAGE}?done={action}", status_code=303)


def _apply(uow: UnitOfWork, context: WebContext, action: str, user_id: int, password: str) -> None:
    if action == "disable":
        accounts.disable_user(uow, user_id)
    elif action == "enable":
        accounts.enable_user(uow, user_id)
    elif action == "promote":
        accounts.promote_to_admin(uow, user_id)
    elif action == "password":
        accounts.set_password(uow, user_id, password, context.runtime.passwords)
    else:
        raise NotFoundError("not found")
