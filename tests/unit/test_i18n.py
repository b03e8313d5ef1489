"""Thai done properly: counted phrases, dates in one calendar per page, error texts by code."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from eventface import errors
from eventface.web import guest
from eventface.web.error_texts import ERROR_TEXTS, error_text, translated_error_texts
from eventface.web.errors import HTTP_CODES
from eventface.web.i18n import (
    ENGLISH_ONE,
    THAI,
    count_forms,
    count_phrase,
    format_date,
    format_datetime,
    translator,
)

SRC = Path(errors.__file__).parent
TEMPLATES = SRC / "web" / "templates"
# count("...", n) in the templates, count_forms("...") in their script strings
COUNT_CALL = re.compile(r"""\bcount(?:_forms)?\(\s*"([^"]+)"|\bcount(?:_forms)?\(\s*'([^']+)'""")
# InvalidInputError(msg, code="...") and the like, wherever an error is raised
RAISED_CODE = re.compile(r"""\bcode="([a-z_]+)\"""")


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        ("en", 1, "1 photo found"),
        ("en", 6, "6 photos found"),
        ("en", 0, "0 photos found"),
        ("en", 12345, "12,345 photos found"),
        ("th", 1, "พบ 1 รูป"),
        ("th", 6, "พบ 6 รูป"),
    ],
)
def test_a_counted_phrase_agrees_with_its_number_in_each_language(lang: str, n: int, expected: str) -> None:
    assert count_phrase(lang, "{n} photos found", n) == expected


def test_a_counted_phrase_takes_other_values_and_a_number_shown_otherwise() -> None:
    assert count_phrase("en", "{done}/{n} photos indexed", 1, done=0) == "0/1 photo indexed"
    assert count_phrase("th", "{done}/{n} photos indexed", 40, done=12) == "สแกนแล้ว 12/40 รูป"
    assert count_phrase("en", "{n} photos", 120, shown="120+") == "120+ photos"


def test_scripts_get_the_forms_of_their_plural_categories() -> None:
    # what Intl.PluralRules selects: English one/other, Thai only other
    assert count_forms("en", "{n} faces") == {"one": "{n} face", "other": "{n} faces"}
    assert count_forms("th", "{n} faces") == {"other": "{n} ใบหน้า"}


def counted_keys_used() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        for double, single in COUNT_CALL.findall(path.read_text()):
            found.add(double or single)
    return found | {text for text in guest.GUEST_SCRIPT_STRINGS if "{n}" in text}


def test_the_templates_use_counted_phrases() -> None:
    # guards the regex: if it stopped matching, the test below would pass vacuously
    assert {"{n} photos", "{n} faces", "{n} photos found"} <= counted_keys_used()


@pytest.mark.parametrize("key", sorted(counted_keys_used() | set(ENGLISH_ONE)))
def test_every_counted_phrase_has_a_singular_and_a_thai_text(key: str) -> None:
    assert key in ENGLISH_ONE, f"no English singular for {key!r} (web/i18n.py ENGLISH_ONE)"
    assert key in THAI, f"no Thai text for {key!r} (web/i18n.py THAI)"
    placeholders = set(re.findall(r"\{(\w+)\}", key))
    assert set(re.findall(r"\{(\w+)\}", THAI[key])) == placeholders
    assert set(re.findall(r"\{(\w+)\}", ENGLISH_ONE[key])) == placeholders


@pytest.mark.parametrize(
    ("day", "lang", "style", "expected"),
    [
        (date(2026, 12, 1), "th", "long", "1 ธันวาคม 2569"),
        (date(2026, 12, 1), "th", "medium", "1 ธ.ค. 2569"),
        (date(2026, 12, 1), "th", "short", "1 ธ.ค. 69"),
        (date(2027, 1, 15), "th", "short", "15 ม.ค. 70"),
        (date(2043, 4, 13), "th", "short", "13 เม.ย. 86"),
        (date(2026, 12, 1), "en", "long", "1 December 2026"),
        (date(2026, 12, 1), "en", "medium", "1 Dec 2026"),
        (date(2026, 12, 1), "en", "short", "1 Dec 2026"),
    ],
)
def test_dates_are_buddhist_era_in_thai_and_gregorian_in_english(
    day: date, lang: str, style: str, expected: str
) -> None:
    assert format_date(day, lang, style) == expected


def test_a_moment_is_shown_in_utc_whatever_zone_it_came_in() -> None:
    bangkok = timezone(timedelta(hours=7))
    moment = datetime(2026, 12, 1, 21, 5, tzinfo=bangkok)
    assert format_datetime(moment, "th") == "1 ธ.ค. 2569 14:05 UTC"
    assert format_datetime(moment, "en") == "1 Dec 2026, 14:05 UTC"
    # SQLite gives naive datetimes: they are UTC
    assert format_datetime(datetime(2026, 12, 31, 23, 59), "th") == "31 ธ.ค. 2569 23:59 UTC"
    assert format_datetime(datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "en") == "31 Dec 2026, 23:59 UTC"


def test_no_template_prints_a_raw_iso_date() -> None:
    raw = [
        f"{path.name}: {line.strip()}"
        for path in TEMPLATES.glob("*.html")
        for line in path.read_text().splitlines()
        if ".isoformat()" in line or ".strftime(" in line
    ]
    assert raw == [], "use the `date` or `local_time` filter (web/templating.py)"


def every_error_code() -> set[str]:
    codes: set[str] = set()
    pending: list[type[errors.EventfaceError]] = [errors.EventfaceError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    for path in SRC.rglob("*.py"):
        codes.update(RAISED_CODE.findall(path.read_text()))
    return codes | set(HTTP_CODES.values())


def test_the_error_codes_are_found() -> None:
    assert {"not_found", "busy", "mail_failed", "folder_refused", "method_not_allowed"} <= every_error_code()


@pytest.mark.parametrize("code", sorted(every_error_code() | set(ERROR_TEXTS)))
def test_every_error_code_has_a_text_in_thai(code: str) -> None:
    assert code in ERROR_TEXTS, f"no text for the error code {code!r} (web/error_texts.py)"
    text = ERROR_TEXTS[code]
    assert text in THAI, f"no Thai for the text of {code!r}: {text!r} (web/i18n.py THAI)"
    assert re.search("[\u0e00-\u0e7f]", THAI[text])


def test_a_thai_reader_gets_thai_for_an_english_message() -> None:
    th, en = translator("th"), translator("en")
    assert error_text("not_found", "not found", "th", th) == "ไม่มีหน้านี้ หรือลิงก์หมดอายุแล้ว"
    assert error_text("not_found", "not found", "en", en) == ERROR_TEXTS["not_found"]
    # a broad code with a specific message: English readers read the message, Thai readers its
    # translation, else the code's Thai text (never English on a Thai page)
    assert error_text("invalid_input", "the date is wrong", "en", en) == "the date is wrong"
    assert error_text("invalid_input", "the date is wrong", "th", th) == THAI[ERROR_TEXTS["invalid_input"]]
    assert error_text("invalid_input", "an event needs a name", "th", th) == "กรุณาตั้งชื่องาน"
    # a code nobody gave a text: the message (the test above keeps this from happening)
    assert error_text("brand_new", "something new", "en", en) == "something new"


def test_the_scripts_get_every_error_text_translated() -> None:
    texts = translated_error_texts(translator("th"))
    assert set(texts) == set(ERROR_TEXTS)
    assert all(re.search("[\u0e00-\u0e7f]", text) for text in texts.values())
