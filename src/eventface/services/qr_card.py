"""The printable QR card of an event (issue 14): an A6 card, as a PDF or a PNG at 300 dpi, and
four of them on an A4 sheet to print at home and cut.

The event's name and cover on top, the QR code of the guest link in the middle (large: a card on
a table is scanned from an arm's length), and what to do in Thai and in English. Thai needs a
font with Thai glyphs and complex text layout (libraqm, which Pillow's wheels bring): the card
looks for the TLWG fonts Debian ships (`fonts-thai-tlwg`). Without one, the card is still made,
with the English text only, and the log says which package to install.
"""

from __future__ import annotations

import functools
import io
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont, ImageOps

log = logging.getLogger(__name__)

DPI = 300
A6_MM = (105, 148)
SIZE_PX = (round(A6_MM[0] / 25.4 * DPI), round(A6_MM[1] / 25.4 * DPI))  # 1240 x 1748
A4_PX = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))  # 2480 x 3508
MARGIN_PX = 80
COVER_HEIGHT_PX = 400
QR_PX = 540
BAND_HEIGHT_PX = 120
INK = (24, 28, 36)
MUTED = (90, 98, 110)
BAND = (31, 111, 235)
# Debian's fonts-thai-tlwg: sans faces with Latin glyphs too, so one font draws both scripts
FONT_DIRS = (Path("/usr/share/fonts/truetype/tlwg"), Path("/usr/share/fonts/opentype/tlwg"))
FONT_NAMES = {
    False: ("Loma.ttf", "Garuda.ttf", "Loma.otf"),
    True: ("Loma-Bold.ttf", "Garuda-Bold.ttf", "Loma-Bold.otf"),
}
LATIN_FALLBACK = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

THAI_STEPS = "สแกน QR ด้วยกล้องมือถือ ถ่ายเซลฟี่ แล้วดูทุกรูปที่มีคุณอยู่"
THAI_TITLE = "ค้นหารูปของคุณ"
ENGLISH_STEPS = "Scan the QR code with your phone's camera, take a selfie, and see every photo you are in."
ENGLISH_TITLE = "Find your photos"


@dataclass(frozen=True)
class CardContent:
    event_name: str
    guest_url: str
    cover_jpeg: bytes | None = None  # a preview of the cover photo, if the event shows one
    date_text: str = ""
    studio: str = ""  # the photographer's brand name


@functools.cache
def font_file(bold: bool = False) -> Path | None:
    """A font that draws Thai (and Latin), found at run time; None when none is installed."""
    for folder in FONT_DIRS:
        for name in FONT_NAMES[bold]:
            if (folder / name).is_file():
                return folder / name
    log.warning(
        "no Thai font found: the QR card is printed in English only (apt-get install fonts-thai-tlwg)"
    )
    return None


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = font_file(bold)
    if found is not None:
        return ImageFont.truetype(str(found), size, layout_engine=ImageFont.Layout.RAQM)
    if LATIN_FALLBACK.is_file():
        return ImageFont.truetype(str(LATIN_FALLBACK), size)
    return ImageFont.load_default(size)


def render(content: CardContent) -> Image.Image:
    """The card's pixels at 300 dpi."""
    card = Image.new("RGB", SIZE_PX, "white")
    draw = ImageDraw.Draw(card)
    width, height = SIZE_PX
    y = _cover(card, content.cover_jpeg)
    y = _lines(draw, content.event_name, _font(60, bold=True), y + 40, INK, max_lines=2)
    if content.date_text:
        y = _lines(draw, content.date_text, _font(32), y, MUTED)
    qr = _qr_image(content.guest_url, QR_PX)
    card.paste(qr, ((width - QR_PX) // 2, y + 10))
    y += 10 + QR_PX
    y = _lines(draw, content.guest_url, _font(24), y, MUTED, max_lines=2)
    thai = font_file() is not None
    if thai:
        y = _lines(draw, THAI_TITLE, _font(44, bold=True), y + 24, INK)
        y = _lines(draw, THAI_STEPS, _font(32), y, INK, max_lines=3)
    y = _lines(draw, ENGLISH_TITLE, _font(40 if thai else 52, bold=True), y + 20, INK)
    y = _lines(draw, ENGLISH_STEPS, _font(30 if thai else 38), y, INK, max_lines=3)
    if content.studio and y < height - MARGIN_PX - 40:  # a long event name may have taken its place
        _lines(draw, content.studio, _font(30, bold=True), height - MARGIN_PX - 20, MUTED)
    return card


def png(content: CardContent) -> bytes:
    out = io.BytesIO()
    render(content).save(out, format="PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


def pdf(content: CardContent) -> bytes:
    """One A6 page: the card at 300 dpi is 105 x 148 mm."""
    out = io.BytesIO()
    render(content).save(out, format="PDF", resolution=DPI, title=content.event_name)
    return out.getvalue()


def a4_sheet_pdf(content: CardContent) -> bytes:
    """Four cards on one A4 page (2 x 2, 210 x 297 mm) with thin cut lines: printable at home."""
    card = render(content)
    sheet = Image.new("RGB", A4_PX, "white")
    left, top = (A4_PX[0] - 2 * card.width) // 2, (A4_PX[1] - 2 * card.height) // 2
    for column in (0, 1):
        for row in (0, 1):
            sheet.paste(card, (left + column * card.width, top + row * card.height))
    draw = ImageDraw.Draw(sheet)
    for x in (left, left + card.width, left + 2 * card.width):
        draw.line([(x, 0), (x, A4_PX[1])], fill=(200, 200, 200), width=2)
    for y in (top, top + card.height, top + 2 * card.height):
        draw.line([(0, y), (A4_PX[0], y)], fill=(200, 200, 200), width=2)
    out = io.BytesIO()
    sheet.save(out, format="PDF", resolution=DPI, title=content.event_name)
    return out.getvalue()


def _cover(card: Image.Image, cover_jpeg: bytes | None) -> int:
    """The cover photo across the top (cropped to fill), or a plain band; where the text starts."""
    width = card.width
    band = (width, COVER_HEIGHT_PX if cover_jpeg else BAND_HEIGHT_PX)
    if cover_jpeg:
        try:
            with Image.open(io.BytesIO(cover_jpeg)) as photo:
                # faces sit in the upper part of most photos: crop from there
                card.paste(ImageOps.fit(photo.convert("RGB"), band, centering=(0.5, 0.3)), (0, 0))
                return band[1]
        except OSError:
            log.warning("the cover preview could not be read: the card has no cover")
            band = (width, BAND_HEIGHT_PX)
    card.paste(Image.new("RGB", band, BAND), (0, 0))
    return band[1]


def _qr_image(url: str, size_px: int) -> Image.Image:
    qr = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    modules = qr.symbol_size(scale=1, border=2)[0]
    qr.save(out, kind="png", scale=max(1, size_px // modules), border=2)
    with Image.open(io.BytesIO(out.getvalue())) as image:
        return image.convert("RGB").resize((size_px, size_px), Image.Resampling.NEAREST)


def _lines(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    top: int,
    fill: tuple[int, int, int],
    *,
    max_lines: int = 1,
) -> int:
    """Draws the text centred, wrapped at spaces (or anywhere, for a long run) to fit; the y below it."""
    width = draw.im.size[0] - 2 * MARGIN_PX
    y: int = top
    lines = _wrap(draw, text, font, width)
    if len(lines) > max_lines:  # say that something was left out
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][:-1] + "…"]
    for line in lines:
        left, up, right, down = draw.textbbox((0, 0), line, font=font)
        draw.text(((draw.im.size[0] - (right - left)) // 2 - left, y - up + 4), line, font=font, fill=fill)
        y += int(max(down - up, getattr(font, "size", 20))) + 14
    return y


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int
) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
        while draw.textlength(current, font=font) > width and len(current) > 1:
            # one word wider than the card (a URL, an unspaced Thai phrase): cut it where it fits
            cut = len(current)
            while cut > 1 and draw.textlength(current[:cut], font=font) > width:
                cut -= 1
            while cut > 1 and unicodedata.category(current[cut]) in {"Mn", "Mc"}:
                cut -= 1  # never between a Thai letter and its vowel or tone mark
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines
