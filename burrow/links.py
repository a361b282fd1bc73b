"""Every absolute link Burrow builds to itself (mails, Slack messages, webhooks, CLI output) comes from here,
so `BURROW_SITE_URL` is applied in one place and page paths are written once."""

from urllib.parse import urlencode

from django.conf import settings


def site_url(path: str, query: dict[str, str] | None = None) -> str:
    """`path` (starting with "/") on the public base URL, with an optional query string."""
    return f"{settings.SITE_URL}{path}" + (f"?{urlencode(query)}" if query else "")


def dashboard_url(dashboard_id: int) -> str:
    return site_url(f"/dashboard/{dashboard_id}")


def insight_url(short_id: str) -> str:
    return site_url(f"/insights/{short_id}")


def subscription_url(subscription_id: int, *, dashboard_id: int | None, insight_short_id: str | None) -> str:
    """The page that manages one subscription, under the insight or dashboard it reports on."""
    if insight_short_id:
        return site_url(f"/insights/{insight_short_id}/subscriptions/{subscription_id}")
    if dashboard_id:
        return site_url(f"/dashboard/{dashboard_id}/subscriptions/{subscription_id}")
    return site_url("")


def unsubscribe_url(token: str) -> str:
    return site_url("/unsubscribe", {"token": token})


def exported_asset_url(token: str) -> str:
    return site_url(f"/api/exported-assets/{token}.png")


def project_api_url(project_id: int, path: str) -> str:
    return site_url(f"/api/projects/{project_id}/{path.lstrip('/')}")


def integration_callback_url(kind: str) -> str:
    """The OAuth redirect URI providers send people back to (register it with each provider's app)."""
    return site_url(f"/integrations/{kind}/callback")


def scim_base_url(domain_id) -> str:
    """Where an identity provider sends SCIM 2.0 requests for one organization domain."""
    return site_url(f"/scim/v2/{domain_id}")
