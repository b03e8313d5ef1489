"""Rendering pages: Jinja2 templates with the language, the translator and the CSRF token."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from eventface import __version__
from eventface.domain.models import User
from eventface.web.auth import csrf_token
from eventface.web.context import WebContext
from eventface.web.i18n import LANG_COOKIE, LANGUAGES, language, translator

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE_AGE_S = 365 * 24 * 3600


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["version"] = __version__
    return templates


def render(
    request: Request,
    context: WebContext,
    template: str,
    *,
    user: User | None = None,
    status_code: int = 200,
    script_strings: Sequence[str] = (),
    **values: Any,
) -> HTMLResponse:
    """`script_strings`: texts the page's script shows, handed to it translated as JSON."""
    lang = language(request)
    t = translator(lang)
    response = context.templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "languages": LANGUAGES,
            "t": t,
            "script_strings": {text: t(text) for text in script_strings},
            "user": user,
            "csrf_token": csrf_token(request),
            **values,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE_S, samesite="lax")
    return response
