"""A fake GitHub on loopback: the user OAuth code exchange (github.com) and the REST API a GitHub App uses
(api.github.com) — installations, installation tokens minted with the App's JWT (the signature is checked
against the throwaway key pair the fixture generates), and the repositories an installation can reach."""

import base64
import json
import re
import secrets
import time
from dataclasses import dataclass, field

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.wrappers import Request, Response

from tests.fakes.provider import FakeProvider, json_response

CLIENT_ID = "Iv1.github-client-id"
CLIENT_SECRET = "github-client-secret"
APP_ID = "424242"
APP_SLUG = "burrow-test-app"
INSTALLATION_ID = "9001"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # one per test run


def private_key_pem() -> str:
    return _KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeGitHub(FakeProvider):
    installations: dict[str, dict] = field(
        default_factory=lambda: {
            INSTALLATION_ID: {
                "account": {"login": "acme-org", "type": "Organization"},
                "repository_selection": "selected",
                "users": {"octocat"},
                "repositories": [
                    {"id": 1, "name": "api", "full_name": "acme-org/api"},
                    {"id": 2, "name": "web", "full_name": "acme-org/web"},
                ],
            }
        }
    )
    user_tokens: dict[str, str] = field(default_factory=dict)  # token → login
    installation_tokens: dict[str, str] = field(default_factory=dict)  # token → installation id
    uninstalled: list[str] = field(default_factory=list)
    jwts_seen: int = 0

    def connect_code(self, login: str = "octocat") -> str:
        return self.issue_code(login=login)

    def exchange(self, request: Request) -> Response:
        form = request.form
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return json_response({"error": "incorrect_client_credentials"})
        account = self.codes.pop(form.get("code", ""), None)
        if account is None:
            return json_response({"error": "bad_verification_code"})
        token = f"ghu_{secrets.token_hex(10)}"
        self.user_tokens[token] = account["login"]
        return json_response({"access_token": token, "token_type": "bearer", "scope": ""})

    def _bearer(self, request: Request) -> str:
        return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()

    def _app_authorised(self, request: Request) -> bool:
        try:
            header, claims, signature = self._bearer(request).split(".")
            _KEY.public_key().verify(
                _unb64(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            payload = json.loads(_unb64(claims))
        except (ValueError, InvalidSignature):
            return False
        if json.loads(_unb64(header)).get("alg") != "RS256":
            return False
        self.jwts_seen += 1
        return payload.get("iss") == APP_ID and payload.get("exp", 0) > time.time() >= payload.get("iat", 0)

    def user(self, request: Request) -> Response:
        login = self.user_tokens.get(self._bearer(request))
        return (
            json_response({"login": login}) if login else json_response({"message": "Bad credentials"}, 401)
        )

    def user_installation_repositories(self, request: Request) -> Response:
        login = self.user_tokens.get(self._bearer(request))
        installation = self.installations.get(request.path.split("/")[-2])
        if login is None:
            return json_response({"message": "Bad credentials"}, 401)
        if installation is None or login not in installation["users"]:
            return json_response({"message": "Not Found"}, 404)
        return json_response({"total_count": len(installation["repositories"]), "repositories": []})

    def installation(self, request: Request) -> Response:
        if not self._app_authorised(request):
            return json_response({"message": "A JSON web token could not be decoded"}, 401)
        installation_id = request.path.rsplit("/", 1)[-1]
        installation = self.installations.get(installation_id)
        if installation is None:
            return json_response({"message": "Not Found"}, 404)
        if request.method == "DELETE":
            self.uninstalled.append(installation_id)
            del self.installations[installation_id]
            return Response(status=204)
        return json_response(
            {
                "id": int(installation_id),
                "account": installation["account"],
                "repository_selection": installation["repository_selection"],
            }
        )

    def access_tokens(self, request: Request) -> Response:
        if not self._app_authorised(request):
            return json_response({"message": "A JSON web token could not be decoded"}, 401)
        installation_id = request.path.split("/")[-2]
        if installation_id not in self.installations:
            return json_response({"message": "Not Found"}, 404)
        token = f"ghs_{secrets.token_hex(10)}"
        self.installation_tokens[token] = installation_id
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        return json_response(
            {"token": token, "expires_at": expires, "permissions": {"contents": "read"}}, 201
        )

    def installation_repositories(self, request: Request) -> Response:
        installation_id = self.installation_tokens.get(self._bearer(request))
        if installation_id is None or installation_id not in self.installations:
            return json_response({"message": "Bad credentials"}, 401)
        repositories = self.installations[installation_id]["repositories"]
        page, per_page = int(request.args.get("page", 1)), int(request.args.get("per_page", 30))
        chunk = repositories[(page - 1) * per_page : page * per_page]
        return json_response({"total_count": len(repositories), "repositories": chunk})


@pytest.fixture
def fake_github(httpserver, settings):
    github = FakeGitHub(prefix="/github")
    github.route(httpserver, "access_token", "/login/oauth/access_token", "POST", github.exchange)
    github.route(httpserver, "user", "/user", "GET", github.user)
    github.route(
        httpserver,
        "user_installation_repositories",
        re.compile(r"/user/installations/\d+/repositories"),
        "GET",
        github.user_installation_repositories,
    )
    github.route(
        httpserver,
        "access_tokens",
        re.compile(r"/app/installations/\d+/access_tokens"),
        "POST",
        github.access_tokens,
    )
    for method in ("GET", "DELETE"):
        github.route(
            httpserver, "installation", re.compile(r"/app/installations/\d+"), method, github.installation
        )
    github.route(
        httpserver,
        "installation_repositories",
        "/installation/repositories",
        "GET",
        github.installation_repositories,
    )
    settings.GITHUB_API_URL = github.base_url(httpserver)
    settings.GITHUB_CLIENT_ID = CLIENT_ID
    settings.GITHUB_CLIENT_SECRET = CLIENT_SECRET
    settings.GITHUB_APP_ID = APP_ID
    settings.GITHUB_APP_SLUG = APP_SLUG
    settings.GITHUB_APP_PRIVATE_KEY = private_key_pem()
    yield github
    github.wait_idle()
