"""Linear: OAuth as an application actor, the workspace looked up over GraphQL, and the `linear_teams` look-up.
Server-to-server calls go to api.linear.app, or BURROW_LINEAR_API_URL."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from burrow.integrations.providers.base import (
    Lookup,
    LookupRequest,
    OAuthProvider,
    check_lookup_status,
    dot_get,
)
from burrow.integrations.providers.errors import ProviderForbidden, ProviderUnauthorized, ProviderUnavailable
from burrow.integrations.providers.http import call

GRAPHQL = "https://api.linear.app/graphql"
VIEWER_QUERY = "{ viewer { organization { id name urlKey } } }"
TEAMS_QUERY = "{ teams { nodes { id name } } }"
# The token-info fields kept in config, under their dotted names as in PostHog.
VIEWER_FIELDS = (
    "data.viewer.organization.id",
    "data.viewer.organization.name",
    "data.viewer.organization.urlKey",
)


class LinearProvider(OAuthProvider):
    kind = "linear"
    label = "Linear"
    name_path = "data.viewer.organization.name"
    id_path = "data.viewer.organization.id"
    authorize_endpoint = "https://linear.app/oauth/authorize"
    token_endpoint = "https://api.linear.app/oauth/token"
    scope = "read issues:create"
    extra_authorize_params = {"actor": "application"}
    client_id_setting = "LINEAR_CLIENT_ID"
    client_secret_setting = "LINEAR_CLIENT_SECRET"
    api_url_setting = "LINEAR_API_URL"

    def __init__(self) -> None:
        team = inline_serializer(
            "LinearTeam", {"id": serializers.CharField(), "name": serializers.CharField()}
        )
        self.lookups = (
            Lookup(
                name="linear_teams",
                run=self.list_teams,
                description="The teams of the connected Linear workspace.",
                response={"teams": serializers.ListField(child=team)},
            ),
        )

    def graphql(self, token: str, query: str) -> dict:
        response = call(
            self.label,
            "POST",
            self.url(GRAPHQL),
            json={"query": query, "variables": {}},
            headers={"Authorization": f"Bearer {token}"},
        )
        # Linear reports GraphQL errors (a revoked token among them) with a 400 and an error code.
        body = response.json() if response.status_code in (200, 400) else None
        errors = body.get("errors") if isinstance(body, dict) else None
        codes = {dot_get(e, "extensions.code") for e in errors or [] if isinstance(e, dict)}
        if "AUTHENTICATION_ERROR" in codes:
            raise ProviderUnauthorized(self.label, "AUTHENTICATION_ERROR")
        if "FORBIDDEN" in codes:
            raise ProviderForbidden(self.label, "FORBIDDEN")
        check_lookup_status(response, self.label)
        body = response.json_object()
        if body.get("errors") or not isinstance(body.get("data"), dict):
            raise ProviderUnavailable(self.label, "answered with a GraphQL error")
        return body

    def token_info(self, access_token: str, tokens: dict) -> dict:
        body = self.graphql(access_token, VIEWER_QUERY)
        return {path: dot_get(body, path) for path in VIEWER_FIELDS}

    def list_teams(self, integration, request: LookupRequest) -> dict:
        body = self.graphql(integration.sensitive_config.get("access_token", ""), TEAMS_QUERY)
        nodes = dot_get(body, "data.teams.nodes") or []
        return {"teams": [{"id": n.get("id"), "name": n.get("name")} for n in nodes if isinstance(n, dict)]}

    def revoke(self, integration, *, last_for_account: bool) -> None:
        # Each authorization has its own token: revoking it leaves other projects' connections alone.
        token = integration.sensitive_config.get("access_token")
        if token:
            call(
                self.label,
                "POST",
                self.url("https://api.linear.app/oauth/revoke"),
                headers={"Authorization": f"Bearer {token}"},
            )


provider = LinearProvider()
