"""A fake LinkedIn on loopback: the OAuth token endpoint with an OpenID Connect `id_token` (the member's
`sub` and `email`), token revocation, and the Marketing API's ad accounts and conversion rules."""

import base64
import json
from dataclasses import dataclass, field

import pytest
from werkzeug.wrappers import Request, Response

from tests.fakes.provider import FakeProvider, json_response

CLIENT_ID = "linkedin-client-id"
CLIENT_SECRET = "linkedin-client-secret"
MEMBER = {"sub": "li-member-42", "email": "ads@acme.example"}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@dataclass
class FakeLinkedIn(FakeProvider):
    accounts: list[dict] = field(
        default_factory=lambda: [
            {"id": 5001, "name": "Acme Ads", "reference": "urn:li:organization:1", "status": "ACTIVE"},
            {"id": 5002, "name": "Acme EU", "reference": "urn:li:organization:2", "status": "ACTIVE"},
        ]
    )
    forbidden_accounts: set[str] = field(default_factory=lambda: {"6666"})
    rules: dict[str, list[dict]] = field(
        default_factory=lambda: {"5001": [{"id": 77, "name": "Signup", "enabled": True, "type": "SIGN_UP"}]}
    )

    def connect_code(self, member: dict | None = None) -> str:
        return self.issue_code(**(member or MEMBER))

    def token(self, request: Request) -> Response:
        answer = self.token_endpoint(CLIENT_ID, CLIENT_SECRET, request)
        if answer.status_code == 200 and request.form.get("grant_type") != "refresh_token":
            body = json.loads(answer.get_data())
            account = self.tokens[body["access_token"]]
            body["id_token"] = (
                f"{_b64({'alg': 'RS256'})}.{_b64(dict(account, iss='https://www.linkedin.com'))}.sig"
            )
            return json_response(body)
        return answer

    def _checked(self, request: Request) -> Response | None:
        if self.account_for(request) is None:
            return json_response({"status": 401, "code": "REVOKED_ACCESS_TOKEN", "message": "Revoked"}, 401)
        if not request.headers.get("LinkedIn-Version"):
            return json_response({"status": 426, "message": "A version header is required"}, 426)
        return None

    def ad_accounts(self, request: Request) -> Response:
        return self._checked(request) or json_response({"elements": self.accounts, "paging": {"count": 2}})

    def conversions(self, request: Request) -> Response:
        refused = self._checked(request)
        if refused:
            return refused
        account = request.args.get("account", "").rsplit(":", 1)[-1]
        if account in self.forbidden_accounts:
            return json_response({"status": 403, "message": "Not enough permissions to access account"}, 403)
        return json_response({"elements": self.rules.get(account, [])})

    def revoke(self, request: Request) -> Response:
        token = request.form.get("token", "")
        self.revoked.append(token)
        self.tokens.pop(token, None)
        return Response(status=200)


@pytest.fixture
def fake_linkedin(httpserver, settings):
    linkedin = FakeLinkedIn(prefix="/linkedin", expires_in=5184000)
    linkedin.route(httpserver, "token", "/oauth/v2/accessToken", "POST", linkedin.token)
    linkedin.route(httpserver, "revoke", "/oauth/v2/revoke", "POST", linkedin.revoke)
    linkedin.route(httpserver, "adAccounts", "/rest/adAccounts", "GET", linkedin.ad_accounts)
    linkedin.route(httpserver, "conversions", "/rest/conversions", "GET", linkedin.conversions)
    settings.LINKEDIN_API_URL = linkedin.base_url(httpserver)
    settings.LINKEDIN_CLIENT_ID = CLIENT_ID
    settings.LINKEDIN_CLIENT_SECRET = CLIENT_SECRET
    yield linkedin
    linkedin.wait_idle()
