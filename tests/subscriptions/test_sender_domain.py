"""Report mails from a verified sender domain: an email subscription names the domain's `email` integration
in `integration_id`; its mails leave From that domain, with the bounce address on the SPF subdomain, and
carry a DKIM signature a receiver verifies against the key published in DNS (a real DNS server on loopback,
looked up by dkimpy itself). Without one, mails leave from BURROW_EMAIL_FROM, unsigned, as before."""

import dkim
import pytest

from burrow.core.dns import txt_records
from burrow.integrations.models import Integration
from tests.factories import make_insight, make_subscription
from tests.helpers import deliver_due, error
from tests.integrations.sender_domains import create_sender_domain, verified_sender_domain

pytestmark = pytest.mark.django_db(transaction=True)


def published_txt(name: bytes, timeout: int = 5) -> bytes | None:
    """dkimpy's `dnsfunc`: the TXT record at `name`, from the name servers Burrow is pointed at (the fake)."""
    values = txt_records(name.decode().rstrip("."), lifetime=timeout)
    return values[0].encode() if values else None


def subscribe(tenant, integration_id, target="reader@example.org"):
    return tenant.client.post(
        tenant.url("subscriptions/"),
        {
            "insight": make_insight(tenant, name="Signups").id,
            "target_type": "email",
            "target_value": target,
            "frequency": "weekly",
            "start_date": "2030-01-07T09:00:00Z",
            "integration_id": integration_id,
        },
        format="json",
    )


def test_a_report_from_a_verified_sender_domain_passes_dkim_verification(tenant, fake_dns, smtp_server):
    sender = verified_sender_domain(tenant, fake_dns, domain="example.com", from_name="Acme Reports")
    created = subscribe(tenant, sender["id"])
    assert created.status_code == 201, created.content
    assert created.json()["integration_id"] == sender["id"]

    delivery = deliver_due(Integration.objects.get(id=sender["id"]).subscriptions.get())
    assert delivery.status == "completed", delivery.error

    # The invite (the address is new) and the report: both from the sender domain, both signed.
    assert sorted(m["Subject"] for m in smtp_server.messages) == [
        "Burrow Insight report - Signups",
        f"{tenant.user.first_name or 'Someone'} subscribed you to a Burrow Insight",
    ]
    assert len(smtp_server.envelopes) == 2
    for (envelope_from, raw), mail in zip(smtp_server.envelopes, smtp_server.messages, strict=True):
        assert envelope_from == "bounces@feedback.example.com"
        assert mail["From"] == "Acme Reports <reports@example.com>" and mail["To"] == "reader@example.org"
        signature = "".join(str(mail["DKIM-Signature"]).split())  # unfolded, without whitespace
        tags = dict(t.split("=", 1) for t in signature.split(";") if t)
        assert tags["d"] == "example.com" and tags["s"] == sender["config"]["dkim_selector"]
        assert (tags["a"], tags["c"]) == ("rsa-sha256", "relaxed/relaxed")  # relaxed survives relays' rewraps
        signed = set(tags["h"].lower().split(":"))
        assert {"from", "subject", "list-unsubscribe", "list-unsubscribe-post"} <= signed
        assert dkim.verify(raw, dnsfunc=published_txt)

        # The signature covers what it should: a changed body or From no longer verifies.
        body_start = raw.index(b"\r\n\r\n--") + 4
        assert not dkim.verify(raw[:body_start] + b" " + raw[body_start:], dnsfunc=published_txt)
        assert not dkim.verify(
            raw.replace(b"reports@example.com", b"ceo@example.com", 1), dnsfunc=published_txt
        )


def test_without_a_sender_domain_mails_leave_unsigned_from_the_default_sender(tenant, smtp_server, settings):
    settings.EMAIL_FROM = "Burrow <burrow@reports.example.net>"
    delivery = deliver_due(make_subscription(tenant, target_value="reader@example.org"))
    assert delivery.status == "completed"
    [(envelope_from, raw)] = smtp_server.envelopes
    assert envelope_from == "burrow@reports.example.net"
    assert b"DKIM-Signature" not in raw
    assert smtp_server.messages[0]["From"] == "Burrow <burrow@reports.example.net>"


def test_a_sender_domain_that_is_no_longer_verified_is_not_used(tenant, fake_dns, smtp_server, settings):
    sender = verified_sender_domain(tenant, fake_dns)
    row = Integration.objects.get(id=sender["id"])
    row.config = {**row.config, "verified": False}
    row.save(update_fields=["config"])
    deliver_due(make_subscription(tenant, target_value="reader@example.org", integration=row))
    [(envelope_from, raw)] = smtp_server.envelopes
    assert b"DKIM-Signature" not in raw and envelope_from == "burrow@localhost"


def test_a_subscription_may_only_name_a_verified_sender_domain_of_its_project(
    tenant, other_tenant, fake_dns, fake_providers
):
    unverified = create_sender_domain(tenant, domain="example.net").json()
    assert error(subscribe(tenant, unverified["id"]))["detail"] == (
        "This sender domain is not verified yet: publish its DNS records, then verify it "
        "(POST …/integrations/:id/email/verify/)."
    )
    slack = fake_providers.connected(tenant, "slack")
    body = error(subscribe(tenant, slack.id))
    assert body["attr"] == "integration_id"
    assert body["detail"] == (
        "Email subscriptions send from a sender domain: integration_id must be an email integration."
    )
    theirs = verified_sender_domain(other_tenant, fake_dns)
    assert error(subscribe(tenant, theirs["id"]))["detail"] == (
        "This integration does not exist or does not belong to your team."
    )


def test_a_domain_that_failed_a_later_check_stays_on_its_subscriptions_but_cannot_be_chosen(
    tenant, fake_dns, smtp_server
):
    sender = verified_sender_domain(tenant, fake_dns)
    subscription = subscribe(tenant, sender["id"]).json()
    spf = next(r for r in sender["config"]["dns_records"] if r["purpose"] == "spf")
    fake_dns.set(spf["name"], "TXT")
    verify = tenant.client.post(tenant.url(f"integrations/{sender['id']}/email/verify/"))
    assert verify.json()["config"]["verified"] is False
    patched = tenant.client.patch(
        tenant.url(f"subscriptions/{subscription['id']}/"),
        {"title": "Renamed", "integration_id": sender["id"]},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert error(subscribe(tenant, sender["id"]))["attr"] == "integration_id"
