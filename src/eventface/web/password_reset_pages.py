"""Forgotten passwords: ask for a link by email, open it, set a new password (services/password_reset.py).

Offered only when the server can send mail (SMTP_URL). Asking answers the same whether or not the
account exists, and is throttled per client address like a sign-in and capped per recipient
(services/mail_caps.py); the mail is queued (and retried) so the answer does not wait on the mail
server, nor reveal by its timing who has an account.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from eventface.errors import InvalidInputError, RateLimitedError, ServerBusyError
from eventface.secret_key import secret_key
from eventface.services import accounts, password_reset
from eventface.services.mail_caps import MailCaps
from eventface.services.password_reset import ResetLinks
from eventface.web.accounts_pages import CsrfField, refused, see_other
from eventface.web.auth import check_csrf
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.i18n import language, translator
from eventface.web.ratelimit import client_key
from eventface.web.templating import render

router = APIRouter(include_in_schema=False)

LINK_SENT = "If an account uses this email, a link to set a new password is on its way. It works for an hour."
MAIL_SUBJECT = "Set a new eventface password"
PAGE_MESSAGES = (*password_reset.MESSAGES, LINK_SENT, MAIL_SUBJECT)


def _links(context: WebContext) -> ResetLinks:
    if context.runtime.mailer is None:
        raise HTTPException(404)  # no mail, no reset by mail: the CLI sets passwords
    return ResetLinks(secret_key(context.settings))


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_page(request: Request, context: Context) -> HTMLResponse:
    _links(context)
    return render(request, context, "password_forgot.html")


@router.post("/password/forgot", response_class=HTMLResponse)
def forgot(
    request: Request, context: Context, uow: Transaction, csrf: CsrfField, email: Annotated[str, Form()]
) -> HTMLResponse:
    check_csrf(request, csrf)
    links = _links(context)
    client = client_key(request.client.host if request.client else "")
    try:
        # counted per address and per asked-for email: a flood of requests for one account from
        # many addresses must not hold up everyone else's reset, as one shared key would
        context.signup_throttle.begin(f"reset\n{accounts.normalize_email(email)[:320]}", client)
    except RateLimitedError as exc:
        return refused(request, context, "password_forgot.html", exc, email=email)
    found = links.token_to_mail(uow, email[:320], MailCaps(secret_key(context.settings)), datetime.now(UTC))
    uow.commit()  # the link works once its token is saved: before the mail job may send it
    if found is not None:
        user, token = found
        lang = language(request)
        t = translator(lang)
        values = {"t": t, "link": f"{context.base_url(request)}/password/reset/{token}", "minutes": 60}
        text = context.templates.get_template("mail/password_reset.txt").render(values)
        html = context.templates.get_template("mail/password_reset.html").render(values)
        context.tasks.send_mail(user.email, t(MAIL_SUBJECT), text, html, lang)
    notice = translator(language(request))(LINK_SENT)
    return render(request, context, "password_forgot.html", notice=notice)


@router.get("/password/reset/{token}", response_class=HTMLResponse)
def reset_page(request: Request, context: Context, uow: Transaction, token: str) -> HTMLResponse:
    """The new-password form; opening the link changes nothing (mail scanners open links too)."""
    links = _links(context)
    try:
        links.user_for(uow, token)
    except InvalidInputError as exc:
        return refused(request, context, "password_reset.html", exc, token="")
    return render(request, context, "password_reset.html", token=token)


@router.post("/password/reset/{token}", response_model=None)
def reset(
    request: Request,
    context: Context,
    uow: Transaction,
    token: str,
    csrf: CsrfField,
    password: Annotated[str, Form()],
) -> Response:
    check_csrf(request, csrf)
    links = _links(context)
    try:
        links.reset(uow, token, password, context.runtime.passwords)
    except (InvalidInputError, ServerBusyError) as exc:
        uow.rollback()
        still_valid = exc.code != "reset_link_invalid"
        return refused(request, context, "password_reset.html", exc, token=token if still_valid else "")
    return see_other("/login?reset=1")
