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
from email.utils import formataddr, formatdate, getaddresses

CRLF = b"\r\n"
ADDRESS_HEADERS = {"from", "to", "cc", "reply-to", "sender"}
# Values that mail clients read as tokens (URLs, message ids, keywords): RFC 2047 encoded-words there would
# hide them (a client would not find the List-Unsubscribe URL), so they are written verbatim, ASCII only.
VERBATIM_HEADERS = {
    "message-id",
    "in-reply-to",
    "references",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "list-id",
    "date",
    "mime-version",
}
LINE_LENGTH = 78  # RFC 5322 §2.1.1: SHOULD; the hard limit is 998


@dataclass(frozen=True)
class InlineImage:
    png: bytes
    content_id: str  # without angle brackets
    filename: str


def header(name: str, value: str) -> bytes:
    """One header line (folded where needed), the only way a header is written: line breaks in values come
    from user data (insight names, titles) and are collapsed so they cannot add headers."""
    value = " ".join(str(value).splitlines())
    lowered = name.lower()
    if lowered in ADDRESS_HEADERS:
        value = ", ".join(formataddr(pair, charset="utf-8") for pair in getaddresses([value]))
    elif lowered in VERBATIM_HEADERS:
        if not value.isascii():
            raise ValueError(f"{name} must be ASCII")
    elif not value.isascii():
        encoded = Header(value, "utf-8", header_name=name, maxlinelen=LINE_LENGTH)
        return f"{name}: {encoded.encode(linesep=chr(13) + chr(10))}".encode("ascii") + CRLF
    return _folded(name, value).encode("ascii") + CRLF


def _folded(name: str, value: str) -> str:
    """Folds at spaces only (RFC 5322 §2.2.3), so a URL or a message id is never split; the first word stays
    beside the name, and a single word longer than a line stays whole (up to the 998-character limit)."""
    first, *words = value.split(" ")
    lines, current = [], f"{name}: {first}"
    for word in words:
        if len(current) + 1 + len(word) > LINE_LENGTH:
            lines.append(current)
            current = " " + word
        else:
            current = f"{current} {word}"
    lines.append(current)
    return "\r\n".join(lines)


def text_message(headers: Sequence[tuple[str, str]], text: str) -> bytes:
    """A plain-text mail (notices)."""
    all_headers = [*headers, ("Date", formatdate(localtime=False)), ("MIME-Version", "1.0")]
    return b"".join(header(name, value) for name, value in all_headers) + _text_part("plain", text)


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
