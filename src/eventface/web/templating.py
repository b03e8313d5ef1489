"""Rendering pages: Jinja2 templates with the language, the translator and the CSRF token.

Templates get `t(text)`, `count(key, n)` for counted phrases (web/i18n.py), and the filters
`date` (`{{ event.event_date | date }}`, `| date("medium")`, `| date("short")`) and
`local_time` (a `<time>` the page's script shows in the reader's zone), all in the page's
language and calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context as JinjaContext
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from eventface import __version__
from eventface.domain.models import User
from eventface.web.auth import csrf_token
from eventface.web.context import WebContext
from eventface.web.error_texts import SPECIFIC_MESSAGE_CODES, translated_error_texts
from eventface.web.i18n import (
    ENGLISH_ONE,
    LANG_COOKIE,
    LANGUAGES,
    count_forms,
    counter,
    format_date,
    format_datetime,
    language,
    translator,
)

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE_AGE_S = 365 * 24 * 3600


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["version"] = __version__
    # `tojson` writes Thai as UTF-8 (3 bytes a letter), not as \u escapes (6): the pages'
    # script data is half the size; <, >, & and ' are still escaped for the HTML around it
    templates.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    templates.env.filters["date"] = _date
    templates.env.filters["local_time"] = _local_time
    return templates


@pass_context
def _date(context: JinjaContext, day: date | datetime | None, style: str = "long") -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.date()
    return format_date(day, context.get("lang", "en"), style)


@pass_context
def _local_time(context: JinjaContext, moment: datetime | None, fallback: str = "") -> Markup:
    """`<time class="local-time">`: UTC from the server, the reader's zone once static/i18n.js runs."""
    if moment is None:
        return Markup(escape(fallback))
    iso = format_datetime_iso(moment)
    text = format_datetime(moment, context.get("lang", "en"))
    return Markup('<time datetime="{}" class="local-time">{}</time>').format(iso, text)


def format_datetime_iso(moment: datetime) -> str:
    # a naive datetime is UTC (SQLite keeps no zone): say so, or a browser reads it as local time
    return moment.isoformat() if moment.tzinfo else moment.isoformat() + "+00:00"


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
            "count": counter(lang),
            "count_forms": partial(count_forms, lang),
            "script_strings": {text: _script_string(lang, text) for text in script_strings},
            # static/i18n.js's data: the language and what to say for each API error code
            "i18n_data": {
                "lang": lang,
                "errors": translated_error_texts(t),
                "specific": sorted(SPECIFIC_MESSAGE_CODES),
            },
            "user": user,
            "csrf_token": csrf_token(request),
            **values,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE_S, samesite="lax")
    return response


def _script_string(lang: str, text: str) -> str | dict[str, str]:
    """A counted phrase goes to the script as its forms by plural category (`I18N.count`)."""
    return count_forms(lang, text) if text in ENGLISH_ONE else translator(lang)(text)
