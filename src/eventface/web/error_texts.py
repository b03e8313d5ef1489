"""What the pages say for each error code, in the page's language.

The API's error bodies carry a stable `code` (errors.py, web/errors.py) and an English `detail`.
A page never shows the detail to a Thai reader: the server-rendered error page and the scripts
(static/i18n.js, given this table translated by base.html) choose the text by code. The English
texts are keys of web/i18n.py THAI; a test checks that every code raised anywhere has a text.
"""

from __future__ import annotations

from eventface.web.i18n import Translate

ERROR_TEXTS: dict[str, str] = {
    # the error tree's classes (errors.py)
    "error": "Something went wrong. Please try again.",
    "not_found": "This page does not exist, or the link is no longer valid.",
    "unauthorized": "Your session has ended. Sign in again.",
    "forbidden": "You are not allowed to do this. Reload the page and try again.",
    "invalid_input": "Please check what you entered and try again.",
    "consent_required": "Please give your consent first.",
    "no_face": "No face found in this selfie: try one facing the camera, in good light.",
    "no_usable_selfie": "None of your selfies could be used.",
    "too_large": "This file is too large.",
    "unsupported_media_type": "This file type is not supported.",
    "scope_not_granted": (
        "eventface was not allowed to read your Google Drive. Connect again and, on Google's screen, "
        "tick the box that lets eventface see your Google Drive files."
    ),
    "rate_limited": "Too many attempts. Please wait a minute and try again.",
    "busy": "The server is busy right now. Please try again in a moment.",
    "image_unusable": "This photo could not be used.",
    "image_unreadable": "This file could not be read as a photo.",
    "image_too_large": "This photo has too many pixels.",
    "model_file": "The face models are missing on this server: the administrator must reinstall.",
    "secret_unreadable": "A stored credential cannot be read: the photographer must connect again.",
    "source_error": "The photos cannot be read right now: try again in a moment.",
    "source_unavailable": "The photos cannot be read right now: try again in a moment.",
    "reconnect_needed": "The event's Google Drive must be connected again by the photographer.",
    "photo_gone": "This photo is no longer in the event's folder.",
    "cursor_expired": "The list of changes in Google Drive expired: the whole folder will be read again.",
    "mail_failed": "The email could not be sent. Please try again later.",
    # what only HTTP knows (web/errors.py HTTP_CODES)
    "bad_request": "Please check what you entered and try again.",
    "method_not_allowed": "This action is not possible here.",
    "timeout": "The request took too long. Please try again.",
    # narrower codes given at raise sites (`InvalidInputError(msg, code=...)`)
    "folder_missing": "an event needs a photo folder",
    "folder_refused": "this folder cannot be used: choose a folder inside the server's photo folders",
    "event_name_missing": "an event needs a name",
    "event_name_too_long": "an event name may have at most 200 characters",
    "event_name_control_characters": (
        "an event name may not contain control characters such as line breaks or tabs"
    ),
    "drive_link_missing": "paste the link of a Google Drive folder",
    "drive_link_wrong": "not a Google Drive link: open the folder and copy its link",
    "drive_link_is_file": "this Drive link is a file, not a folder",
    "drive_folder_not_found": (
        "this Google Drive folder does not exist or is not shared with the connected account"
    ),
    "drive_folder_trashed": "this Google Drive folder is in the trash",
    "reset_link_invalid": "This password reset link has expired or was already used: ask for a new one.",
    # the photographer's brand and cover, guests' removal requests and notifications (issue 14)
    "brand_bad_url": "a link must be a full web address starting with https:// or http://",
    "brand_logo_unreadable": "the logo must be a PNG, JPEG, WebP or GIF image",
    "brand_logo_too_large": "the logo file is too large (at most 2 MB)",
    "brand_name_too_long": "the studio name may have at most 100 characters",
    "cover_not_shown": "the cover must be an indexed photo that guests may see",
    "reason_too_long": "the reason may have at most 500 characters",
    "invalid_email": "not a valid email address",
    "notify_closed": "This event no longer sends new photos by email.",
}

# codes so broad that a specific message, when the reader can read it, says more than the code
SPECIFIC_MESSAGE_CODES = frozenset({"invalid_input", "bad_request", "error"})


def error_text(code: str, message: str, lang: str, t: Translate) -> str:
    """What a page shows for an error: the code's text in the reader's language, or, for a broad
    code, the server's own message when it is English the reader reads or has a translation."""
    text = ERROR_TEXTS.get(code)
    readable = bool(message) and (lang == "en" or t(message) != message)
    if text is None or (code in SPECIFIC_MESSAGE_CODES and readable):
        return t(message)
    return t(text)


def translated_error_texts(t: Translate) -> dict[str, str]:
    """The table for the pages' scripts (static/i18n.js `I18N.errorText`)."""
    return {code: t(text) for code, text in ERROR_TEXTS.items()}
