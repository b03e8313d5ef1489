"""What a guest does on the guest page (issue 14), step by step, for the browser tests and
benchmarks/guest_phone.py: the button, the consent sheet, the picker, the results."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from playwright.sync_api import ConsoleMessage, Page, expect

SEARCH_TIMEOUT_MS = 60_000
ORIENTATION_TAG = 0x0112
TWELVE_MP = (4000, 3000)


def choose_selfies(
    page: Page, files: Sequence[Path | dict[str, Any]], *, button: str = "#find-button"
) -> None:
    """Taps the button; agrees in the consent sheet if it opens; picks `files` in the picker."""
    sheet = page.locator("#consent-sheet")
    with page.expect_file_chooser() as chooser:
        page.locator(button).click()
        if sheet.is_visible():
            page.locator("#consent").check()
            page.locator("#consent-continue").click()
    chooser.value.set_files(list(files))  # type: ignore[arg-type]


def find_photos(
    page: Page, files: Sequence[Path | dict[str, Any]], *, status: int = 200, button: str = "#find-button"
) -> None:
    """Chooses selfies (the search starts by itself) and waits for its answer and the results."""
    with page.expect_response(
        lambda r: r.url.endswith("/search") and r.request.method == "POST", timeout=SEARCH_TIMEOUT_MS
    ) as answer:
        choose_selfies(page, files, button=button)
    assert answer.value.status == status, answer.value.text()
    expect(page.locator("#results")).to_be_visible(timeout=SEARCH_TIMEOUT_MS)


def result_names(page: Page) -> list[str]:
    names: list[str] = page.locator("#result-grid li button.thumb img").evaluate_all(
        "(imgs) => imgs.map((i) => i.alt)"
    )
    return names


def wait_for_thumbnails(page: Page, grid: str = "#result-grid") -> None:
    loaded = "(img) => img.complete && img.naturalWidth > 0"
    page.wait_for_function(f"() => [...document.querySelectorAll('{grid} img')].every({loaded})")


def phone_selfie(source: Path, orientation: int = 6) -> bytes:
    """A 12 MP phone selfie of `source`'s face: upscaled, stored turned as a phone's sensor saw it,
    with the EXIF orientation tag that turns it upright again (6: turn 90° clockwise to show)."""
    with Image.open(source) as face:
        photo = face.convert("RGB")
    # portrait 3000 x 4000 once shown: the photo scaled to fill its width, on a grey frame
    width, height = TWELVE_MP[1], TWELVE_MP[0]
    scaled = photo.resize((width, round(photo.height * width / photo.width)), Image.Resampling.BICUBIC)
    upright = Image.new("RGB", (width, height), (118, 121, 128))
    upright.paste(
        scaled.crop((0, 0, width, min(height, scaled.height))), (0, max(0, (height - scaled.height) // 2))
    )
    # a phone sensor's noise: what makes its 12 MP JPEGs 3-5 MB (a smooth upscale packs into 1)
    noise = np.random.default_rng(12).standard_normal((height, width, 3), dtype=np.float32) * 7
    upright = Image.fromarray(np.clip(np.asarray(upright, np.float32) + noise, 0, 255).astype(np.uint8))
    stored = upright.transpose(Image.Transpose.ROTATE_90) if orientation == 6 else upright
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


# counts what the page's XMLHttpRequests send as files (Playwright sees no blob bodies)
COUNT_UPLOADS = """(() => {
  window.uploadedBytes = [];
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (body) {
    if (body instanceof FormData) {
      let total = 0;
      for (const [, value] of body.entries()) if (value instanceof Blob) total += value.size;
      window.uploadedBytes.push(total);
    }
    return send.call(this, body);
  };
})();"""


class ConsoleErrors:
    """The page's JavaScript errors and console errors (less those `ignore` names)."""

    def __init__(self, page: Page, ignore: Sequence[str] = ()) -> None:
        self.errors: list[str] = []
        self._ignore = ignore
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if any(part in where or part in message.text for part in self._ignore):
            return
        self.errors.append(f"{where}: {message.text}")
