"""A real SMTP server (aiosmtpd) on a free port, in a thread; tests read what it received."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.harness.services import free_port

DEADLINE_S = 30


@dataclass
class Inbox:
    """Every message the server accepted, parsed, in order."""

    messages: list[EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, deadline_s: float = DEADLINE_S) -> list[EmailMessage]:
        """The first `count` messages, once they have arrived (fails the test after the deadline)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, deadline_s):
                pytest.fail(f"{len(self.messages)} messages arrived within {deadline_s} s, expected {count}")
            return self.messages[:count]


@dataclass(frozen=True)
class SmtpServer:
    port: int
    inbox: Inbox

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, inbox)
    finally:
        controller.stop()


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())
