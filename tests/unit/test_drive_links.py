"""Every Drive folder link form a photographer may paste gives the folder id; anything else a clear error."""

from __future__ import annotations

import pytest

from eventface.errors import InvalidInputError
from eventface.sources.drive_links import folder_id

ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz_-0123"


@pytest.mark.parametrize(
    "link",
    [
        f"https://drive.google.com/drive/folders/{ID}",
        f"https://drive.google.com/drive/folders/{ID}?usp=sharing",
        f"https://drive.google.com/drive/u/0/folders/{ID}",
        f"https://drive.google.com/drive/u/2/folders/{ID}?resourcekey=0-abc&usp=drive_link",
        f"https://drive.google.com/open?id={ID}",
        f"https://drive.google.com/folderview?id={ID}&usp=sharing",
        f"drive.google.com/drive/folders/{ID}",
        f"  {ID}  ",
        ID,
    ],
)
def test_folder_links_give_the_folder_id(link: str) -> None:
    assert folder_id(link) == ID


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("", "paste the link"),
        ("https://example.com/drive/folders/" + ID, "not a Google Drive link"),
        (f"https://drive.google.com/file/d/{ID}/view", "file, not of a folder"),
        (f"https://docs.google.com/document/d/{ID}/edit", "file, not of a folder"),
        ("https://drive.google.com/drive/my-drive", "no folder in this"),
        ("wedding photos", "not a Google Drive link"),
        ("[wedding", "not a Google Drive link"),  # urlparse's "Invalid IPv6 URL" was a 500
    ],
)
def test_other_text_is_refused_with_a_clear_message(link: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        folder_id(link)
