"""Twilio: connected with an account SID and auth token (checked against the account endpoint), and the
`twilio_phone_numbers` look-up, cached for an hour. Calls go to api.twilio.com, or BURROW_TWILIO_API_URL."""

from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from burrow.integrations.providers.base import (
    Connection,
    Lookup,
    LookupRequest,
    Provider,
    check_lookup_status,
    query_bool,
)
from burrow.integrations.providers.http import call, rebase

API = "https://api.twilio.com"
CACHE_SECONDS = 3600
MAX_PAGES = 20
CREDENTIALS_REQUIRED = "Account SID and auth token must be provided"


class TwilioProvider(Provider):
    kind = "twilio"
    label = "Twilio"
    uses_state = False

    def __init__(self) -> None:
        number = inline_serializer(
            "TwilioPhoneNumber",
            {
                "sid": serializers.CharField(),
                "phone_number": serializers.CharField(),
                "friendly_name": serializers.CharField(),
            },
        )
        self.lookups = (
            Lookup(
                name="twilio_phone_numbers",
                run=self.phone_numbers,
                description="The account's incoming phone numbers, cached for an hour.",
                parameters=(
                    OpenApiParameter(
                        "force_refresh", OpenApiTypes.BOOL, description="Skip the one-hour cache."
                    ),
                ),
                response={
                    "phone_numbers": serializers.ListField(child=number),
                    "lastRefreshedAt": serializers.DateTimeField(),
                },
            ),
        )

    def url(self, path: str) -> str:
        return rebase(f"{API}{path}", settings.TWILIO_API_URL)

    def connect(self, config: dict, *, redirect_uri: str, installation_id: str = "") -> Connection:
        sid, token = config.get("account_sid"), config.get("auth_token")
        if not all(isinstance(v, str) and v.strip() and len(v) <= 200 for v in (sid, token)):
            raise ValidationError(CREDENTIALS_REQUIRED)
        sid, token = sid.strip(), token.strip()
        if not sid.isascii() or not sid.isalnum():
            raise ValidationError({"account_sid": "An account SID is letters and digits (AC…)."})
        response = call(self.label, "GET", self.url(f"/2010-04-01/Accounts/{sid}.json"), auth=(sid, token))
        account = response.json() if response.status_code == 200 else None
        if not isinstance(account, dict) or not isinstance(account.get("sid"), str):
            raise ValidationError({"account_info": "Failed to get account info"})
        return Connection(account["sid"], {"account_sid": sid}, {"auth_token": token})

    def phone_numbers(self, integration, request: LookupRequest) -> dict:
        key = f"twilio/{integration.pk}/phone_numbers"
        if not query_bool(request.query, "force_refresh"):
            cached = cache.get(key)
            if cached is not None:
                return cached
        sid = (integration.config or {}).get("account_sid", "")
        auth = (sid, integration.sensitive_config.get("auth_token", ""))
        numbers, path = [], f"/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json?PageSize=1000"
        for _ in range(MAX_PAGES):
            response = call(self.label, "GET", self.url(path), auth=auth)
            check_lookup_status(response, self.label)
            page = response.json_object()
            numbers += [
                {
                    "sid": n.get("sid"),
                    "phone_number": n.get("phone_number"),
                    "friendly_name": n.get("friendly_name"),
                }
                for n in page.get("incoming_phone_numbers") or []
                if isinstance(n, dict)
            ]
            path = page.get("next_page_uri")
            if not isinstance(path, str) or not path.startswith("/2010-04-01/"):
                break
        result = {
            "phone_numbers": numbers,
            "lastRefreshedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        cache.set(key, result, CACHE_SECONDS)
        return result


provider = TwilioProvider()
