"""Helpers for tests of sender domains: create one over the API, publish its records in the fake DNS as an
operator would at their DNS provider, verify it."""


def txt_strings(value: str) -> list[str]:
    """A TXT value as DNS carries it: strings of at most 255 bytes (a DKIM key needs two)."""
    return [value[i : i + 255] for i in range(0, len(value), 255)]


def create_sender_domain(tenant, client=None, **config):
    body = {"kind": "email", "config": {"domain": "example.com", **config}}
    return (client or tenant.client).post(tenant.url("integrations/"), body, format="json")


def publish(fake_dns, integration: dict, skip: tuple[str, ...] = ()) -> None:
    for record in integration["config"]["dns_records"]:
        if record["purpose"] not in skip:
            fake_dns.add(record["name"], "TXT", txt_strings(record["value"]))


def verified_sender_domain(tenant, fake_dns, **config) -> dict:
    """A sender domain whose records are published and verified; its JSON."""
    created = create_sender_domain(tenant, **config)
    assert created.status_code == 201, created.content
    publish(fake_dns, created.json())
    verified = tenant.client.post(tenant.url(f"integrations/{created.json()['id']}/email/verify/"))
    assert verified.status_code == 200 and verified.json()["config"]["verified"] is True, verified.content
    return verified.json()
