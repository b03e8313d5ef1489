"""What one client can hold of the server: time to send a request, and a place among the uploads.

- Deadlines for receiving a request (`request_deadlines`, uvicorn's h11 protocol with two timers):
  its line and headers within `header_timeout_s` of the connection opening (or of the previous
  response on a kept-alive connection), its body within `body_timeout_s` of the headers. uvicorn has
  neither (encode/uvicorn#157): its keep-alive timer is cancelled by every byte that arrives, so a
  client trickling one byte at a time holds a connection, and an ASGI middleware never sees a
  request whose headers are not complete. Once a request is in, the response takes what it takes.
- A cap on selfie uploads being received (`UploadSlots`): each holds up to 3 selfies in memory,
  so beyond `max_concurrent_uploads` the next one is told to come back (503 + Retry-After).
- A bounded queue of searches (`SearchQueue`, issue 12): as many run as there are search
  workers, `search_queue` more wait (an awaited future: no thread), and the next one is told to
  come back (503 + Retry-After: about when the queue will have drained) instead of waiting
  forever. So pages, thumbnails and downloads never wait behind searches, and no request hangs.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from eventface.errors import ServerBusyError

log = logging.getLogger(__name__)

BUSY_RETRY_AFTER_S = 5.0
MAX_RETRY_AFTER_S = 30.0


class UploadSlots:
    """At most `size` holders at once; one more raises ServerBusyError (never waits)."""

    message = "too many searches at once: try again in a few seconds"

    def __init__(self, size: int, retry_after_s: float = BUSY_RETRY_AFTER_S) -> None:
        self.size = size
        self._retry_after_s = retry_after_s
        self._busy = 0
        self._lock = threading.Lock()

    @property
    def busy(self) -> int:
        return self._busy

    @property
    def retry_after_s(self) -> float:
        return self._retry_after_s

    @contextmanager
    def claim(self) -> Iterator[None]:
        with self._lock:
            if self._busy >= self.size:
                raise ServerBusyError(self.message, self.retry_after_s)
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1


class SearchQueue(UploadSlots):
    """Searches on the `workers` search workers plus `waiting` more waiting for one.

    A search beyond them is told to come back when the queue should have drained: the waiting
    searches times how long one takes on a worker (`search_s`, measured by the pool), over the
    workers, so a crowd of guests spreads its retries instead of coming back all at once.
    """

    message = "many guests are searching right now: try again in a few seconds"

    def __init__(self, workers: int, waiting: int, search_s: Callable[[], float]) -> None:
        super().__init__(workers + waiting)
        self.workers = workers
        self._search_s = search_s

    @property
    def retry_after_s(self) -> float:
        waiting = max(0, self.busy - self.workers) + 1
        return min(MAX_RETRY_AFTER_S, max(1.0, waiting * self._search_s() / self.workers))


class DeadlineH11Protocol(H11Protocol):
    """One timer per connection: for the head while h11 waits for one, for the body while it
    arrives, none while the app works on a request it has received in full."""

    header_timeout_s = 10.0
    body_timeout_s = 60.0
    _deadline: asyncio.TimerHandle | None = None
    _waiting_for: object = None  # the h11 state the timer is for: IDLE (a head) or SEND_BODY

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._follow_request()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow_request(self) -> None:
        state = self.conn.their_state
        if self.transport.is_closing() or state not in {h11.IDLE, h11.SEND_BODY}:
            self._disarm()  # the request is in (or the connection is over): no deadline
        elif state is not self._waiting_for:
            timeout_s = self.header_timeout_s if state is h11.IDLE else self.body_timeout_s
            self._disarm()
            self._waiting_for = state
            self._deadline = self.loop.call_later(timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._waiting_for = None, None

    def _expire(self) -> None:
        part = "headers" if self._waiting_for is h11.IDLE else "body"
        log.info("closed a connection whose request %s took too long", part)
        self._deadline, self._waiting_for = None, None
        self.transport.close()


def request_deadlines(header_timeout_s: float, body_timeout_s: float) -> type[DeadlineH11Protocol]:
    """The protocol class for uvicorn's `http=` option, with these deadlines."""
    attributes = {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s}
    return type("DeadlineH11Protocol", (DeadlineH11Protocol,), attributes)
