"""Sending mail over SMTP to a real server (aiosmtpd), and what the queue does when it fails."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from eventface.errors import MailError
from eventface.jobs.tasks import send_mail
from eventface.mail.smtp import Mail, SmtpMailer
from eventface.runtime import build_runtime
from eventface.settings import Settings
from tests.harness.services import free_port
from tests.harness.smtp import SmtpServer, body

MAIL = Mail("guest@example.com", "รูปของคุณ · your photos", "plain text", "<p>html</p>", "th")


def test_a_message_has_text_html_and_the_headers_a_mail_client_expects(smtp_server: SmtpServer) -> None:
    SmtpMailer(smtp_server.url, "eventface <noreply@photos.example.org>").send(MAIL)

    (message,) = smtp_server.inbox.wait_for(1)
    assert message["Subject"] == MAIL.subject  # encoded on the wire, whole again here
    assert (message["To"], message["Content-Language"]) == ("guest@example.com", "th")
    assert message["Message-ID"].endswith("@photos.example.org>")
    assert (body(message, "plain").strip(), body(message, "html").strip()) == ("plain text", "<p>html</p>")


class RefuseRecipients:
    async def handle_RCPT(  # noqa: N802 - aiosmtpd's name
        self, _server: Any, _session: Any, _envelope: Any, _address: str, _options: Any
    ) -> str:
        return "550 no such user"


@pytest.fixture
def refusing_server() -> Iterator[str]:
    port = free_port()
    controller = Controller(RefuseRecipients(), hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}"
    controller.stop()


def test_a_refused_recipient_is_permanent_and_an_unreachable_server_is_not(refusing_server: str) -> None:
    with pytest.raises(MailError) as refused:
        SmtpMailer(refusing_server, "noreply@example.org").send(MAIL)
    with pytest.raises(MailError) as unreachable:
        SmtpMailer(f"smtp://127.0.0.1:{free_port()}", "noreply@example.org", timeout_s=5).send(MAIL)

    assert refused.value.permanent and "refused the recipient" in str(refused.value)
    assert not unreachable.value.permanent


def _address_of_this_machine() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent, only a route is chosen
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_no_plain_text_mail_crosses_the_network(smtp_server: SmtpServer) -> None:
    address = _address_of_this_machine()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    port = free_port()
    controller = Controller(smtp_server.inbox, hostname=address, port=port)  # offers no STARTTLS
    controller.start()
    try:
        with pytest.raises(MailError, match="no STARTTLS"):
            SmtpMailer(f"smtp://user:secret-pass@{address}:{port}", "noreply@example.org").send(MAIL)
    finally:
        controller.stop()
    assert smtp_server.inbox.messages == []


def test_the_mail_task_retries_what_may_pass_and_drops_what_cannot(
    tmp_path: Path, refusing_server: str, smtp_server: SmtpServer
) -> None:
    def runtime(url: str) -> Any:
        return build_runtime(Settings(data_dir=tmp_path / "data", smtp_url=url))

    down = runtime(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(MailError):  # Huey retries a task that raises
        send_mail(down, MAIL)
    assert send_mail(runtime(refusing_server), MAIL) == "refused"
    assert send_mail(runtime(smtp_server.url), MAIL) == "sent"
    assert send_mail(build_runtime(Settings(data_dir=tmp_path / "data")), MAIL) == "no mail server"


def test_the_smtp_password_is_never_in_an_error() -> None:
    with pytest.raises(MailError) as failed:
        SmtpMailer(
            f"smtp://ana:hunter2-secret@127.0.0.1:{free_port()}", "noreply@example.org", timeout_s=5
        ).send(MAIL)

    assert "hunter2" not in str(failed.value)
