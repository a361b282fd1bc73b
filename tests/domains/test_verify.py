"""Verifying a domain against a real DNS server on loopback (tests/fakes/dns.py): the TXT record at
`_posthog-challenge.<domain>`, DNS faults as "not verified", the retry throttle and competing claims."""

import pytest

from burrow.core.models import ActivityLog
from burrow.domains.models import OrganizationDomain
from tests.helpers import error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_retry_wait(settings):
    settings.DOMAIN_VERIFY_RETRY_SECONDS = 0


def claim(tenant, name="example.com") -> dict:
    response = tenant.client.post(tenant.org_url("domains/"), {"domain": name}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def verify(tenant, domain_id):
    return tenant.client.post(tenant.org_url(f"domains/{domain_id}/verify/"))


def test_published_challenge_verifies_the_domain(tenant, fake_dns):
    domain = claim(tenant)
    fake_dns.add("_posthog-challenge.example.com", "TXT", domain["verification_challenge"])
    response = verify(tenant, domain["id"])
    assert response.status_code == 200, response.content
    assert response.json()["is_verified"] is True and response.json()["verified_at"]
    stored = OrganizationDomain.objects.get(id=domain["id"])
    assert stored.last_verification_retry is None
    assert ("_posthog-challenge.example.com", "TXT") in fake_dns.queries
    entry = ActivityLog.objects.get(scope="OrganizationDomain", activity="updated")
    assert entry.detail["changes"][0]["field"] == "domain verification"


def test_challenge_among_other_txt_records_verifies(tenant, fake_dns):
    domain = claim(tenant)
    fake_dns.set("_posthog-challenge.example.com", "TXT", "v=spf1 -all", domain["verification_challenge"])
    assert verify(tenant, domain["id"]).json()["is_verified"] is True


@pytest.mark.parametrize("how", ["wrong value", "missing record", "no txt", "SERVFAIL", "REFUSED"])
def test_no_matching_record_means_not_verified(tenant, fake_dns, how):
    domain = claim(tenant)
    name = "_posthog-challenge.example.com"
    if how == "wrong value":
        fake_dns.add(name, "TXT", domain["verification_challenge"] + "x")
    elif how == "no txt":
        fake_dns.add(name, "A", "10.0.0.1")
    elif how != "missing record":
        fake_dns.fail(name, how)
    response = verify(tenant, domain["id"])
    assert response.status_code == 200, response.content
    assert response.json()["is_verified"] is False
    assert OrganizationDomain.objects.get(id=domain["id"]).last_verification_retry is not None


def test_resolver_timeout_means_not_verified(tenant, fake_dns):
    domain = claim(tenant)
    fake_dns.fail("_posthog-challenge.example.com", "TIMEOUT")
    response = verify(tenant, domain["id"])
    assert response.status_code == 200 and response.json()["is_verified"] is False


def test_already_verified_domain(tenant, verified_domain):
    domain = verified_domain()
    assert error(verify(tenant, domain.id)) == {
        "type": "validation_error",
        "code": "already_verified",
        "detail": "This domain has already been verified.",
        "attr": None,
    }


def test_a_failed_attempt_throttles_retries_until_the_interval_passed(tenant, fake_dns, settings):
    settings.DOMAIN_VERIFY_RETRY_SECONDS = 30
    domain = claim(tenant)
    assert verify(tenant, domain["id"]).json()["is_verified"] is False
    fake_dns.add("_posthog-challenge.example.com", "TXT", domain["verification_challenge"])
    queries = len(fake_dns.queries)
    response = verify(tenant, domain["id"])
    body = error(response, 429)
    assert body["type"] == "throttled_error" and body["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 30
    assert f"Expected available in {response['Retry-After']} seconds." in body["detail"]
    assert len(fake_dns.queries) == queries  # no look-up was made
    OrganizationDomain.objects.filter(id=domain["id"]).update(last_verification_retry=None)
    assert verify(tenant, domain["id"]).json()["is_verified"] is True


# Competing claims: the first to verify wins; an unverified claim blocks no one


def test_several_organizations_may_claim_and_the_first_to_verify_wins(tenant, other_tenant, fake_dns):
    mine = claim(tenant)
    theirs = claim(other_tenant)
    assert mine["verification_challenge"] != theirs["verification_challenge"]
    fake_dns.set(
        "_posthog-challenge.example.com",
        "TXT",
        mine["verification_challenge"],
        theirs["verification_challenge"],
    )
    assert verify(tenant, mine["id"]).json()["is_verified"] is True
    assert error(verify(other_tenant, theirs["id"])) == {
        "type": "validation_error",
        "code": "verified_by_another_organization",
        "detail": "This domain has already been verified by another organization.",
        "attr": None,
    }
    assert OrganizationDomain.objects.get(id=theirs["id"]).verified_at is None


def test_a_verified_domain_cannot_be_claimed_by_another_organization(tenant, other_tenant, verified_domain):
    verified_domain("taken.example.com")
    response = other_tenant.client.post(
        other_tenant.org_url("domains/"), {"domain": "taken.example.com"}, format="json"
    )
    assert error(response) == {
        "type": "validation_error",
        "code": "unique",
        "detail": "domain with this domain already exists.",
        "attr": "domain",
    }


def test_the_database_holds_one_verified_claim_per_domain(tenant, other_tenant, verified_domain):
    from django.db import IntegrityError, transaction

    verified_domain("race.example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        verified_domain("race.example.com", org=other_tenant.organization)


def test_unverified_claims_of_others_are_invisible(tenant, other_tenant):
    claim(other_tenant, "shared.example.com")
    mine = claim(tenant, "shared.example.com")
    listed = tenant.client.get(tenant.org_url("domains/")).json()["results"]
    assert [row["id"] for row in listed] == [mine["id"]]


def test_verify_works_under_current_organization(tenant, fake_dns):
    domain = claim(tenant, "current.example.com")
    fake_dns.add("_posthog-challenge.current.example.com", "TXT", domain["verification_challenge"])
    response = tenant.client.post(f"/api/organizations/@current/domains/{domain['id']}/verify")
    assert response.status_code == 200 and response.json()["is_verified"] is True


def test_refused_verifications_make_no_look_up(tenant, other_tenant, member_client, fake_dns):
    domain = claim(tenant)
    assert error(member_client("member").post(tenant.org_url(f"domains/{domain['id']}/verify/")), 403)
    assert error(other_tenant.client.post(tenant.org_url(f"domains/{domain['id']}/verify/")), 403)
    assert fake_dns.queries == []
