"""A fake Linear on loopback: the OAuth token and revoke endpoints and the GraphQL API (the viewer's
organization and the workspace's teams), checking bearer tokens as Linear does."""

from dataclasses import dataclass, field

import pytest
from werkzeug.wrappers import Request, Response

from tests.fakes.provider import FakeProvider, json_response

CLIENT_ID = "linear-client-id"
CLIENT_SECRET = "linear-client-secret"
ORGANIZATION = {"id": "lin-org-1", "name": "Acme Linear", "urlKey": "acme"}


@dataclass
class FakeLinear(FakeProvider):
    teams: list[dict] = field(
        default_factory=lambda: [{"id": "team-eng", "name": "Engineering"}, {"id": "team-ops", "name": "Ops"}]
    )

    def connect_code(self, organization: dict | None = None) -> str:
        return self.issue_code(organization=organization or ORGANIZATION)

    def graphql(self, request: Request) -> Response:
        account = self.account_for(request)
        if account is None:
            return json_response(
                {
                    "errors": [
                        {"message": "Authentication required", "extensions": {"code": "AUTHENTICATION_ERROR"}}
                    ]
                },
                400,
            )
        query = (request.get_json(silent=True) or {}).get("query", "")
        if "viewer" in query:
            return json_response({"data": {"viewer": {"organization": account["organization"]}}})
        if "teams" in query:
            return json_response({"data": {"teams": {"nodes": self.teams}}})
        return json_response({"errors": [{"message": "Unknown query"}]}, 400)

    def revoke(self, request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.revoked.append(token)
        self.tokens.pop(token, None)
        return Response(status=200)


@pytest.fixture
def fake_linear(httpserver, settings):
    linear = FakeLinear(prefix="/linear", expires_in=86399)
    linear.route(
        httpserver,
        "token",
        "/oauth/token",
        "POST",
        lambda request: linear.token_endpoint(CLIENT_ID, CLIENT_SECRET, request),
    )
    linear.route(httpserver, "graphql", "/graphql", "POST", linear.graphql)
    linear.route(httpserver, "revoke", "/oauth/revoke", "POST", linear.revoke)
    settings.LINEAR_API_URL = linear.base_url(httpserver)
    settings.LINEAR_CLIENT_ID = CLIENT_ID
    settings.LINEAR_CLIENT_SECRET = CLIENT_SECRET
    yield linear
    linear.wait_idle()
