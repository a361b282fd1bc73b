"""Fixtures for sharing: a fast password hasher (Django's PBKDF2 takes ~0.6 s a hash here, by design), shares
of dashboards, insights and recordings made through the API, and the browser of tests/browser."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.browser.conftest import chromium  # noqa: F401  (the headless browser fixture)
from tests.conftest import client_for
from tests.factories import make_dashboard, make_insight

SERIES = [
    {"label": "Signups", "labels": ["Mon", "Tue", "Wed", "Thu"], "data": [3, 5, 8, 13]},
    {"label": "Logins", "labels": ["Mon", "Tue", "Wed", "Thu"], "data": [10, 9, 12, 11]},
]


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with one iteration: the same code path and hash format, in microseconds."""

    iterations = 1


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["tests.sharing.conftest.FastPBKDF2PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_tile_cache():
    """Rendered tiles are kept per process by insight id and version; ids start over in each test's database."""
    from burrow.analytics.tiles import forget_rendered_tiles

    forget_rendered_tiles()
    yield
    forget_rendered_tiles()


@dataclass
class Shared:
    """A shared resource: `path` is its API sharing route (under projects/), `token` its access token."""

    tenant: object
    path: str
    token: str
    resource: object

    def get(self) -> dict:
        return self.tenant.client.get(self.tenant.url(self.path)).json()

    def patch(self, body: dict):
        return self.tenant.client.patch(self.tenant.url(self.path), body, format="json")

    def add_password(self, password: str | None = None, note: str | None = None) -> dict:
        body = {
            key: value for key, value in (("raw_password", password), ("note", note)) if value is not None
        }
        response = self.tenant.client.post(self.tenant.url(f"{self.path}passwords/"), body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    def refresh(self) -> str:
        response = self.tenant.client.post(self.tenant.url(f"{self.path}refresh/"))
        assert response.status_code == 200, response.content
        self.token = response.json()["access_token"]
        return self.token


@pytest.fixture
def share(tenant):
    """`share(kind="dashboard", password=None, settings=None, **resource_fields)`: an enabled share made through
    the API; with `password` it is password-protected and opened by that password."""

    def make(kind: str = "dashboard", password: str | None = None, settings: dict | None = None, **fields):
        if kind == "dashboard":
            resource = make_dashboard(tenant, name=fields.pop("name", "Growth"), **fields)
            for index, series in enumerate(SERIES):
                insight = make_insight(tenant, name=f"Chart {index}", result=[series])
                tenant.client.patch(tenant.url(f"insights/{insight.id}/"), {"dashboards": [resource.id]})
            path = f"dashboards/{resource.id}/sharing/"
        elif kind == "insight":
            resource = make_insight(tenant, name=fields.pop("name", "Signups"), result=SERIES, **fields)
            path = f"insights/{resource.id}/sharing/"
        else:
            resource = fields.pop("recording_id", "0190c5b1-recording")
            path = f"session_recordings/{resource}/sharing/"
        body = {"enabled": True, "password_required": password is not None}
        if settings is not None:
            body["settings"] = settings
        response = tenant.client.patch(tenant.url(path), body, format="json")
        assert response.status_code == 200, response.content
        shared = Shared(tenant, path, response.json()["access_token"], resource)
        if password is not None:
            shared.add_password(password)
        return shared

    return make


@pytest.fixture
def anonymous():
    return client_for(None)
