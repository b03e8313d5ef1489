"""Sending one message over SMTP, as SMTP_URL says.

`smtp://` must upgrade to TLS with STARTTLS, the certificate checked, unless the server is on this
machine (a local relay such as Postfix on 127.0.0.1, where there is no network to protect);
`smtps://` speaks TLS from the start. The URL's password is never logged or put in an error.
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from eventface.errors import MailError

TIMEOUT_S = 30
DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    language: str = "en"
    # more headers, e.g. List-Unsubscribe (RFC 8058) on notification digests
    headers: tuple[tuple[str, str], ...] = ()


class SmtpMailer:
    def __init__(self, url: str, sender: str, *, timeout_s: float = TIMEOUT_S) -> None:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(
                "SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465"
            )
        self.host = parts.hostname
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.implicit_tls = parts.scheme == "smtps"
        self.user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout_s = timeout_s

    def send(self, mail: Mail) -> None:
        """Sends `mail`; MailError (with `permanent` for a refusal worth no retry) when it cannot."""
        message = self._message(mail)
        try:
            with self._connect() as smtp:
                if self.user and self._password:
                    smtp.login(self.user, self._password)
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"the mail server {self.host} refused the SMTP_URL's user name or password"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(f"the mail server {self.host} refused the recipient", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                f"the mail server {self.host} answered {exc.smtp_code}", permanent=500 <= exc.smtp_code < 600
            ) from exc
        except ssl.SSLError as exc:
            raise MailError(
                f"no trusted TLS connection to the mail server {self.host}: {exc.reason}"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"cannot reach the mail server {self.host}:{self.port}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif not _on_this_machine(self.host):
                raise MailError(
                    f"the mail server {self.host} offers no STARTTLS: eventface sends no plain-text "
                    "mail over the network (use smtps:// or a relay on this machine)"
                )
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[-1].strip("> "))
        message["Auto-Submitted"] = "auto-generated"  # no vacation replies to a no-reply sender
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        message["Content-Language"] = mail.language  # after the body: set_content drops Content-*
        for name, value in mail.headers:
            message[name] = value
        return message


def _on_this_machine(host: str) -> bool:
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
    except (OSError, ValueError):
        return False
