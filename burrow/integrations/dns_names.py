"""Domain names people type, checked against the Public Suffix List: a sender domain, a proxy record's name
and a Domain Connect check all need a name below a public suffix (`example.co.uk`, not `co.uk` or
`github.io`), and the split of a name into its registrable root and the host below it (`ph.example.co.uk`
→ `example.co.uk` + `ph`), which is how DNS providers address records."""

import re
from functools import cache

from publicsuffixlist import PublicSuffixList

MAX_NAME_LENGTH = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class NotRegistrable(ValueError):
    """The name is malformed, a public suffix itself, or under no suffix the list knows."""


@cache
def _suffixes() -> PublicSuffixList:
    # accept_unknown=False: a name under a top-level domain the list does not know (`.test`, `.local`, a typo)
    # cannot be registered, so no DNS provider will publish records for it.
    return PublicSuffixList(accept_unknown=False)


def normalise(value: object) -> str:
    """`value` as a lower-case ASCII domain name (internationalised names in their IDNA form); raises
    NotRegistrable when it is not one, or not below a public suffix."""
    if not isinstance(value, str):
        raise NotRegistrable("not a string")
    name = value.strip().rstrip(".").lower()
    if not name or len(name) > MAX_NAME_LENGTH * 2:
        raise NotRegistrable("empty or too long")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise NotRegistrable("not a valid internationalised name") from None
    labels = name.split(".")
    if len(name) > MAX_NAME_LENGTH or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise NotRegistrable("not a host name")
    if _suffixes().privatesuffix(name) is None:
        raise NotRegistrable("a public suffix")
    return name


def split_root(name: str) -> tuple[str, str]:
    """(root, host) of a normalised name: the registrable domain, and the labels below it ("" at the root)."""
    root = _suffixes().privatesuffix(name)
    if root is None:
        raise NotRegistrable("a public suffix")
    return root, name[: -len(root)].rstrip(".")


def is_label(value: object) -> bool:
    """One DNS label (a subdomain part such as `feedback`)."""
    return isinstance(value, str) and bool(_LABEL.match(value))
