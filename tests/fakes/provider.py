"""What the fake providers (Slack workspace, Linear, LinkedIn, Twilio, GitHub) share: real HTTP servers on
loopback (pytest-httpserver), OAuth codes and tokens they issue and check, a record of every call, and
failures a test switches on per endpoint:

    fake_linear.fail["graphql"] = 503        # any status; or "slow", "huge", "garbage"

`fake_providers` starts all of them and points Burrow's settings at them."""

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

SLOW_SECONDS = 1.5  # longer than the timeout tests set (tests/integrations/conftest.py)
HUGE_BYTES = 3 * 1024 * 1024  # over Burrow's 2 MB cap on provider answers


@dataclass
class Call:
    name: str
    method: str
    path: str
    args: dict
    form: dict
    json: Any
    headers: dict


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class FakeProvider:
    """Codes map to the account they connect; access and refresh tokens are checked on every call."""

    prefix: str
    calls: list[Call] = field(default_factory=list)
    fail: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)  # access token → account
    refresh_tokens: dict[str, dict] = field(default_factory=dict)
    revoked: list[str] = field(default_factory=list)
    expires_in: int | None = None  # issue refresh tokens and expiring access tokens when set
    busy_until: float = 0.0

    def wait_idle(self) -> None:
        """The server answers one request at a time: let a "slow" answer finish before the next test."""
        time.sleep(max(0.0, self.busy_until - time.time()))

    def base_url(self, httpserver) -> str:
        return httpserver.url_for(self.prefix).rstrip("/")

    def route(self, httpserver, name: str, path, method: str, handler) -> None:
        """Serves `handler` at `prefix + path` (a string, or a compiled pattern matching the full path),
        recording each call and applying the failure a test set for `name`."""
        import re

        uri = (
            re.compile(re.escape(self.prefix) + path.pattern)
            if isinstance(path, re.Pattern)
            else self.prefix + path
        )

        def run(request: Request) -> Response:
            self.calls.append(
                Call(
                    name,
                    request.method,
                    request.path,
                    dict(request.args),
                    dict(request.form),
                    request.get_json(silent=True),
                    dict(request.headers),
                )
            )
            mode = self.fail.get(name)
            if isinstance(mode, int):
                return json_response({"error": "fake_failure", "message": f"failing with {mode}"}, mode)
            if mode == "slow":
                self.busy_until = time.time() + SLOW_SECONDS
                time.sleep(SLOW_SECONDS)
            elif mode == "huge":
                return Response(b"[" + b"0," * (HUGE_BYTES // 2) + b"0]", content_type="application/json")
            elif mode == "garbage":
                return Response("<html>maintenance</html>", content_type="text/html")
            return handler(request)

        httpserver.expect_request(uri, method=method).respond_with_handler(run)

    def calls_to(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.name == name]

    def issue_code(self, **account) -> str:
        code = f"code-{secrets.token_hex(8)}"
        self.codes[code] = account
        return code

    def grant(self, account: dict) -> dict:
        """A token response for `account` (with a refresh token when `expires_in` is set)."""
        token = f"{self.prefix.strip('/')}-access-{secrets.token_hex(12)}"
        self.tokens[token] = account
        answer = {"access_token": token, "token_type": "bearer"}
        if self.expires_in:
            refresh = f"{self.prefix.strip('/')}-refresh-{secrets.token_hex(12)}"
            self.refresh_tokens[refresh] = account
            answer.update(refresh_token=refresh, expires_in=self.expires_in)
        return answer

    def token_endpoint(self, client_id: str, client_secret: str, request: Request) -> Response:
        """RFC 6749 token endpoint: authorization codes (single use) and rotating refresh tokens."""
        form = request.form
        if form.get("client_id") != client_id or form.get("client_secret") != client_secret:
            return json_response({"error": "invalid_client", "error_description": "Bad client"}, 401)
        if form.get("grant_type") == "refresh_token":
            account = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
        else:
            account = self.codes.pop(form.get("code", ""), None)
        if account is None:
            return json_response({"error": "invalid_grant", "error_description": "The code has expired"}, 400)
        return json_response(self.grant(account))

    def account_for(self, request: Request) -> dict | None:
        header = request.headers.get("Authorization", "")
        return (
            self.tokens.get(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
        )

    def revoke_all(self) -> None:
        """The provider forgets every token (the person removed the app on its side)."""
        self.tokens.clear()
        self.refresh_tokens.clear()


@dataclass
class FakeProviders:
    slack: Any
    linear: Any
    linkedin: Any
    twilio: Any
    github: Any

    def connected(self, tenant, kind: str, team=None, **fields):
        """An integration of `kind` on `tenant`'s project (or `team`) holding credentials the fake takes,
        as if it had just been connected."""
        from burrow.integrations.models import Integration
        from tests.fakes import github, linear, linkedin, slack_workspace, twilio

        now = int(time.time())
        if kind == "slack":
            account = {"team": slack_workspace.WORKSPACE, "user": "U0AUTHED"}
            config = {"team": slack_workspace.WORKSPACE, "authed_user": {"id": "U0AUTHED"}}
            row = ("T0FAKE", config, {"access_token": self.slack.grant(account)["access_token"]})
        elif kind == "linear":
            granted = self.linear.grant({"organization": linear.ORGANIZATION})
            config = {
                "data.viewer.organization.id": linear.ORGANIZATION["id"],
                "data.viewer.organization.name": linear.ORGANIZATION["name"],
                "expires_in": granted["expires_in"],
                "refreshed_at": now,
            }
            secrets_ = {"access_token": granted["access_token"], "refresh_token": granted["refresh_token"]}
            row = (linear.ORGANIZATION["id"], config, secrets_)
        elif kind == "linkedin-ads":
            granted = self.linkedin.grant(dict(linkedin.MEMBER))
            config = {**linkedin.MEMBER, "expires_in": granted["expires_in"], "refreshed_at": now}
            secrets_ = {"access_token": granted["access_token"], "refresh_token": granted["refresh_token"]}
            row = (linkedin.MEMBER["sub"], config, secrets_)
        elif kind == "twilio":
            config = {"account_sid": twilio.ACCOUNT_SID}
            row = (twilio.ACCOUNT_SID, config, {"auth_token": twilio.AUTH_TOKEN})
        elif kind == "github":
            token = f"ghs_{secrets.token_hex(10)}"
            self.github.installation_tokens[token] = github.INSTALLATION_ID
            config = {
                "installation_id": github.INSTALLATION_ID,
                "account": {"type": "Organization", "name": "acme-org"},
                "expires_in": 3600,
                "refreshed_at": now,
            }
            row = (github.INSTALLATION_ID, config, {"access_token": token})
        else:
            raise ValueError(kind)
        integration_id, config, sensitive = row
        values = {
            "integration_id": integration_id,
            "config": config,
            "sensitive_config": sensitive,
            "created_by": tenant.user,
            **fields,
        }
        return Integration.objects.create(team=team or tenant.team, kind=kind, **values)


@pytest.fixture
def fake_providers(
    fake_slack_workspace, fake_linear, fake_linkedin, fake_twilio, fake_github
) -> FakeProviders:
    return FakeProviders(fake_slack_workspace, fake_linear, fake_linkedin, fake_twilio, fake_github)
