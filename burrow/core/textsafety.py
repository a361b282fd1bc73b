"""Text no database can store is refused at the door, as a 400 naming where it sits, instead of a 500 from
deep inside a serializer, the database adapter or the response renderer.

Two kinds of character: a lone UTF-16 surrogate (`\\ud800`, which JSON can spell but UTF-8 cannot encode)
and NUL (`\\u0000`, which PostgreSQL refuses in text and jsonb alike). JSON bodies are checked once decoded
(burrow/core/parsers.py), every string and object key however deep; query parameters and form fields (and
the JSON a form field may hold) by burrow.core.middleware.UnstorableTextMiddleware, for every view, which
also answers 404 for a path holding such text. No DRF import here: the JSON parser loads while DRF itself
does."""

import json
import re
from collections.abc import Iterable
from io import BytesIO
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Deeper JSON is refused (body or form field): hostile nesting would raise RecursionError deep inside the
# JSON decoder, a serializer or the database adapter.
MAX_JSON_DEPTH = 64
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


def find_unstorable(document: Any) -> tuple[tuple[str, ...], str] | None:
    """The first string or object key in a decoded JSON `document` that cannot be stored: its path (keys and
    list indexes, printable) and why. Iterative, so no nesting depth can overflow it."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            reason = unstorable_reason(node)
            if reason:
                return path, reason
            continue
        if isinstance(node, dict):
            children: Iterable[tuple[str, Any]] = node.items()
        elif isinstance(node, list):
            children = ((str(index), item) for index, item in enumerate(node))
        else:
            continue
        pending = []
        for key, value in children:
            here = path + (printable(key),)
            pending += [(here, key), (here, value)]  # a key is checked where its value would be reported
        stack.extend(reversed(pending))
    return None


def json_depth(document: Any) -> int:
    """How deeply `document` nests lists and objects; iterative, so it cannot overflow itself."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node if isinstance(child, dict | list))
    return deepest


def find_unstorable_field(fields: QueryDict) -> tuple[str, str] | None:
    """The first named field (a query parameter or form field) whose name or any value cannot be stored, as
    text or as the JSON it holds, or holds JSON nested too deep; the field name is the `attr`, whichever value
    is at fault."""
    for name, values in fields.lists():
        for text in (name, *(value for value in values if isinstance(value, str))):
            reason = unstorable_reason(text) or _json_problem(text)
            if reason:
                return printable(name), reason
    return None


def _json_problem(text: str) -> str | None:
    """What is wrong with the JSON object, array or string `text` holds, decoded as a form's JSON field
    decodes it (`\\u0000` becomes a NUL): nested too deep, or unstorable text inside. None for other text."""
    if not text.lstrip().startswith(("{", "[", '"')):
        return None
    too_deep = f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
    try:
        document = json.loads(text)
    except RecursionError:
        return too_deep
    except ValueError:
        return None  # not JSON after all: plain text, already checked
    if json_depth(document) > MAX_JSON_DEPTH:
        return too_deep
    found = find_unstorable(document)
    return found[1] if found else None


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
