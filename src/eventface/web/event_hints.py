"""Which event a guest link's slug names, as last read: a selfie search's face engine is chosen
from it before any transaction, so that the search's one transaction comes after the engine ran
(issue 12: no transaction open while faces are found). Only a hint: the search reads its event
again in that transaction and gives up (503, retry) if it changed under it."""

from __future__ import annotations

import threading
from collections import OrderedDict

from eventface.domain.models import Event

EVENTS_KEPT = 1024  # slugs: a few hundred bytes each


class EventHints:
    def __init__(self, capacity: int = EVENTS_KEPT) -> None:
        self._events: OrderedDict[str, Event] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, slug: str) -> Event | None:
        with self._lock:
            event = self._events.get(slug)
            if event is not None:
                self._events.move_to_end(slug)
            return event

    def remember(self, event: Event) -> None:
        with self._lock:
            self._events[event.slug] = event
            self._events.move_to_end(event.slug)
            while len(self._events) > self._capacity:
                self._events.popitem(last=False)

    def forget(self, slug: str) -> None:
        with self._lock:
            self._events.pop(slug, None)
