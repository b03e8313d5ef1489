"""One-line key=value logs: format, fields, the log file, and calling configure_logging twice."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventface.logs import configure_logging

LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(\w+) logger=(\S+) msg=\"(.*?)\"(.*)")
TOUCHED_LOGGERS = ["uvicorn.access", "PIL", "multipart"]


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back for the tests that follow."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in TOUCHED_LOGGERS}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old_level in levels.items():
        logging.getLogger(name).setLevel(old_level)


def ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if (h.get_name() or "").startswith("eventface.")]


def log_lines(log_dir: Path) -> list[str]:
    for handler in ours():
        handler.flush()
    return (log_dir / "app.log").read_text(encoding="utf-8").splitlines()


def test_the_log_directory_and_file_are_created(tmp_path: Path) -> None:
    log_dir = tmp_path / "data" / "logs"

    configure_logging(log_dir)

    assert (log_dir / "app.log").is_file()


def test_a_record_is_one_line_with_utc_time_level_logger_and_quoted_message(tmp_path: Path) -> None:
    configure_logging(tmp_path)

    logging.getLogger("eventface.web").info("served %s photos", 3)

    (line,) = log_lines(tmp_path)
    match = LINE.fullmatch(line)
    assert match is not None, line
    assert match.groups() == ("INFO", "eventface.web", "served 3 photos", "")


def test_extra_fields_are_rendered_as_key_value_pairs(tmp_path: Path) -> None:
    configure_logging(tmp_path)

    logging.getLogger("eventface.jobs").warning(
        "sync done",
        extra={"fields": {"event_id": 3, "duration_ms": 12, "folder": "My Wedding", "note": 'say "hi"'}},
    )

    (line,) = log_lines(tmp_path)
    assert line.endswith(
        ' level=WARNING logger=eventface.jobs msg="sync done" event_id=3 duration_ms=12'
        ' folder="My Wedding" note="say \\"hi\\""'
    )


def test_fields_cannot_impersonate_the_record(tmp_path: Path) -> None:
    configure_logging(tmp_path)

    logging.getLogger("eventface").info("real", extra={"fields": {"msg": "fake", "bad key": 1}})

    (line,) = log_lines(tmp_path)
    assert line.endswith(' msg="real" field_msg=fake bad_key=1')


def test_a_traceback_stays_on_the_same_line(tmp_path: Path) -> None:
    configure_logging(tmp_path)

    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("eventface").exception("photo failed\non two lines")

    (line,) = log_lines(tmp_path)
    assert 'msg="photo failed\\non two lines"' in line
    assert "exc=" in line and "ValueError: boom" in line


def test_records_below_the_level_are_dropped(tmp_path: Path) -> None:
    configure_logging(tmp_path, level="warning")

    logging.getLogger("eventface").info("hidden")
    logging.getLogger("eventface").error("shown")

    (line,) = log_lines(tmp_path)
    assert 'msg="shown"' in line


def test_records_also_go_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(None)

    logging.getLogger("eventface").info("to stderr", extra={"fields": {"event_id": 1}})

    err = capsys.readouterr().err
    assert err.endswith(' level=INFO logger=eventface msg="to stderr" event_id=1\n')
    assert not list(tmp_path.iterdir())  # no file without a log directory


def test_calling_twice_replaces_its_own_handlers_and_keeps_others(tmp_path: Path) -> None:
    foreign = logging.NullHandler()
    logging.getLogger().addHandler(foreign)

    configure_logging(tmp_path / "first")
    configure_logging(tmp_path / "second")
    logging.getLogger("eventface").info("once")

    assert len(ours()) == 2  # stderr and the second file
    assert foreign in logging.getLogger().handlers
    assert len(log_lines(tmp_path / "second")) == 1
    assert log_lines(tmp_path / "first") == []


def test_an_unknown_level_is_refused_without_changing_anything(tmp_path: Path) -> None:
    before = list(logging.getLogger().handlers)

    with pytest.raises(ValueError, match="LOUD"):
        configure_logging(tmp_path, level="loud")

    assert logging.getLogger().handlers == before


def test_uvicorn_access_log_is_quieted(tmp_path: Path) -> None:
    configure_logging(tmp_path, level="DEBUG")

    assert logging.getLogger("uvicorn.access").getEffectiveLevel() == logging.WARNING
