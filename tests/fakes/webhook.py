"""A tiny HTTP server standing in for a webhook: it records the headers of every POST it gets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SHUTDOWN_POLL_S = 0.005  # how often the serving loop looks whether to stop: at 0.05, most of a teardown


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, str]]

    def do_POST(self) -> None:
        # header names lower-cased: HTTP says they are case-insensitive, senders differ
        self.received.append({name.lower(): value for name, value in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """(the webhook URL on a free local port, the headers of each POST it received so far)."""
    received: list[dict[str, str]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        serve = {"poll_interval": SHUTDOWN_POLL_S}
        thread = threading.Thread(target=server.serve_forever, kwargs=serve, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/hooks/drive", received
        finally:
            server.shutdown()
            thread.join()
