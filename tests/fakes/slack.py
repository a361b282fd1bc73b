"""A fake Slack Web API on loopback (pytest-httpserver): records chat.postMessage calls."""

import itertools
import json
from dataclasses import dataclass, field

import pytest
from werkzeug.wrappers import Request, Response


@dataclass
class FakeSlack:
    calls: list[dict] = field(default_factory=list)
    error: str | None = None  # answer ok=false with this error
    fail_calls: dict[int, str] = field(default_factory=dict)  # call number (1-based) → error, answered once
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    def handle(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        body["authorization"] = request.headers.get("Authorization")
        self.calls.append(body)
        error = self.fail_calls.pop(len(self.calls), None) or self.error
        if error:
            answer = {"ok": False, "error": error}
        else:
            answer = {"ok": True, "channel": body.get("channel"), "ts": f"1700000000.{next(self._ts):06d}"}
        return Response(json.dumps(answer), content_type="application/json")


@pytest.fixture(name="fake_slack")
def fake_slack_fixture(httpserver, settings):
    slack = FakeSlack()
    httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_handler(slack.handle)
    settings.SLACK_API_URL = httpserver.url_for("/api").rstrip("/")
    return slack
