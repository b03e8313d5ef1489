"""The pages in the reader's language: error pages by code, dates, counts, the scripts' data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from eventface.web.error_texts import ERROR_TEXTS
from eventface.web.i18n import THAI, format_date
from tests.web.conftest import Photographer, Web

HTML = {"Accept": "text/html"}
I18N_DATA = re.compile(r'<script id="i18n-data" type="application/json">(.*?)</script>', re.S)


def test_an_error_page_speaks_thai_to_a_thai_reader(web: Web) -> None:
    page = web.client.get("/e/no-such-event?lang=th", headers=HTML)
    assert page.status_code == 404
    assert THAI[ERROR_TEXTS["not_found"]] in page.text
    assert "not found" not in page.text.lower().replace('lang="th"', "")
    english = web.client.get("/e/no-such-event?lang=en", headers=HTML)
    assert ERROR_TEXTS["not_found"] in english.text


def test_an_error_page_in_thai_by_the_browser_language(web: Web) -> None:
    page = web.client.get("/nowhere", headers={**HTML, "Accept-Language": "th-TH,th;q=0.9,en;q=0.5"})
    assert page.status_code == 404
    assert '<html lang="th">' in page.text and THAI[ERROR_TEXTS["not_found"]] in page.text


def test_the_api_keeps_english_details_and_stable_codes(web: Web) -> None:
    answer = web.client.get("/api/e/no-such-event/gallery?lang=th", headers={"Accept": "application/json"})
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
    assert not re.search("[\u0e00-\u0e7f]", answer.text)


def test_every_page_gives_its_script_the_error_texts_in_its_language(web: Web) -> None:
    page = web.client.get("/login?lang=th")
    found = I18N_DATA.search(page.text)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["lang"] == "th"
    assert set(data["errors"]) == set(ERROR_TEXTS)
    assert data["errors"]["busy"] == THAI[ERROR_TEXTS["busy"]]
    assert "/static/i18n.js" in page.text


def test_dates_and_counts_follow_the_page_language(
    web: Web, alice: Photographer, wedding_folder: Path
) -> None:
    event = web.event(alice, wedding_folder)
    web.index(alice, event)
    web.login(alice.email)
    today = datetime.now(UTC).date()
    thai = web.client.get("/events?lang=th").text
    assert format_date(today, "th") in thai and str(today.year + 543) in thai
    assert today.isoformat() not in thai
    english = web.client.get(f"/events/{event.id}?lang=en").text
    # red.jpg shows one face, pair.jpg two: the singular and the plural
    assert "1 face" in english and "2 faces" in english and "1 faces" not in english
    thai_event = web.client.get(f"/events/{event.id}?lang=th").text
    assert "2 ใบหน้า" in thai_event and "1 ใบหน้า" in thai_event and "2 faces" not in thai_event


def test_the_script_data_is_small_utf8(web: Web) -> None:
    # every page carries it; no gzip in front of a bare server: Thai as UTF-8, not \u escapes
    page = web.client.get("/login?lang=th")
    found = I18N_DATA.search(page.text)
    assert found is not None
    data = found.group(1)
    assert "\\u0e" not in data and THAI[ERROR_TEXTS["busy"]] in data
    assert len(data.encode()) < 7000, len(data.encode())
