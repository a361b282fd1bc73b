"""Report mails written straight to bytes: HTML and text alternatives with inline pictures.

The `email` package builds the same structure, but parsing and folding each header and walking the
message tree to flatten it cost most of a delivery's CPU. A report mail has a fixed shape, so it is
assembled here from parts: headers (RFC 2047 words and RFC 5322 addresses when not plain ASCII), bodies in
base64, and picture parts encoded once and shared by every message that shows them."""

import base64
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

CRLF = b"\r\n"
ADDRESS_HEADERS = {"from", "to", "cc", "reply-to"}


@dataclass(frozen=True)
class InlineImage:
    png: bytes
    content_id: str  # without angle brackets
    filename: str


def header(name: str, value: str) -> bytes:
    # Header values come from user data (insight names): line breaks would inject headers.
    value = " ".join(value.splitlines())
    if name.lower() in ADDRESS_HEADERS:
        value = formataddr(parseaddr(value), charset="utf-8")
    elif not value.isascii() or len(name) + len(value) > 76:
        value = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {value}".encode("ascii") + CRLF


def _base64_body(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


def _text_part(subtype: str, content: str) -> bytes:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'.encode()
        + _base64_body(content.encode("utf-8"))
    )


@functools.lru_cache(maxsize=64)
def _image_part(image: InlineImage) -> bytes:
    """Encoded once per picture; a dashboard report shares its pictures among all its recipients."""
    return (
        f"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <{image.content_id}>\r\n"
        f'Content-Disposition: inline; filename="{image.filename}"\r\n\r\n'
    ).encode() + _base64_body(image.png)


def _multipart(subtype: str, parts: Sequence[bytes], extra: str = "") -> bytes:
    # "=_" never occurs in base64 text, and the other parts' headers are ours: the boundary is unique.
    boundary = f"=_burrow_{uuid.uuid4().hex}"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{extra}\r\n\r\n'.encode()
    delimiter = f"--{boundary}\r\n".encode()
    body = b"".join(delimiter + part + CRLF for part in parts)
    return head + body + f"--{boundary}--\r\n".encode()


def report_message(
    headers: Sequence[tuple[str, str]], text: str, html: str, images: Sequence[InlineImage] = ()
) -> bytes:
    """multipart/alternative: the text, then the HTML (in multipart/related with its pictures)."""
    html_part = _text_part("html", html)
    if images:
        html_part = _multipart(
            "related", [html_part, *(_image_part(i) for i in images)], '; type="text/html"'
        )
    all_headers = [*headers, ("Date", formatdate(localtime=False)), ("MIME-Version", "1.0")]
    return b"".join(header(name, value) for name, value in all_headers) + _multipart(
        "alternative", [_text_part("plain", text), html_part]
    )
