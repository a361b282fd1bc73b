"""Outgoing mail: SMTP from BURROW_EMAIL_URL, or `.eml` files in DATA_DIR/outbox/ when it is unset.

`smtp://user:pass@host:port` (plain, STARTTLS when offered is not attempted), `smtp+starttls://…`,
`smtp+ssl://…`. Each thread keeps its SMTP connection open between messages and reconnects when the
server dropped it."""

import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, getaddresses, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings

from burrow.config import private_opener
from burrow.core import metrics

_local = threading.local()


class MailError(Exception):
    """`permanent` means retrying cannot help (address rejected); otherwise try again later."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str  # "", "ssl" or "starttls"

    @classmethod
    def parse(cls, url: str) -> "SmtpConfig":
        parts = urlsplit(url)
        security = {"smtp": "", "smtp+ssl": "ssl", "smtps": "ssl", "smtp+starttls": "starttls"}.get(
            parts.scheme
        )
        if security is None or not parts.hostname:
            raise ValueError(
                f"BURROW_EMAIL_URL must look like smtp://user:pass@host:port, not {parts.scheme}://…"
            )
        default_port = 465 if security == "ssl" else 587 if security == "starttls" else 25
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            security=security,
        )


def send_message(message: EmailMessage) -> None:
    """Sends one message built with the `email` package; raises MailError."""
    if "From" not in message:
        message["From"] = settings.EMAIL_FROM
    if "Date" not in message:
        message["Date"] = formatdate(localtime=False)
    recipients = [address for _, address in getaddresses(message.get_all("To", []))]
    send_bytes(recipients, message.as_bytes(policy=SMTP), message.get("Message-ID", ""))


def send_bytes(recipients: list[str], data: bytes, message_id: str, sender: str | None = None) -> None:
    """Sends a complete message (headers and body, CRLF line ends); raises MailError. The envelope sender
    (where bounces go) is `sender`, else BURROW_EMAIL_FROM's address."""
    if not settings.EMAIL_URL:
        _write_outbox(data, message_id)
        return
    config = SmtpConfig.parse(settings.EMAIL_URL)
    sender = sender or parseaddr(settings.EMAIL_FROM)[1]
    with metrics.provider_call("smtp"):
        _send(config, sender, recipients, data)


def _send(config: SmtpConfig, sender: str, recipients: list[str], data: bytes) -> None:
    try:
        try:
            _connection(config).sendmail(sender, recipients, data)
        except smtplib.SMTPServerDisconnected:
            _drop_connection()  # the kept connection timed out on the server side: once more, fresh
            _connection(config).sendmail(sender, recipients, data)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise MailError(
            f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)
        ) from exc
    except smtplib.SMTPResponseException as exc:
        _drop_connection()
        raise MailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        _drop_connection()
        raise MailError(f"SMTP unavailable: {exc}") from exc


def _connection(config: SmtpConfig) -> smtplib.SMTP:
    current: tuple[SmtpConfig, smtplib.SMTP] | None = getattr(_local, "smtp", None)
    if current is not None and current[0] == config and current[1].sock is not None:
        return current[1]
    _drop_connection()
    timeout = settings.EMAIL_TIMEOUT
    if config.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
        if config.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    # smtplib writes commands in small pieces; without this, delayed ACKs cost ~40 ms per message.
    smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if config.username:
        smtp.login(config.username, config.password or "")
    _local.smtp = (config, smtp)
    return smtp


def _drop_connection() -> None:
    current = getattr(_local, "smtp", None)
    _local.smtp = None
    if current is not None:
        try:
            current[1].quit()
        except (smtplib.SMTPException, OSError):
            current[1].close()


def _write_outbox(data: bytes, message_id: str) -> None:
    outbox = Path(settings.DATA_DIR) / "outbox"
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = (message_id or str(time.time_ns())).strip("<>").replace("/", "_").replace("@", "_at_")
    # Mail carries sign-in and invitation links: for Burrow's user only.
    with open(outbox / f"{time.strftime('%Y%m%dT%H%M%S')}-{stem}.eml", "wb", opener=private_opener) as handle:
        handle.write(data)
