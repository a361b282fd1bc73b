"""Object ids as the outside world sends them (path segments, query parameters, JSON numbers): one parser
for all of them, so an id that cannot exist is "not found" or a 400, never a database overflow."""

from typing import Any

# Database ids are signed 64-bit integers on PostgreSQL and SQLite alike.
ID_MAX = 2**63 - 1


def parse_id(value: Any) -> int | None:
    """The id `value` names (an int, or a string of digits), or None when it cannot be an id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            return None
        value = int(text)
    if not isinstance(value, int) or not 0 < value <= ID_MAX:
        return None
    return value


# `@current` in a URL names the caller's current project, environment or organization.
CURRENT = "@current"
PROJECT_NOT_FOUND = "Project not found."
ORGANIZATION_NOT_FOUND = "Organization not found."
