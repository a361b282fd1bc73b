"""The attack of an organization admin through SCIM, end to end: a real `burrow serve`, the domains API over
HTTP, and a SCIM client (scim2-client over httpx) speaking to the server as an identity provider would.

The admin claims and verifies a domain, then tries to turn SCIM on to hold its token: refused, SCIM is the
owners'. And whoever holds a token an owner issued (an identity provider the admin configures, say) can still
not make anyone owner nor demote, deactivate or delete an owner (docs/scim.md, "Who may do what")."""

import json
from dataclasses import dataclass

import httpx
import pytest
from scim2_models import Error, Group, GroupMember, PatchOp, PatchOperation, SearchRequest, User

from tests.domains.scim.test_compliance import HttpxSCIMClient

DOMAIN = "takeover.example.com"
OWNER, ADMIN = f"owner@{DOMAIN}", f"admin@{DOMAIN}"


@dataclass
class Organization:
    url: str
    owner: httpx.Client
    admin: httpx.Client
    domain_id: str


def _api(url: str, organization_id: str, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{url}/api/organizations/{organization_id}/",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


@pytest.fixture(scope="module")
def organization(serve_burrow, fake_dns_server) -> Organization:
    """An owner and an admin, both at the domain; the admin has claimed and verified it over the API."""
    served = serve_burrow(BURROW_DNS_NAMESERVERS=fake_dns_server.address)

    def bootstrap(*arguments: str) -> dict:
        result = served.burrow("bootstrap", *arguments, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    owner = bootstrap("--email", OWNER, "--organization", "Acme", "--project", "Web")
    organization_id = owner["organization_id"]
    admin = bootstrap("--email", ADMIN, "--join-organization", organization_id, "--level", "admin")
    admin_api = _api(served.url, organization_id, admin["personal_api_key"])
    domain = admin_api.post("domains/", json={"domain": DOMAIN})
    assert domain.status_code == 201, domain.text
    fake_dns_server.add(f"_posthog-challenge.{DOMAIN}", "TXT", domain.json()["verification_challenge"])
    assert admin_api.post(f"domains/{domain.json()['id']}/verify/").json()["is_verified"] is True
    return Organization(
        served.url,
        _api(served.url, organization_id, owner["personal_api_key"]),
        admin_api,
        domain.json()["id"],
    )


def test_an_admin_cannot_turn_scim_on_nor_get_its_token(organization):
    domain = f"domains/{organization.domain_id}/"
    response = organization.admin.patch(domain, json={"scim_enabled": True})
    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "Your organization access level is insufficient."
    assert organization.admin.get(domain).json()["has_scim"] is False
    assert organization.admin.post(f"{domain}scim/token/").status_code in (400, 403)


def test_the_scim_token_cannot_make_an_admin_owner_nor_touch_the_owner(organization):
    enabled = organization.owner.patch(f"domains/{organization.domain_id}/", json={"scim_enabled": True})
    assert enabled.status_code == 200, enabled.text
    assert organization.admin.post(f"domains/{organization.domain_id}/scim/token/").status_code == 403
    scim = HttpxSCIMClient(
        httpx.Client(
            base_url=f"{organization.url}/scim/v2/{organization.domain_id}",
            headers={"Authorization": f"Bearer {enabled.json()['scim_bearer_token']}"},
            timeout=60,
        ),
        resource_models=[User, Group],
    )
    scim.discover()
    owner_id, admin_id = (_user_id(scim, address) for address in (OWNER, ADMIN))

    def add(user_id: str) -> PatchOp:
        operation = PatchOperation(op="add", path="members", value=[GroupMember(value=user_id)])
        return PatchOp[Group](operations=[operation])

    attempts = {
        "admin made owner": scim.modify(Group, "owner", add(admin_id), raise_scim_errors=False),
        "owner demoted": scim.modify(Group, "admin", add(owner_id), raise_scim_errors=False),
        "owner removed from the owners": scim.modify(
            Group,
            "owner",
            PatchOp[Group](operations=[PatchOperation(op="remove", path=f'members[value eq "{owner_id}"]')]),
            raise_scim_errors=False,
        ),
        "owner deactivated": scim.replace(
            User(id=owner_id, user_name=OWNER, active=False), raise_scim_errors=False
        ),
        "owner deleted": scim.delete(User, owner_id, raise_scim_errors=False),
    }
    refused = {name: isinstance(answer, Error) and answer.status == 403 for name, answer in attempts.items()}
    assert refused == dict.fromkeys(attempts, True), attempts

    owners = scim.query(Group, "owner")
    assert [member.value for member in owners.members or []] == [owner_id]
    admins = scim.query(Group, "admin")
    assert [member.value for member in admins.members or []] == [admin_id]


def _user_id(scim: HttpxSCIMClient, address: str) -> str:
    found = scim.query(User, query_parameters=SearchRequest(filter=f'userName eq "{address}"'))
    assert found.total_results == 1, found
    return found.resources[0].id
