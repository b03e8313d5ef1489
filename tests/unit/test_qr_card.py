"""The printable QR card (services/qr_card.py): A6 at 300 dpi, a QR code that reads back, Thai text."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from eventface.services import qr_card

URL = "https://photos.example.com/e/abcdEFGH1234xyz"


def content(**overrides: object) -> qr_card.CardContent:
    values: dict[str, object] = {
        "event_name": "งานแต่งงาน Somchai & Nok",
        "guest_url": URL,
        "studio": "Studio Nok",
    }
    return qr_card.CardContent(**(values | overrides))  # type: ignore[arg-type]


def test_the_card_is_a6_at_300_dpi_as_png_and_pdf() -> None:
    with Image.open(io.BytesIO(qr_card.png(content()))) as image:
        assert image.size == (1240, 1748)
        assert tuple(round(v) for v in image.info["dpi"]) == (300, 300)
    pdf = qr_card.pdf(content())
    box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf)
    assert box
    assert [round(float(v) / 72 * 25.4) for v in box.groups()] == [105, 148]


def test_thai_text_is_drawn_with_a_thai_font() -> None:
    found = qr_card.font_file()
    if found is None:
        pytest.skip("!!! fonts-thai-tlwg not installed: the card is English only !!!")
    thai = np.asarray(qr_card.render(content(event_name="งาน")).convert("L"))
    latin = np.asarray(qr_card.render(content(event_name="Gala")).convert("L"))
    assert (thai != latin).any()  # the Thai name is drawn (not tofu-free nothing)


def test_the_qr_code_on_the_card_reads_back_as_the_guest_link() -> None:
    cv2 = pytest.importorskip("cv2")
    pixels = np.asarray(qr_card.render(content()).convert("RGB"))[:, :, ::-1].copy()
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(pixels)
    assert text == URL


def test_a_cover_that_is_not_an_image_gives_a_card_without_one() -> None:
    with Image.open(io.BytesIO(qr_card.png(content(cover_jpeg=b"not a jpeg")))) as image:
        assert image.size == (1240, 1748)
