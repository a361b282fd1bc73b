"""Sender domains once added (`providers/email.py` makes their key and records): checking the records over DNS
on request, and, once all are in place, sending report mails of subscriptions that chose the domain from it,
DKIM-signed (`sender_for`, `sign`)."""

import logging
from dataclasses import dataclass
from email.utils import formataddr

import dkim
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from burrow.core.dns import LookupFailed, txt_records
from burrow.core.models import User
from burrow.integrations.models import Integration
from burrow.integrations.providers.email import (
    LOOKUP_FAILED,
    MISSING,
    OWNERSHIP_PREFIX,
    VERIFIED,
    WRONG_VALUE,
)
from burrow.integrations.services import log_integration

logger = logging.getLogger(__name__)

BOUNCE_LOCAL_PART = "bounces"
LOOKUP_LIFETIME_SECONDS = 3.0
NOT_EMAIL = "email/verify endpoint is only supported for Email integrations"


# Verifying


def _status(record: dict) -> str:
    try:
        values = txt_records(record["name"], LOOKUP_LIFETIME_SECONDS)
    except LookupFailed as exc:
        logger.info("sender domain look-up failed", extra={"dns_name": record["name"], "error": str(exc)})
        return LOOKUP_FAILED
    if record["purpose"] == "dkim":
        return _dkim_status(values, record["value"])
    if record["purpose"] == "spf":
        return _spf_status(values, record["value"])
    if record["value"] in (v.strip() for v in values):
        return VERIFIED
    return WRONG_VALUE if any(v.startswith(OWNERSHIP_PREFIX) for v in values) else MISSING


def _tags(value: str) -> dict[str, str]:
    """A DKIM key record's tags (RFC 6376 §3.2); whitespace inside values is folding, not data."""
    tags = {}
    for part in value.split(";"):
        name, sep, data = part.partition("=")
        if sep:
            tags[name.strip().lower()] = "".join(data.split())
    return tags


def _dkim_status(values: list[str], expected: str) -> str:
    if not values:
        return MISSING
    wanted = _tags(expected)["p"]
    return VERIFIED if any(_tags(v).get("p") == wanted for v in values) else WRONG_VALUE


def _spf_status(values: list[str], expected: str) -> str:
    policies = [v for v in values if v.lower().split(" ", 1)[0] == "v=spf1"]
    if not policies:
        return MISSING
    # Two SPF policies at one name are a permanent error for every receiver (RFC 7208 §4.5).
    if len(policies) > 1:
        return WRONG_VALUE
    terms = set(policies[0].lower().split())
    needed = [t for t in expected.lower().split()[1:] if not t.endswith("all")]
    return VERIFIED if all(t in terms for t in needed) else WRONG_VALUE


def verify(integration: Integration, user: User) -> Integration:
    """Looks every record up and stores each one's status; the domain is verified when all are in place.
    DNS faults leave a record `lookup_failed` (not verified), never an error."""
    if integration.kind != Integration.Kind.EMAIL:
        raise ValidationError(NOT_EMAIL)
    statuses = {r["name"]: _status(r) for r in (integration.config or {}).get("dns_records", [])}
    with transaction.atomic():
        current = Integration.objects.select_for_update().get(pk=integration.pk)
        config = dict(current.config or {})
        records = [
            {**r, "status": statuses.get(r["name"], r["status"])} for r in config.get("dns_records", [])
        ]
        now = timezone.now().isoformat().replace("+00:00", "Z")
        verified = bool(records) and all(r["status"] == VERIFIED for r in records)
        config.update(
            dns_records=records,
            verified=verified,
            verified_at=(config.get("verified_at") or now) if verified else None,
            last_checked_at=now,
        )
        current.config = config
        current.save(update_fields=["config"])
    logger.info("sender domain checked", extra={"integration": current.pk, "verified": verified})
    was_verified = bool((integration.config or {}).get("verified"))
    if verified != was_verified:  # the moment its mails start (or stop) leaving from the domain
        change = {"action": "changed", "field": "verified", "before": was_verified, "after": verified}
        log_integration(current, user, "updated", changes=[change])
    return current


# Sending


@dataclass(frozen=True)
class Sender:
    """How a mail leaves from a verified sender domain: the From header, the SMTP envelope sender (on the
    SPF-published bounce subdomain) and the DKIM key that signs it."""

    from_header: str
    envelope_from: str
    domain: str
    selector: str
    private_key: bytes


def sender_for(integration: Integration | None) -> Sender | None:
    """The sender of a verified `email` integration; None (send from BURROW_EMAIL_FROM) otherwise."""
    if integration is None or integration.kind != Integration.Kind.EMAIL:
        return None
    config = integration.config or {}
    pem = (integration.sensitive_config or {}).get("dkim_private_key")
    if not config.get("verified") or not pem:
        return None
    return Sender(
        from_header=formataddr((config.get("from_name") or "", config["email"])),
        envelope_from=f"{BOUNCE_LOCAL_PART}@{config['mail_from_subdomain']}.{config['domain']}",
        domain=config["domain"],
        selector=config["dkim_selector"],
        private_key=pem.encode(),
    )


# RFC 8058 §4: a one-click unsubscribe header must be covered by the signature; dkimpy's defaults omit it.
EXTRA_SIGNED_HEADERS = (b"list-unsubscribe-post",)


def sign(message: bytes, sender: Sender) -> bytes:
    """`message` (CRLF line ends) with a DKIM-Signature header (rsa-sha256, relaxed/relaxed) in front."""
    signer = dkim.DKIM(message, linesep=b"\r\n")
    headers = signer.default_sign_headers()
    present = {name.lower() for name, _ in signer.headers}
    headers += [h for h in EXTRA_SIGNED_HEADERS if h in present and h not in headers]
    try:
        signature = signer.sign(
            sender.selector.encode(),
            sender.domain.encode(),
            sender.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=headers,
        )
    except dkim.DKIMException as exc:
        raise ValueError(f"DKIM signing for {sender.domain} failed: {exc}") from None
    return signature + message
