"""Text no database can store is refused at the door, as a 400 naming where it sits, instead of a 500 from
deep inside a serializer, the database adapter or the response renderer.

Two kinds of character: a lone UTF-16 surrogate (`\\ud800`, which JSON can spell but UTF-8 cannot encode)
and NUL (`\\u0000`, which PostgreSQL refuses in text and jsonb alike). JSON bodies are checked once decoded
(burrow/core/parsers.py), every string and object key however deep; path segments, query parameters and
form fields by burrow.core.middleware.UnstorableTextMiddleware, for every view. No DRF import here: the
JSON parser loads while DRF itself does."""

import re
from collections.abc import Iterable
from io import BytesIO
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def unstorable_reason(text: str) -> str | None:
    """Why `text` cannot be stored, or None if it can."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    if match[0] == "\x00":
        return "NUL characters (\\u0000) are not allowed in text."
    return f"Lone surrogate characters ({printable(match[0])}) are not allowed: text must be valid Unicode."


def printable(text: str) -> str:
    """`text` with its unstorable characters spelled as JSON escapes, safe to echo back in an error."""
    return _UNSTORABLE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def find_unstorable(document: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str] | None:
    """The first string or object key in a decoded JSON `document` that cannot be stored: its path (keys and
    list indexes, printable) and why. Recursion is bounded: the parser refuses deeper JSON first."""
    if isinstance(document, str):
        reason = unstorable_reason(document)
        return (path, reason) if reason else None
    if isinstance(document, dict):
        children: Iterable[tuple[str, Any]] = document.items()
    elif isinstance(document, list):
        children = ((str(index), item) for index, item in enumerate(document))
    else:
        return None
    for key, value in children:
        here = path + (printable(key),)
        found = find_unstorable(key, here) or find_unstorable(value, here)
        if found:
            return found
    return None


def find_unstorable_field(fields: dict[str, str] | QueryDict) -> tuple[str, str] | None:
    """The first named field (a path segment, query parameter or form field) whose name or any value cannot be
    stored; the field name is the `attr`, whichever of its values is at fault."""
    items = fields.lists() if isinstance(fields, QueryDict) else ((k, [v]) for k, v in fields.items())
    for name, values in items:
        for text in (name, *(value for value in values if isinstance(value, str))):
            reason = unstorable_reason(text)
            if reason:
                return printable(name), reason
    return None


def form_fields(request: HttpRequest) -> QueryDict | None:
    """A form body's fields, parsed from a copy, so the view still parses (and refuses) the body as before:
    a body too large or malformed is left to it."""
    content_type = request.content_type or ""
    if content_type not in _FORM_TYPES:
        return None
    try:
        body = request.body
        if content_type == _FORM_TYPES[0]:
            return QueryDict(body, encoding=request.encoding)
        return MultiPartParser(request.META, BytesIO(body), [], request.encoding).parse()[0]
    except (MultiPartParserError, SuspiciousOperation, ValueError):
        return None
