"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and can refuse or stall."""

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpSink:
    messages: list = field(default_factory=list)
    envelopes: list = field(default_factory=list)  # (MAIL FROM, bytes as received): for DKIM checks
    rejected: set[str] = field(default_factory=set)  # addresses answered with 550
    busy_answers: int = 0  # next N messages answered with 451
    stall: threading.Event | None = None  # while set, DATA hangs (the client sees a dead server)
    received: threading.Event = field(default_factory=threading.Event)
    in_data: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    host: str = "127.0.0.1"
    port: int = 0

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rejected:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.in_data.set()
        stalled = False
        while self.stall is not None and self.stall.is_set():
            stalled = True
            await asyncio.sleep(0.05)
        if stalled:  # the client gave up (or died) long ago: nothing was delivered
            return "451 4.3.0 Timed out"
        with self.lock:
            if self.busy_answers:
                self.busy_answers -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self.envelopes.append((envelope.mail_from, envelope.content))
        self.received.set()
        return "250 Message accepted"


def start_sink(port: int | None = None) -> tuple[SmtpSink, Controller]:
    sink = SmtpSink(port=port or free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    return sink, controller


@pytest.fixture(name="smtp_server")
def smtp_server_fixture(settings):
    """Points BURROW_EMAIL_URL at a fresh local SMTP server."""
    sink, controller = start_sink()
    settings.EMAIL_URL = sink.url
    yield sink
    controller.stop()
