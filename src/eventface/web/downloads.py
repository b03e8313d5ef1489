"""File names of downloads: one safe base name for a photo, in a `Content-Disposition` header
(RFC 6266, with `filename*`) or as a ZIP member.

A photo's name comes from a folder or a Drive, that is from whoever put the file there: its
folders, control characters (a header injection, a terminal escape), bidirectional overrides (U+202E
makes `photo<U+202E>gpj.exe` show as `photoexe.jpg`) and what Windows refuses never reach a guest.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse

# What Windows refuses in a file name (controls are handled by category below)
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
# control, format (bidi overrides, zero-width), line and paragraph separators
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_FALLBACK_UNSAFE = re.compile(r'[^\x20-\x7e]|["%\\]')


def safe_base_name(raw_name: str, default: str = "photo") -> str:
    """The last path segment of `raw_name` (`/` and `\\` both separate), with hidden and reserved
    characters replaced by `_`; `default` when nothing usable is left."""
    base = re.split(r"[/\\]", raw_name)[-1]
    base = "".join("_" if unicodedata.category(c) in _HIDDEN_CATEGORIES else c for c in base)
    base = _WINDOWS_RESERVED.sub("_", base).strip().rstrip(".")
    return base or default


def attachment(raw_name: str) -> str:
    """A `Content-Disposition: attachment` value: an ASCII `filename` for old clients and the
    UTF-8 `filename*` (RFC 6266 section 4.3, RFC 8187) that current browsers use."""
    name = safe_base_name(raw_name)
    fallback = _FALLBACK_UNSAFE.sub("_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(name, safe='')}"
