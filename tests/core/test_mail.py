"""Outgoing mail over real SMTP servers on loopback: plain, STARTTLS with AUTH, implicit TLS, and one kept
connection for many messages. Certificates are made here and trusted through SSL_CERT_FILE, as an operator
with a private CA would."""

import ssl
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from burrow.core.mail import MailError, _drop_connection, send_message
from tests.fakes.smtp import SmtpSink, free_port
from tests.fakes.tls import self_signed, write_pem_files


class CountingSink(SmtpSink):
    """Counts connections: a plain SMTP client says EHLO once per connection."""

    connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        type(self).connections += 1
        session.host_name = hostname
        return responses


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    cert_file, key_file = write_pem_files(*self_signed("burrow test SMTP", ("127.0.0.1",), ca=True), tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    return server_context


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Hello"
    message.set_content("Hi")
    return message


def _accept_demo_user(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"burrow" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


@pytest.fixture(autouse=True)
def fresh_connection():
    _drop_connection()
    yield
    _drop_connection()


def test_one_connection_serves_many_messages(settings):
    sink = CountingSink(port=free_port())
    CountingSink.connections = 0
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        settings.EMAIL_URL = sink.url
        for n in range(3):
            send_message(_message(f"user{n}@example.com"))
    finally:
        controller.stop()
    assert [m["To"] for m in sink.messages] == [f"user{n}@example.com" for n in range(3)]
    assert CountingSink.connections == 1


def test_starttls_with_login(settings, certificate):
    sink = SmtpSink(port=free_port())
    controller = Controller(
        sink,
        hostname=sink.host,
        port=sink.port,
        tls_context=certificate,
        require_starttls=True,
        authenticator=_accept_demo_user,
        auth_require_tls=True,
    )
    controller.start()
    try:
        settings.EMAIL_URL = f"smtp+starttls://burrow:s3cret@{sink.host}:{sink.port}"
        send_message(_message("tls@example.com"))
    finally:
        controller.stop()
    assert [m["To"] for m in sink.messages] == ["tls@example.com"]


def test_implicit_tls(settings, certificate):
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, ssl_context=certificate)
    controller.start()
    try:
        settings.EMAIL_URL = f"smtp+ssl://{sink.host}:{sink.port}"
        send_message(_message("ssl@example.com"))
    finally:
        controller.stop()
    assert [m["To"] for m in sink.messages] == ["ssl@example.com"]


def test_an_untrusted_certificate_is_refused(settings, certificate, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, ssl_context=certificate)
    controller.start()
    try:
        settings.EMAIL_URL = f"smtp+ssl://{sink.host}:{sink.port}"
        with pytest.raises(MailError) as refused:
            send_message(_message("ssl@example.com"))
    finally:
        controller.stop()
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value) and sink.messages == []
