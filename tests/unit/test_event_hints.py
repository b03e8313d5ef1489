"""The events guest links named lately (web/event_hints.py): bounded, least recently used out first."""

from __future__ import annotations

from datetime import UTC, datetime

from eventface.domain.models import Event, SourceKind
from eventface.web.event_hints import EventHints

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def event(number: int, engine: str = "sface") -> Event:
    return Event(number, f"Event {number}", f"slug-{number}", SourceKind.LOCAL_FOLDER, "/p", engine, CREATED)


def test_the_least_recently_used_event_goes_first_when_full() -> None:
    hints = EventHints(capacity=2)
    hints.remember(event(1))
    hints.remember(event(2))
    assert hints.get("slug-1") == event(1)  # now used more lately than 2

    hints.remember(event(3))

    assert [hints.get(f"slug-{n}") is not None for n in (1, 2, 3)] == [True, False, True]


def test_an_event_read_again_replaces_what_was_known_and_can_be_forgotten() -> None:
    hints = EventHints()
    hints.remember(event(1, "sface"))
    hints.remember(event(1, "dlib"))
    assert hints.get("slug-1") == event(1, "dlib")

    hints.forget("slug-1")
    hints.forget("never-seen")

    assert hints.get("slug-1") is None
