"""What the SCIM tests share: a domain with SCIM on and a client holding its token (fixtures `make_scim` and
`scim`, brought into each test module with a star import), and the SCIM error assertion. No tests here."""

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from burrow.core.models import OrganizationMembership
from burrow.domains.models import OrganizationDomain

__all__ = ["make_scim", "scim"]

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
MEMBER, ADMIN, OWNER = (
    OrganizationMembership.Level.MEMBER,
    OrganizationMembership.Level.ADMIN,
    OrganizationMembership.Level.OWNER,
)


@dataclass
class Scim:
    """A domain with SCIM on, and a client holding its token. The client enforces CSRF checks, as the
    server does for every request that is not exempt."""

    domain: OrganizationDomain
    token: str

    def url(self, path: str) -> str:
        return f"/scim/v2/{self.domain.id}{path}"

    def request(self, method: str, path: str, body=None, token: str | None = None, **params):
        client = Client(enforce_csrf_checks=True)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token or self.token}"}
        data = body if isinstance(body, (str, bytes)) else json.dumps(body) if body is not None else ""
        if method == "get":
            return client.get(self.url(path), params, **headers)
        return getattr(client, method)(self.url(path), data, content_type="application/scim+json", **headers)

    def get(self, path: str, **params):
        return self.request("get", path, **params)

    def post(self, path: str, body, **kwargs):
        return self.request("post", path, body, **kwargs)

    def put(self, path: str, body):
        return self.request("put", path, body)

    def patch(self, path: str, *operations, body=None):
        return self.request(
            "patch",
            path,
            body if body is not None else {"schemas": [PATCH_OP], "Operations": list(operations)},
        )

    def delete(self, path: str):
        return self.request("delete", path)

    def create(self, local: str, **fields) -> dict:
        response = self.post(
            "/Users", {"schemas": [USER], "userName": f"{local}@{self.domain.domain}", **fields}
        )
        assert response.status_code == 201, response.content
        return response.json()


@pytest.fixture
def make_scim(tenant, verified_domain):
    """A verified domain of `org` (the tenant's by default) with SCIM turned on through the domains API."""

    def make(name: str = "acme.example.org", org=None, client=None) -> Scim:
        domain = verified_domain(name, org=org)
        response = (client or tenant.client).patch(
            f"/api/organizations/{domain.organization_id}/domains/{domain.id}/",
            {"scim_enabled": True},
            format="json",
        )
        assert response.status_code == 200, response.content
        return Scim(OrganizationDomain.objects.get(pk=domain.pk), response.json()["scim_bearer_token"])

    return make


@pytest.fixture
def scim(make_scim) -> Scim:
    return make_scim()


def scim_error(response, status: int, scim_type: str | None = None) -> dict:
    """The SCIM error a refusal carries (RFC 7644 §3.12), checked for its media type, status and keyword."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status), body
    assert body.get("scimType") == scim_type, body
    assert body["detail"]
    return body


def level(user_id, organization) -> int | None:
    membership = OrganizationMembership.objects.filter(user_id=user_id, organization=organization).first()
    return membership.level if membership else None
