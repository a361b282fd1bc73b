"""A fake Twilio REST API on loopback: the account endpoint and incoming phone numbers (paged), behind HTTP
Basic authentication with the account SID and auth token."""

import re
from dataclasses import dataclass, field

import pytest
from werkzeug.wrappers import Request, Response

from tests.fakes.provider import FakeProvider, json_response

ACCOUNT_SID = "AC00000000000000000000000000000001"
AUTH_TOKEN = "twilio-auth-token-secret"


@dataclass
class FakeTwilio(FakeProvider):
    accounts: dict[str, str] = field(default_factory=lambda: {ACCOUNT_SID: AUTH_TOKEN})
    numbers: list[dict] = field(
        default_factory=lambda: [
            {"sid": "PN001", "phone_number": "+15550000001", "friendly_name": "Support line"},
            {"sid": "PN002", "phone_number": "+15550000002", "friendly_name": "Alerts"},
        ]
    )
    page_size: int = 1  # small pages, so paging is exercised

    def _sid(self, request: Request) -> str | None:
        auth = request.authorization
        if auth and self.accounts.get(auth.username) == auth.password:
            return auth.username
        return None

    def account(self, request: Request) -> Response:
        sid = self._sid(request)
        wanted = request.path.rsplit("/", 1)[-1].removesuffix(".json")
        if sid is None or sid != wanted:
            return json_response({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        return json_response({"sid": sid, "friendly_name": "Acme", "status": "active"})

    def incoming_numbers(self, request: Request) -> Response:
        sid = self._sid(request)
        if sid is None:
            return json_response({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        page = int(request.args.get("Page", 0))
        start = page * self.page_size
        chunk = self.numbers[start : start + self.page_size]
        more = start + self.page_size < len(self.numbers)
        next_uri = (
            f"/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json?PageSize={self.page_size}&Page={page + 1}"
            if more
            else None
        )
        return json_response({"incoming_phone_numbers": chunk, "next_page_uri": next_uri, "page": page})


@pytest.fixture
def fake_twilio(httpserver, settings):
    twilio = FakeTwilio(prefix="/twilio")
    twilio.route(
        httpserver,
        "numbers",
        re.compile(r"/2010-04-01/Accounts/[A-Za-z0-9]+/IncomingPhoneNumbers\.json"),
        "GET",
        twilio.incoming_numbers,
    )
    twilio.route(
        httpserver, "account", re.compile(r"/2010-04-01/Accounts/[A-Za-z0-9]+\.json"), "GET", twilio.account
    )
    settings.TWILIO_API_URL = twilio.base_url(httpserver)
    yield twilio
    twilio.wait_idle()
