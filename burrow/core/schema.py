"""OpenAPI: the personal-API-key security scheme with each operation's required scopes, and PostHog's
operation ids and summaries ("List all subscriptions", "Create environments subscriptions", …)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from burrow.core.permissions import required_scopes

SECURITY_SCHEME = "PersonalAPIKeyAuth"


class PersonalAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "burrow.core.auth.PersonalAPIKeyAuthentication"
    name = SECURITY_SCHEME

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


class _FakeRequest:
    def __init__(self, method: str) -> None:
        self.method = method


# The area an operation is listed under in the API docs, by the app its view belongs to (the tags and their
# descriptions are SPECTACULAR_SETTINGS["TAGS"]).
AREA_TAGS = {
    "subscriptions": "Subscriptions",
    "sharing": "Sharing",
    "analytics": "Dashboards and insights",
    "queries": "Queries",
    "recordings": "Session recordings",
    "domains": "Domains",
    "integrations": "Integrations",
    "core": "Organizations and projects",
}


class BurrowAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        app = type(self.view).__module__.split(".")[1]
        return [AREA_TAGS[app]]

    def get_auth(self):
        super().get_auth()  # registers the security scheme component
        scopes = required_scopes(_FakeRequest(self.method), self.view) or []
        return [{SECURITY_SCHEME: scopes}]

    def get_operation_id(self) -> str:
        # Routes live under /api/ beside non-API pages (unsubscribe), so drf-spectacular keeps "api_".
        operation_id = super().get_operation_id().removeprefix("api_")
        for prefix in ("projects_", "organizations_"):
            if operation_id.startswith(prefix):
                return operation_id[len(prefix) :]
        return operation_id


_VERBS = [
    ("_partial_update", "Update"),
    ("_update", "Update"),
    ("_list", "List all"),
    ("_create", "Create"),
    ("_retrieve", "Retrieve"),
    ("_destroy", "Delete"),
]


def summary_for(operation_id: str) -> str:
    for suffix, verb in _VERBS:
        if operation_id.endswith(suffix):
            subject = operation_id[: -len(suffix)].replace("_", " ")
            return f"{verb} {subject}"
    return operation_id.replace("_", " ").capitalize()


def postprocess_operation_summaries(result, generator, request, public):
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                operation.setdefault("summary", summary_for(operation["operationId"]))
    return result
