"""Shared fixtures: tenants with API keys and clients that speak to Burrow over its public HTTP surface."""

import itertools
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from hypothesis.configuration import set_hypothesis_home_dir

# Settings are tests/settings.py (a temporary data dir per run); Hypothesis's example cache goes there too,
# not into `.hypothesis/` of the directory pytest was started in.
set_hypothesis_home_dir(django_settings.DATA_DIR / "hypothesis")

# The local fake servers (SMTP, DNS, Slack) are fixtures every test package can use.
pytest_plugins = ["tests.fakes.smtp", "tests.fakes.dns", "tests.fakes.slack"]

_counter = itertools.count(1)


@dataclass
class Tenant:
    user: object
    organization: object
    project: object
    team: object
    key: str
    client: object

    def url(self, path: str, route: str = "projects") -> str:
        return f"/api/{route}/{self.project.id}/{path.lstrip('/')}"

    def org_url(self, path: str) -> str:
        return f"/api/organizations/{self.organization.id}/{path.lstrip('/')}"


def client_for(key: str | None):
    from rest_framework.test import APIClient

    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def make_tenant(db):
    from burrow.core.bootstrap import bootstrap

    def make(scopes: list[str] | None = None, email: str | None = None) -> Tenant:
        n = next(_counter)
        result = bootstrap(email or f"user{n}@example.com", f"Org {n}", f"Project {n}", scopes or ["*"])
        team = result.project.environments.order_by("id").first()
        return Tenant(
            result.user,
            result.organization,
            result.project,
            team,
            result.personal_api_key,
            client_for(result.personal_api_key),
        )

    return make


@pytest.fixture
def tenant(make_tenant) -> Tenant:
    return make_tenant()


@pytest.fixture
def other_tenant(make_tenant) -> Tenant:
    return make_tenant()


@pytest.fixture
def key_client(tenant):
    """A client for `tenant`'s user with a key of the given scopes."""
    from burrow.core.keys import create_personal_api_key

    def make(scopes: list[str], **scoping):
        _, value = create_personal_api_key(tenant.user, "test", scopes, **scoping)
        return client_for(value)

    return make
