"""`/api/organizations/:id/proxy_records/`: members list and read, admins create and delete; the domain is a
subdomain of a registrable domain and the CNAME target this instance's host unless one is given."""

import pytest

from burrow.core.bootstrap import join_organization
from burrow.integrations.models import ProxyRecord
from tests.conftest import client_for
from tests.helpers import error

pytestmark = pytest.mark.django_db

FIELDS = {"id", "domain", "target_cname", "status", "message", "created_at", "updated_at", "created_by"}


def create(tenant, client=None, **body):
    return (client or tenant.client).post(tenant.org_url("proxy_records/"), body, format="json")


def test_an_admin_adds_a_proxy_record_pointing_at_this_instance(tenant, settings):
    settings.SITE_URL = "https://Burrow.Example.net"
    response = create(tenant, domain="E.Example.COM")
    assert response.status_code == 201, response.content
    record = response.json()
    assert set(record) == FIELDS
    assert record["domain"] == "e.example.com" and record["target_cname"] == "burrow.example.net"
    assert record["status"] == "waiting" and record["created_by"]["email"] == tenant.user.email
    page = tenant.client.get(tenant.org_url("proxy_records/")).json()
    assert page["count"] == 1 and page["results"] == [record]
    assert tenant.client.get(tenant.org_url(f"proxy_records/{record['id']}/")).json() == record


def test_a_target_may_be_given(tenant):
    record = create(tenant, domain="ph.example.co.uk", target_cname="proxy.burrow.example.org").json()
    assert record["target_cname"] == "proxy.burrow.example.org"


@pytest.mark.parametrize(
    "body, attr, message",
    [
        ({}, "domain", "A domain must be provided, such as e.example.com."),
        (
            {"domain": "example.com"},
            "domain",
            "A CNAME cannot be published at the root of a domain: use a subdomain of example.com, such as "
            "e.example.com.",
        ),
        ({"domain": "co.uk"}, "domain", None),
        ({"domain": "e.intranet.test"}, "domain", None),
        ({"domain": "e.example.com", "target_cname": "10.0.0.1"}, "target_cname", None),
        ({"domain": "e.example.com", "target_cname": "e.example.com"}, "target_cname", None),
    ],
)
def test_bad_proxy_records_are_refused_with_a_message(tenant, body, attr, message):
    response = create(tenant, **{"target_cname": "burrow.example.net", **body})
    found = error(response)
    assert found["attr"] == attr
    if message:
        assert found["detail"] == message
    assert not ProxyRecord.objects.exists()


def test_without_a_public_host_for_this_instance_a_target_is_required(tenant, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    body = error(create(tenant, domain="e.example.com"))
    assert body["attr"] == "target_cname" and "BURROW_SITE_URL" in body["detail"]


def test_a_domain_has_one_record_per_organization(tenant, other_tenant):
    assert create(tenant, domain="e.example.com", target_cname="burrow.example.net").status_code == 201
    body = error(create(tenant, domain="E.example.com", target_cname="burrow.example.net"))
    assert body["detail"] == "This organization already has a proxy record for e.example.com."
    assert create(other_tenant, domain="e.example.com", target_cname="burrow.example.net").status_code == 201


def test_members_read_and_only_admins_write(tenant):
    record = create(tenant, domain="e.example.com", target_cname="burrow.example.net").json()
    member = client_for(
        join_organization("m@example.com", tenant.organization, "member", ["*"]).personal_api_key
    )
    assert member.get(tenant.org_url("proxy_records/")).json()["count"] == 1
    denied = "Your organization access level is insufficient."
    assert error(create(tenant, client=member, domain="f.example.com"), 403)["detail"] == denied
    assert error(member.delete(tenant.org_url(f"proxy_records/{record['id']}/")), 403)["detail"] == denied
    assert error(tenant.client.patch(tenant.org_url(f"proxy_records/{record['id']}/"), {}), 405)
    assert tenant.client.delete(tenant.org_url(f"proxy_records/{record['id']}/")).status_code == 204
    assert error(tenant.client.get(tenant.org_url(f"proxy_records/{record['id']}/")), 404)
    assert error(tenant.client.get(tenant.org_url("proxy_records/not-a-uuid/")), 404)


def test_proxy_records_use_the_organization_scopes(tenant, key_client):
    reader, writer = key_client(["organization:read"]), key_client(["organization:write"])
    assert reader.get(tenant.org_url("proxy_records/")).status_code == 200
    assert error(create(tenant, client=reader, domain="e.example.com"), 403)["detail"] == (
        "API key missing required scope 'organization:write'"
    )
    assert error(key_client(["integration:write"]).get(tenant.org_url("proxy_records/")), 403)["detail"] == (
        "API key missing required scope 'organization:read'"
    )
    response = create(tenant, client=writer, domain="e.example.com", target_cname="burrow.example.net")
    assert response.status_code == 201


def test_the_list_costs_the_same_queries_whatever_its_length(tenant):
    from tests.contract.test_query_counts import queries_for
    from tests.factories import make

    make("integrations.ProxyRecord", tenant)
    small = queries_for(tenant.client, tenant.org_url("proxy_records/"))
    for _ in range(10):
        make("integrations.ProxyRecord", tenant)
    assert queries_for(tenant.client, tenant.org_url("proxy_records/")) == small


def check(tenant, record_id, client=None):
    return (client or tenant.client).post(tenant.org_url(f"proxy_records/{record_id}/check/"), format="json")


def test_check_follows_what_dns_says_about_the_cname(tenant, fake_dns):
    record = create(tenant, domain="e.example.com", target_cname="burrow.example.net").json()
    answer = check(tenant, record["id"]).json()
    assert answer["status"] == "waiting"
    assert (
        answer["message"]
        == "No CNAME record at e.example.com yet: publish e.example.com CNAME burrow.example.net."
    )

    fake_dns.set("e.example.com", "CNAME", "other.example.org.")
    answer = check(tenant, record["id"]).json()
    assert answer["status"] == "erroring"
    assert answer["message"] == "e.example.com is a CNAME for other.example.org, not burrow.example.net."

    fake_dns.set("e.example.com", "CNAME", "Burrow.Example.NET.")
    answer = check(tenant, record["id"]).json()
    assert (answer["status"], answer["message"]) == ("valid", "")
    stored = tenant.client.get(tenant.org_url(f"proxy_records/{record['id']}/")).json()
    assert stored["status"] == "valid"


def test_a_dns_fault_changes_no_status(tenant, fake_dns):
    record = create(tenant, domain="e.example.com", target_cname="burrow.example.net").json()
    fake_dns.set("e.example.com", "CNAME", "burrow.example.net.")
    assert check(tenant, record["id"]).json()["status"] == "valid"
    fake_dns.fail("e.example.com", "SERVFAIL")
    response = check(tenant, record["id"])
    assert response.status_code == 200
    assert response.json()["status"] == "valid"
    assert "failed" in response.json()["message"] and "try again" in response.json()["message"]


def test_only_admins_check_and_only_their_own_records(tenant, other_tenant, fake_dns):
    record = create(tenant, domain="e.example.com", target_cname="burrow.example.net").json()
    member = client_for(
        join_organization("m@example.com", tenant.organization, "member", ["*"]).personal_api_key
    )
    assert error(check(tenant, record["id"], client=member), 403)["detail"] == (
        "Your organization access level is insufficient."
    )
    foreign = other_tenant.client.post(
        other_tenant.org_url(f"proxy_records/{record['id']}/check/"), format="json"
    )
    assert foreign.status_code == 404
    assert not fake_dns.queries
