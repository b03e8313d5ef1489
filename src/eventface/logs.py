"""One-line key=value logs, to stderr and optionally to a rotating file.

    2026-11-24T10:00:00.123Z level=INFO logger=eventface.web msg="photo indexed" event_id=3

Fields come from `log.info("...", extra={"fields": {"event_id": 3}})`. One line per record, a
traceback included, so that journald, Docker and grep each see a record as one entry.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path

LOG_FILE_NAME = "app.log"
_MAX_FILE_BYTES = 5 * 1024 * 1024
_BACKUP_COUNT = 5
# Marks the handlers this module added, so a second call replaces them instead of adding more
_HANDLER_NAME_PREFIX = "eventface."
_QUIET_LOGGERS = {
    "uvicorn.access": logging.WARNING,  # the web app logs each request itself, with more fields
    "PIL": logging.INFO,  # at DEBUG it logs every chunk of every image it opens
    "multipart": logging.INFO,
}
_BARE_VALUE = re.compile(r"[^\s\"'=\\\x00-\x1f\x7f]+")
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


def configure_logging(log_dir: Path | None, level: str = "INFO") -> None:
    """Send the root logger's records at `level` and above to stderr and to `log_dir`/app.log."""
    root = logging.getLogger()
    root.setLevel(level.upper())  # an unknown level name raises ValueError before anything changes
    for old in [h for h in root.handlers if (h.get_name() or "").startswith(_HANDLER_NAME_PREFIX)]:
        root.removeHandler(old)
        old.close()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    handlers[0].set_name(_HANDLER_NAME_PREFIX + "stderr")
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir / LOG_FILE_NAME, maxBytes=_MAX_FILE_BYTES, backupCount=_BACKUP_COUNT, encoding="utf-8"
        )
        file_handler.set_name(_HANDLER_NAME_PREFIX + "file")
        handlers.append(file_handler)
    formatter = KeyValueFormatter()
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    for name, quiet_level in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet_level)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        pairs: dict[str, object] = {
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            for raw_key, value in fields.items():
                key = _UNSAFE_KEY_CHARS.sub("_", str(raw_key)) or "_"
                # a field must not pass for the record's own level, logger or message
                pairs["field_" + key if key in pairs else key] = value
        if record.exc_info:
            pairs["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            pairs["stack"] = self.formatStack(record.stack_info)
        rendered = " ".join(f"{key}={_render_value(key, value)}" for key, value in pairs.items())
        return f"{_utc_timestamp(record.created)} {rendered}"


def _utc_timestamp(created: float) -> str:
    seconds = int(created)
    millis = int((created - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _render_value(key: str, value: object) -> str:
    text = str(value)
    # msg is always quoted so that a reader can find where it ends without knowing its content
    if key != "msg" and _BARE_VALUE.fullmatch(text):
        return text
    # JSON string escapes keep quotes, backslashes and newlines (tracebacks) on one line
    return json.dumps(text, ensure_ascii=False)
