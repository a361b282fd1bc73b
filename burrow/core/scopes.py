"""API scopes: `<object>:<read|write>` or `*`, as PostHog's personal API keys carry them."""

from rest_framework.exceptions import ValidationError

SCOPE_OBJECTS = (
    "action",
    "activity_log",
    "annotation",
    "cohort",
    "dashboard",
    "export",
    "external_data_source",
    "feature_flag",
    "insight",
    "integration",
    "organization",
    "organization_integration",
    "organization_member",
    "person",
    "project",
    "query",
    "session_recording",
    "sharing_configuration",
    "subscription",
    "user",
    "webhook",
)
SCOPE_ACTIONS = ("read", "write")
ALL_SCOPES = [f"{obj}:{action}" for obj in SCOPE_OBJECTS for action in SCOPE_ACTIONS]


class InvalidScopes(ValueError):
    pass


def validate_scopes(scopes: list[str]) -> list[str]:
    """Burrow keys always carry at least one scope (PostHog's legacy keys had none)."""
    if not scopes:
        raise InvalidScopes("A personal API key needs at least one scope ('*' grants every scope).")
    for scope in scopes:
        if scope == "*":
            continue
        obj, _, action = scope.partition(":")
        if obj not in SCOPE_OBJECTS or action not in SCOPE_ACTIONS:
            raise InvalidScopes(f"Invalid scope: {scope}")
    return list(dict.fromkeys(scopes))


def scope_error(exc: InvalidScopes) -> ValidationError:
    return ValidationError({"scopes": [str(exc)]})


def key_grants(key_scopes: list[str], required: str) -> bool:
    """`obj:read` is satisfied by read or write; `obj:write` only by write; `*` by anything."""
    if "*" in key_scopes:
        return True
    obj, _, action = required.partition(":")
    if action == "read":
        return f"{obj}:read" in key_scopes or f"{obj}:write" in key_scopes
    return required in key_scopes
