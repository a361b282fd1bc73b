"""A fake Slack workspace on loopback: the OAuth v2 token endpoint, the channel listings and `auth.revoke` of
the Web API, answering like Slack (`ok: false` with an error, HTTP 200). Shares `/api` with tests/fakes/slack.py
(`chat.postMessage`), so a test can connect Slack and deliver through it."""

from dataclasses import dataclass, field

import pytest
from werkzeug.wrappers import Request, Response

from tests.fakes.provider import FakeProvider, json_response

CLIENT_ID = "slack-client-id"
CLIENT_SECRET = "slack-client-secret"
WORKSPACE = {"id": "T0FAKE", "name": "Acme Workspace"}


@dataclass
class FakeSlackWorkspace(FakeProvider):
    public: list[dict] = field(default_factory=list)
    private: list[dict] = field(default_factory=list)

    def connect_code(self, team: dict | None = None, user: str = "U0AUTHED") -> str:
        return self.issue_code(team=team or WORKSPACE, user=user)

    def oauth_access(self, request: Request) -> Response:
        form = request.form
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return json_response({"ok": False, "error": "invalid_client_id"})
        if form.get("grant_type") == "refresh_token":
            account = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
        else:
            account = self.codes.pop(form.get("code", ""), None)
        if account is None:
            return json_response({"ok": False, "error": "invalid_code"})
        granted = self.grant(account)
        return json_response(
            {
                "ok": True,
                **granted,
                "scope": "channels:read,groups:read,chat:write,chat:write.customize",
                "bot_user_id": "U0BOT",
                "app_id": "A0FAKE",
                "team": account["team"],
                "enterprise": None,
                "authed_user": {"id": account["user"], "scope": "", "access_token": "xoxp-user-secret"},
            }
        )

    def _authorised(self, request: Request) -> dict | None:
        return self.account_for(request)

    def listing(self, which: str):
        def handle(request: Request) -> Response:
            channels = getattr(self, which)
            if self._authorised(request) is None:
                return json_response({"ok": False, "error": "invalid_auth"})
            limit = int(request.args.get("limit", 100))
            start = int(request.args.get("cursor") or 0)
            page = channels[start : start + limit]
            next_cursor = str(start + limit) if start + limit < len(channels) else ""
            return json_response(
                {"ok": True, "channels": page, "response_metadata": {"next_cursor": next_cursor}}
            )

        return handle

    def info(self, request: Request) -> Response:
        if self._authorised(request) is None:
            return json_response({"ok": False, "error": "invalid_auth"})
        for channel in self.public + self.private:
            if channel["id"] == request.args.get("channel"):
                return json_response({"ok": True, "channel": channel})
        return json_response({"ok": False, "error": "channel_not_found"})

    def auth_revoke(self, request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.revoked.append(token)
        self.tokens.pop(token, None)
        return json_response({"ok": True, "revoked": True})


def channel(id: str, name: str, private: bool = False) -> dict:
    return {"id": id, "name": name, "is_private": private, "is_member": True, "is_ext_shared": False}


@pytest.fixture
def fake_slack_workspace(httpserver, settings):
    slack = FakeSlackWorkspace(prefix="/api")
    slack.public = [channel("C001", "general"), channel("C002", "random"), channel("C003", "marketing")]
    slack.private = [channel("G001", "secret-plans", private=True)]
    slack.route(httpserver, "oauth.v2.access", "/oauth.v2.access", "POST", slack.oauth_access)
    slack.route(httpserver, "conversations.list", "/conversations.list", "GET", slack.listing("public"))
    slack.route(httpserver, "users.conversations", "/users.conversations", "GET", slack.listing("private"))
    slack.route(httpserver, "conversations.info", "/conversations.info", "GET", slack.info)
    slack.route(httpserver, "auth.revoke", "/auth.revoke", "POST", slack.auth_revoke)
    settings.SLACK_API_URL = slack.base_url(httpserver)
    settings.SLACK_CLIENT_ID = CLIENT_ID
    settings.SLACK_CLIENT_SECRET = CLIENT_SECRET
    yield slack
    slack.wait_idle()
