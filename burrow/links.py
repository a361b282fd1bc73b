"""Every absolute link Burrow builds to itself (mails, Slack messages, webhooks, CLI output) comes from here,
so `BURROW_SITE_URL` is applied in one place and page paths are written once."""

from urllib.parse import urlencode

from django.conf import settings


def site_url(path: str, query: dict[str, str] | None = None) -> str:
    """`path` (starting with "/") on the public base URL, with an optional query string."""
    return f"{settings.SITE_URL}{path}" + (f"?{urlencode(query)}" if query else "")


# Page paths name their project as PostHog's app URLs do: `/project/:id/…`, where the id is the environment's
# (team's) id, which is the project's id for its default environment. The pages resolve it as the API resolves
# `/api/environments/:id/`.


def dashboard_path(project_id: int, dashboard_id: int) -> str:
    return f"/project/{project_id}/dashboard/{dashboard_id}"


def insight_path(project_id: int, short_id: str) -> str:
    return f"/project/{project_id}/insights/{short_id}"


def subscription_path(
    project_id: int, subscription_id: int, *, dashboard_id: int | None, insight_short_id: str | None
) -> str:
    """The page that manages one subscription, under the insight or dashboard it reports on."""
    if insight_short_id:
        return f"{insight_path(project_id, insight_short_id)}/subscriptions/{subscription_id}"
    if dashboard_id:
        return f"{dashboard_path(project_id, dashboard_id)}/subscriptions/{subscription_id}"
    return project_subscriptions_path(project_id)


def project_home_path(project_id: int) -> str:
    return f"/project/{project_id}"


def project_subscriptions_path(project_id: int) -> str:
    return f"/project/{project_id}/subscriptions"


def dashboard_url(project_id: int, dashboard_id: int) -> str:
    return site_url(dashboard_path(project_id, dashboard_id))


def insight_url(project_id: int, short_id: str) -> str:
    return site_url(insight_path(project_id, short_id))


def subscription_url(
    project_id: int, subscription_id: int, *, dashboard_id: int | None, insight_short_id: str | None
) -> str:
    return site_url(
        subscription_path(
            project_id, subscription_id, dashboard_id=dashboard_id, insight_short_id=insight_short_id
        )
    )


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


def saml_acs_url() -> str:
    """The Assertion Consumer Service: where identity providers post SAML responses, for every domain (the
    domain travels in RelayState)."""
    return site_url("/complete/saml/")


def saml_metadata_url(domain_id) -> str:
    """Burrow's SAML service-provider metadata for one organization domain; the same URL is the SP entity ID
    (the audience) that domain's identity provider must put in its assertions."""
    return site_url("/login/saml/metadata/", {"domain": str(domain_id)})
