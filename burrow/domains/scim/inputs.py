"""Checks on what a SCIM client sends, before anything reads it: every string must be text a database can
store, and a filter has bounded size (docs/scim.md, "Bad input").

JSON can spell a lone UTF-16 surrogate (`"\\ud800"`), which Python decodes into a `str` no encoder accepts,
and NUL (`"\\u0000"`), which PostgreSQL refuses in text; left in, either would fail deep in the database
driver or the response encoder instead of as the client's mistake. A filter is bounded before it is parsed
(its length) and after (its terms), so one request cannot make the parser or the database work without
limit."""

import re
from typing import Any

from scim2_models.path import Comparison, FilterNode, LogicalExpr, Not, Present, ValuePath

from burrow.domains.scim.services import ScimProblem

MAX_FILTER_BYTES = 4096
MAX_FILTER_TERMS = 50
# A top-level body attribute holding a filter: its bad strings are a bad filter, not a bad value.
FILTER_ATTRIBUTES = {"filter"}
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
NOT_TEXT = "not text Burrow can store (a lone surrogate or NUL)"


def check_body(payload: Any) -> None:
    """Refuses a parsed JSON body with a lone surrogate or NUL in any key or string, naming where it is."""
    where = _lone_surrogate_at(payload, "")
    if where is None:
        return
    scim_type = "invalidFilter" if where.split("[", 1)[0] in FILTER_ATTRIBUTES else "invalidValue"
    raise ScimProblem(400, f"{where or 'The body'} is {NOT_TEXT}.", scim_type)


def check_filter_text(text: Any) -> None:
    """The bound a filter must keep before it is parsed."""
    if isinstance(text, str) and len(text.encode("utf-8", "surrogatepass")) > MAX_FILTER_BYTES:
        raise ScimProblem(400, f"The filter is longer than {MAX_FILTER_BYTES} bytes.", "invalidFilter")


def check_filter(node: FilterNode) -> None:
    """The bounds a parsed filter must keep: at most MAX_FILTER_TERMS comparisons, each value storable."""
    terms = list(_terms(node))
    if len(terms) > MAX_FILTER_TERMS:
        raise ScimProblem(
            400,
            f"The filter has {len(terms)} terms; at most {MAX_FILTER_TERMS} are allowed.",
            "invalidFilter",
        )
    for term in terms:
        if isinstance(term, Comparison) and _lone_surrogate_at(term.value, "") is not None:
            raise ScimProblem(400, f"A value in the filter is {NOT_TEXT}.", "invalidFilter")


def _terms(node: FilterNode):
    if isinstance(node, LogicalExpr):
        for term in node.terms:
            yield from _terms(term)
    elif isinstance(node, Not):
        yield from _terms(node.expr)
    elif isinstance(node, ValuePath):
        yield from _terms(node.val_filter)
    elif isinstance(node, (Comparison, Present)):
        yield node


def _lone_surrogate_at(value: Any, path: str) -> str | None:
    """The path (`name.givenName`, `Operations[0].value`) of the first unstorable string."""
    if isinstance(value, str):
        return None if _storable(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else key
            if not _storable(key):
                return path or "An attribute name"
            found = _lone_surrogate_at(item, inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _lone_surrogate_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _storable(text: str) -> bool:
    return UNSTORABLE.search(text) is None
