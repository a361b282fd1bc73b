"""LinkedIn Ads: OAuth with OpenID Connect (the member is read from the `id_token`), and the ad accounts and
conversion rules look-ups of the Marketing API. Server-to-server calls go to www.linkedin.com (tokens) and
api.linkedin.com (REST), or both to BURROW_LINKEDIN_API_URL."""

from urllib.parse import quote

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from burrow.integrations.providers.base import (
    Lookup,
    LookupRequest,
    OAuthProvider,
    check_lookup_status,
    jwt_claims,
)
from burrow.integrations.providers.http import call

API_VERSION = "202607"
CONVERSION_FIELDS = "conversionMethod,enabled,type,name,id,campaigns,attributionType"


class LinkedInAdsProvider(OAuthProvider):
    kind = "linkedin-ads"
    label = "LinkedIn Ads"
    name_path = "email"
    id_path = "sub"
    authorize_endpoint = "https://www.linkedin.com/oauth/v2/authorization"
    token_endpoint = "https://www.linkedin.com/oauth/v2/accessToken"
    scope = "r_ads rw_conversions r_ads_reporting openid profile email"
    client_id_setting = "LINKEDIN_CLIENT_ID"
    client_secret_setting = "LINKEDIN_CLIENT_SECRET"
    api_url_setting = "LINKEDIN_API_URL"

    def __init__(self) -> None:
        account = inline_serializer(
            "LinkedInAdAccount",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "reference": serializers.CharField(),
            },
        )
        rule = inline_serializer(
            "LinkedInConversionRule", {"id": serializers.IntegerField(), "name": serializers.CharField()}
        )
        self.lookups = (
            Lookup(
                name="linkedin_ads_accounts",
                run=self.ad_accounts,
                description="The ad accounts the connected LinkedIn member can see.",
                response={"adAccounts": serializers.ListField(child=account)},
            ),
            Lookup(
                name="linkedin_ads_conversion_rules",
                run=self.conversion_rules,
                description="The conversion rules of one ad account.",
                parameters=(
                    OpenApiParameter(
                        "accountId", OpenApiTypes.INT, required=True, description="Ad account id."
                    ),
                ),
                response={"conversionRules": serializers.ListField(child=rule)},
            ),
        )

    def token_info(self, access_token: str, tokens: dict) -> dict:
        claims = jwt_claims(str(tokens.get("id_token") or ""))
        return {key: claims[key] for key in ("sub", "email") if isinstance(claims.get(key), str)}

    def rest(self, integration, path_and_query: str) -> dict:
        response = call(
            self.label,
            "GET",
            self.url(f"https://api.linkedin.com/rest/{path_and_query}"),
            headers={
                "Authorization": f"Bearer {integration.sensitive_config.get('access_token', '')}",
                "Content-Type": "application/json",
                "LinkedIn-Version": API_VERSION,
                "X-Restli-Protocol-Version": "2.0.0",
            },
        )
        check_lookup_status(response, self.label)
        return response.json_object()

    def ad_accounts(self, integration, request: LookupRequest) -> dict:
        elements = self.rest(integration, "adAccounts?q=search").get("elements") or []
        return {
            "adAccounts": [
                {"id": e.get("id"), "name": e.get("name"), "reference": e.get("reference")}
                for e in elements
                if isinstance(e, dict)
            ]
        }

    def conversion_rules(self, integration, request: LookupRequest) -> dict:
        account_id = str(request.query.get("accountId", "")).strip()
        if not account_id:
            raise ValidationError({"accountId": "accountId is required."})
        if not account_id.isascii() or not account_id.isdigit() or len(account_id) > 20:
            raise ValidationError({"accountId": "accountId must be a LinkedIn ad account id (digits only)."})
        account = quote(f"urn:li:sponsoredAccount:{account_id}", safe="")
        fields = quote(CONVERSION_FIELDS, safe="")
        elements = self.rest(integration, f"conversions?q=account&account={account}&fields={fields}").get(
            "elements"
        )
        return {
            "conversionRules": [
                {"id": e.get("id"), "name": e.get("name")} for e in elements or [] if isinstance(e, dict)
            ]
        }

    def revoke(self, integration, *, last_for_account: bool) -> None:
        token = integration.sensitive_config.get("access_token")
        if token and last_for_account:
            call(
                self.label,
                "POST",
                self.url("https://www.linkedin.com/oauth/v2/revoke"),
                data={"client_id": self.client_id, "client_secret": self.client_secret, "token": token},
            )


provider = LinkedInAdsProvider()
