"""Sender domains (`email` integrations): the records Burrow generates, the checks over DNS (a real DNS server
on loopback), the messages for bad input and who may do what."""

import re

import pytest
from cryptography.hazmat.primitives import serialization

from burrow.integrations.models import Integration
from tests.helpers import error
from tests.integrations.sender_domains import create_sender_domain, publish, txt_strings

pytestmark = pytest.mark.django_db


def verify(tenant, integration_id, client=None):
    return (client or tenant.client).post(tenant.url(f"integrations/{integration_id}/email/verify/"))


def test_creating_a_sender_domain_generates_a_key_and_the_records_to_publish(tenant, settings):
    settings.EMAIL_URL = "smtp://relay.mailhost.example:587"
    response = create_sender_domain(tenant, domain="Mail.Example.COM.", from_name="Acme Reports")
    assert response.status_code == 201, response.content
    body = response.json()
    config = body["config"]
    assert body["kind"] == "email" and body["display_name"] == "reports@mail.example.com"
    assert config["domain"] == "mail.example.com" and config["from_name"] == "Acme Reports"
    assert config["verified"] is False and config["mail_from_subdomain"] == "feedback"
    records = {r["purpose"]: r for r in config["dns_records"]}
    assert records["ownership"]["name"] == "_burrow.mail.example.com"
    assert records["ownership"]["value"] == f"burrow-domain-verification={config['ownership_token']}"
    assert records["dkim"]["name"] == f"{config['dkim_selector']}._domainkey.mail.example.com"
    assert records["spf"] == {
        "purpose": "spf",
        "type": "TXT",
        "name": "feedback.mail.example.com",
        "value": "v=spf1 a:relay.mailhost.example ~all",
        "status": "pending",
    }
    assert {r["status"] for r in records.values()} == {"pending"}

    # The published key is the public half of a 2048-bit key kept only in sensitive_config.
    row = Integration.objects.get(id=body["id"])
    private = serialization.load_pem_private_key(row.sensitive_config["dkim_private_key"].encode(), None)
    assert private.key_size == 2048
    public = records["dkim"]["value"].split("p=", 1)[1]
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64

    assert base64.b64decode(public) == der
    listed = tenant.client.get(tenant.url("integrations/?kind=email")).content.decode()
    assert "PRIVATE KEY" not in response.content.decode() + listed
    assert "dkim_private_key" not in listed


def test_adding_the_same_domain_again_keeps_the_key_and_token(tenant):
    first = create_sender_domain(tenant, from_name="Old name").json()
    again = create_sender_domain(tenant, from_name="New name", email="news@example.com")
    assert again.status_code == 201
    body = again.json()
    assert body["id"] == first["id"] and body["config"]["from_name"] == "New name"
    assert body["config"]["email"] == "news@example.com"
    assert body["config"]["dns_records"] == first["config"]["dns_records"]
    assert Integration.objects.filter(kind="email").count() == 1


@pytest.mark.parametrize(
    "config, attr, message",
    [
        ({"domain": None}, "domain", 'A sender domain must be provided, e.g. {"domain": "example.com"}.'),
        (
            {"domain": "co.uk"},
            "domain",
            "co.uk is not a registrable domain name. Use a domain you can publish DNS records for, such as "
            "example.com or mail.example.com.",
        ),
        ({"domain": "github.io"}, "domain", None),
        ({"domain": "intranet.test"}, "domain", None),
        ({"domain": "bad_name.example.com"}, "domain", None),
        ({"domain": ["example.com"]}, "domain", None),
        ({"mail_from_subdomain": "a.b"}, "mail_from_subdomain", None),
        ({"from_name": "Evil\r\nBcc: x@example.org"}, "from_name", None),
        (
            {"email": "me@other.example"},
            "email",
            "email must be an address at example.com, such as reports@example.com.",
        ),
        ({"email": ".ann@example.com"}, "email", None),
        ({"email": "ann.@example.com"}, "email", None),
        ({"email": "a..nn@example.com"}, "email", None),
        ({"email": f"{'a' * 65}@example.com"}, "email", None),
        ({"from_name": "x" * 101}, "from_name", None),
        ({"from_name": "Tab\tbed"}, "from_name", None),
    ],
)
def test_a_bad_sender_domain_is_refused_with_a_message(tenant, config, attr, message):
    body = error(create_sender_domain(tenant, **config))
    assert body["attr"] == attr
    if message:
        assert body["detail"] == message
    assert not Integration.objects.filter(kind="email").exists()


def test_a_sender_is_taken_at_its_limits_and_in_any_case(tenant):
    config = create_sender_domain(
        tenant, email=f"{'a' * 64}@EXAMPLE.com", from_name="x" * 100, mail_from_subdomain="Bounce"
    ).json()["config"]
    assert config["email"] == f"{'a' * 64}@example.com" and config["from_name"] == "x" * 100
    assert config["mail_from_subdomain"] == "bounce"
    assert [r["name"] for r in config["dns_records"] if r["purpose"] == "spf"] == ["bounce.example.com"]


def test_verification_with_every_record_published_verifies_the_domain(tenant, fake_dns):
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created)
    fake_dns.add("_burrow.example.com", "TXT", "some-other-tool=1")  # other TXT records beside ours are fine
    response = verify(tenant, created["id"])
    assert response.status_code == 200
    config = response.json()["config"]
    assert config["verified"] is True and config["verified_at"] == config["last_checked_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", config["verified_at"])
    assert [r["status"] for r in config["dns_records"]] == ["verified"] * 3
    assert Integration.objects.get(id=created["id"]).config["verified"] is True
    log = tenant.client.get(tenant.url("activity_log/?scope=Integration")).json()["results"]
    assert [(e["activity"], e["detail"]["changes"]) for e in log][0] == (
        "updated",
        [{"type": "Integration", "action": "changed", "field": "verified", "before": False, "after": True}],
    )


def test_checking_again_keeps_when_the_domain_was_first_verified_and_logs_only_changes(tenant, fake_dns):
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created)
    first = verify(tenant, created["id"]).json()["config"]
    again = verify(tenant, created["id"]).json()["config"]
    assert again["verified"] is True and again["verified_at"] == first["verified_at"]
    assert again["last_checked_at"] >= first["last_checked_at"]
    fake_dns.clear()  # the records were taken down
    gone = verify(tenant, created["id"]).json()["config"]
    assert gone["verified"] is False and gone["verified_at"] is None
    log = tenant.client.get(tenant.url("activity_log/?scope=Integration")).json()["results"]
    changes = [e["detail"]["changes"][0] for e in log if e["activity"] == "updated"]
    assert [(c["before"], c["after"]) for c in changes] == [(True, False), (False, True)]  # newest first


def test_an_ownership_record_pasted_with_spaces_around_it_verifies(tenant, fake_dns):
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created, skip=("ownership",))
    [ownership] = [r for r in created["config"]["dns_records"] if r["purpose"] == "ownership"]
    fake_dns.add(ownership["name"], "TXT", f"  {ownership['value']} ")
    assert verify(tenant, created["id"]).json()["config"]["verified"] is True


def test_a_sender_domain_without_records_is_never_verified(tenant, fake_dns):
    created = create_sender_domain(tenant).json()
    integration = Integration.objects.get(id=created["id"])
    integration.config = {**integration.config, "dns_records": []}
    integration.save(update_fields=["config"])
    assert verify(tenant, created["id"]).json()["config"]["verified"] is False


@pytest.mark.parametrize("missing", ["ownership", "dkim", "spf"])
def test_a_missing_record_leaves_the_domain_unverified(tenant, fake_dns, missing):
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created, skip=(missing,))
    config = verify(tenant, created["id"]).json()["config"]
    assert config["verified"] is False and config["verified_at"] is None
    expected = {"ownership": "verified", "dkim": "verified", "spf": "verified", missing: "missing"}
    assert {r["purpose"]: r["status"] for r in config["dns_records"]} == expected


def test_an_spf_policy_with_our_mechanisms_verifies_whatever_its_all(tenant, fake_dns):
    """The policy's last word (`~all`, `-all`) is the domain owner's choice; only our mechanisms must be there."""
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created, skip=("spf",))
    spf = next(r for r in created["config"]["dns_records"] if r["purpose"] == "spf")
    strict = spf["value"].replace("~all", "-all")
    assert strict != spf["value"]
    fake_dns.add(spf["name"], "TXT", strict.upper().replace("V=SPF1", "v=spf1"))
    assert verify(tenant, created["id"]).json()["config"]["verified"] is True


def test_a_wrong_value_is_reported_per_record(tenant, fake_dns):
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created, skip=("dkim", "spf", "ownership"))
    records = {r["purpose"]: r for r in created["config"]["dns_records"]}
    fake_dns.add(records["ownership"]["name"], "TXT", "burrow-domain-verification=not-the-token")
    fake_dns.add(records["dkim"]["name"], "TXT", txt_strings("v=DKIM1; k=rsa; p=" + "A" * 392))
    fake_dns.add(records["spf"]["name"], "TXT", "v=spf1 include:_spf.elsewhere.example ~all")
    config = verify(tenant, created["id"]).json()["config"]
    assert config["verified"] is False
    assert [r["status"] for r in config["dns_records"]] == ["wrong_value"] * 3


def test_a_dkim_record_split_and_folded_differently_still_verifies(tenant, fake_dns):
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created, skip=("dkim",))
    dkim = next(r for r in created["config"]["dns_records"] if r["purpose"] == "dkim")
    key = dkim["value"].split("p=", 1)[1]
    fake_dns.add(dkim["name"], "TXT", [f"v=DKIM1;k=rsa; p={key[:100]}", f" {key[100:300]}", key[300:]])
    assert verify(tenant, created["id"]).json()["config"]["verified"] is True


def test_two_spf_policies_at_one_name_are_a_wrong_value(tenant, fake_dns):
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created)
    spf = next(r for r in created["config"]["dns_records"] if r["purpose"] == "spf")
    fake_dns.add(spf["name"], "TXT", "v=spf1 -all")
    config = verify(tenant, created["id"]).json()["config"]
    assert config["verified"] is False
    assert [r["status"] for r in config["dns_records"]] == ["verified", "verified", "wrong_value"]


@pytest.mark.parametrize("how", ["TIMEOUT", "SERVFAIL"])
def test_dns_faults_mean_not_verified_never_an_error(tenant, fake_dns, how, monkeypatch):
    from burrow.integrations.providers import email as email_domains

    monkeypatch.setattr(email_domains, "LOOKUP_LIFETIME_SECONDS", 0.5)
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created)
    dkim = next(r for r in created["config"]["dns_records"] if r["purpose"] == "dkim")
    fake_dns.fail(dkim["name"], how)
    response = verify(tenant, created["id"])
    assert response.status_code == 200
    config = response.json()["config"]
    assert config["verified"] is False
    assert [r["status"] for r in config["dns_records"]] == ["verified", "lookup_failed", "verified"]


def test_a_verified_domain_that_loses_a_record_is_unverified_on_the_next_check(tenant, fake_dns):
    created = create_sender_domain(tenant).json()
    publish(fake_dns, created)
    assert verify(tenant, created["id"]).json()["config"]["verified"] is True
    spf = next(r for r in created["config"]["dns_records"] if r["purpose"] == "spf")
    fake_dns.set(spf["name"], "TXT")
    config = verify(tenant, created["id"]).json()["config"]
    assert config["verified"] is False and config["verified_at"] is None


def test_verify_is_for_email_integrations_only(tenant, fake_providers):
    twilio = fake_providers.connected(tenant, "twilio")
    body = error(verify(tenant, twilio.id))
    assert body["detail"] == "email/verify endpoint is only supported for Email integrations"


def test_another_projects_sender_domain_is_not_found(tenant, other_tenant, fake_dns):
    created = create_sender_domain(tenant).json()
    assert verify(tenant, created["id"], client=other_tenant.client).status_code in (403, 404)
    response = other_tenant.client.post(other_tenant.url(f"integrations/{created['id']}/email/verify/"))
    assert response.status_code == 404


def test_sender_domains_need_integration_write(tenant, key_client, fake_dns):
    created = create_sender_domain(tenant).json()
    reader = key_client(["integration:read"])
    assert error(verify(tenant, created["id"], client=reader), 403)["detail"] == (
        "API key missing required scope 'integration:write'"
    )
    assert error(create_sender_domain(tenant, client=reader), 403)["detail"] == (
        "API key missing required scope 'integration:write'"
    )
    assert verify(tenant, created["id"], client=key_client(["integration:write"])).status_code == 200


@pytest.mark.parametrize(
    "email_url, email_spf, mechanisms",
    [
        ("smtp://192.0.2.10:25", "", "ip4:192.0.2.10"),
        ("smtp://[2001:db8::25]:587", "", "ip6:2001:db8::25"),
        ("smtps://relay.example.net", "", "a:relay.example.net"),
        ("", "", "mx"),  # mail goes to the outbox: whatever the operator forwards it with
        (
            "smtp://192.0.2.10",
            "  include:_spf.example.net \n ip4:198.51.100.0/24 ",
            "include:_spf.example.net ip4:198.51.100.0/24",
        ),
    ],
)
def test_the_spf_record_authorises_the_relay_burrow_sends_through(
    tenant, settings, email_url, email_spf, mechanisms
):
    settings.EMAIL_URL, settings.EMAIL_SPF = email_url, email_spf
    config = create_sender_domain(tenant).json()["config"]
    assert config["spf_mechanisms"] == mechanisms
    [spf] = [r for r in config["dns_records"] if r["purpose"] == "spf"]
    assert spf["value"] == f"v=spf1 {mechanisms} ~all"
