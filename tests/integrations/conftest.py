"""Fixtures for integrations: fast provider timeouts, a fresh cache (look-ups are cached by integration id,
and ids start over in each test's database), and connecting through the real OAuth flow."""

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest


@pytest.fixture(autouse=True)
def fast_provider_timeouts(monkeypatch):
    from burrow.integrations.providers import http

    monkeypatch.setattr(http, "TIMEOUT", httpx.Timeout(0.5))


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def authorize(tenant, kind: str, next_path: str | None = None, client=None) -> dict:
    """Starts a connect flow over the API; returns the provider URL's query (state, redirect_uri, …)."""
    query = urlencode({"kind": kind, **({"next": next_path} if next_path is not None else {})})
    response = (client or tenant.client).get(tenant.url(f"integrations/authorize/?{query}"))
    assert response.status_code == 302, response.content
    location = response["Location"]
    return {"url": location, **{k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}}


def connect(tenant, kind: str, code: str, client=None, **extra):
    """The whole flow over the API, as PostHog's front end does it: authorize, then POST the callback's
    code and state."""
    state = authorize(tenant, kind, client=client)["state"]
    return (client or tenant.client).post(
        tenant.url("integrations/"),
        {"kind": kind, "config": {"code": code, "state": state, **extra}},
        format="json",
    )
