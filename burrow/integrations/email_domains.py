"""Sender domains: the `email` integration kind. A project names a domain it controls; Burrow generates a DKIM
key pair, an ownership token and the DNS records to publish (ownership TXT, DKIM TXT, SPF TXT on the bounce
subdomain), checks them over DNS on request, and once all are in place report mails of subscriptions that
chose the domain are sent from it and DKIM-signed (`sender_for`, `sign`).

The private key lives in `sensitive_config` (encrypted at rest, never shown); everything else, records and
their last status included, is in `config`. One row per project and domain (`integration_id` is the domain):
connecting the same domain again changes the sender's name and address but keeps the key and the token, so
records already published stay right."""

import base64
import logging
import re
import secrets
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from burrow.core.activity import log_activity
from burrow.core.dns import LookupFailed, txt_records
from burrow.core.models import Team, User
from burrow.integrations import dns_names
from burrow.integrations.models import Integration
from burrow.integrations.providers import display_name
from burrow.integrations.services import ACTIVITY_SCOPE, upsert

logger = logging.getLogger(__name__)

KEY_BITS = 2048
OWNERSHIP_HOST = "_burrow"
OWNERSHIP_PREFIX = "burrow-domain-verification="
DEFAULT_MAIL_FROM_SUBDOMAIN = "feedback"  # PostHog's default MAIL FROM subdomain
DEFAULT_LOCAL_PART = "reports"
BOUNCE_LOCAL_PART = "bounces"
LOOKUP_LIFETIME_SECONDS = 3.0
MAX_FROM_NAME = 100

PENDING, VERIFIED, MISSING, WRONG_VALUE, LOOKUP_FAILED = (
    "pending",
    "verified",
    "missing",
    "wrong_value",
    "lookup_failed",
)

DOMAIN_REQUIRED = 'A sender domain must be provided, e.g. {"domain": "example.com"}.'
DOMAIN_INVALID = (
    "{value} is not a registrable domain name. Use a domain you can publish DNS records for, such as "
    "example.com or mail.example.com."
)
SUBDOMAIN_INVALID = (
    "mail_from_subdomain must be a single DNS label (letters, digits and hyphens, up to 63), such as "
    f'"{DEFAULT_MAIL_FROM_SUBDOMAIN}".'
)
FROM_NAME_INVALID = f"from_name must be text of at most {MAX_FROM_NAME} characters on one line."
EMAIL_INVALID = "email must be an address at {domain}, such as {local}@{domain}."
NOT_EMAIL = "email/verify endpoint is only supported for Email integrations"


@dataclass(frozen=True)
class SenderOptions:
    domain: str
    email: str
    from_name: str
    mail_from_subdomain: str


def parse_options(config: dict) -> SenderOptions:
    """The connect body's fields, each checked, with defaults filled in."""
    raw = config.get("domain")
    if raw in (None, ""):
        raise ValidationError({"domain": DOMAIN_REQUIRED})
    try:
        domain = dns_names.normalise(raw)
    except dns_names.NotRegistrable:
        shown = raw[:100] if isinstance(raw, str) else "This value"
        raise ValidationError({"domain": DOMAIN_INVALID.format(value=shown)}) from None
    subdomain = config.get("mail_from_subdomain") or DEFAULT_MAIL_FROM_SUBDOMAIN
    if not dns_names.is_label(subdomain if not isinstance(subdomain, str) else subdomain.lower()):
        raise ValidationError({"mail_from_subdomain": SUBDOMAIN_INVALID})
    from_name = config.get("from_name")
    if from_name is None:
        from_name = parseaddr(settings.EMAIL_FROM)[0]
    if not isinstance(from_name, str) or len(from_name) > MAX_FROM_NAME or not from_name.isprintable():
        raise ValidationError({"from_name": FROM_NAME_INVALID})
    email = config.get("email") or f"{DEFAULT_LOCAL_PART}@{domain}"
    local, _, at = email.rpartition("@") if isinstance(email, str) else ("", "", "")
    if (
        not re.fullmatch(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}", local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or at.lower() != domain
    ):
        raise ValidationError({"email": EMAIL_INVALID.format(domain=domain, local=DEFAULT_LOCAL_PART)})
    return SenderOptions(domain, f"{local}@{domain}", from_name.strip(), subdomain.lower())


def spf_mechanisms() -> str:
    """What the SPF record authorises: BURROW_EMAIL_SPF, else the SMTP relay's host (`a:` for a name, `ip4:`
    / `ip6:` for an address), else `mx` (mail written to the outbox leaves through whatever the operator
    forwards it with)."""
    if settings.EMAIL_SPF.strip():
        return " ".join(settings.EMAIL_SPF.split())
    host = urlsplit(settings.EMAIL_URL).hostname if settings.EMAIL_URL else None
    if not host:
        return "mx"
    if re.fullmatch(r"[0-9.]+", host):
        return f"ip4:{host}"
    if ":" in host:
        return f"ip6:{host}"
    return f"a:{host}"


def _public_key(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def template_variables(config: dict, public_key: str) -> dict[str, str]:
    """The values the records are built from; the Domain Connect email template takes the same names."""
    return {
        "verifyToken": config["ownership_token"],
        "dkimSelector": config["dkim_selector"],
        "dkimKey": public_key,
        "mailFromSub": config["mail_from_subdomain"],
        "spfRules": config["spf_mechanisms"],
    }


def _records(config: dict, public_key: str) -> list[dict]:
    domain, values = config["domain"], template_variables(config, public_key)
    return [
        {
            "purpose": "ownership",
            "type": "TXT",
            "name": f"{OWNERSHIP_HOST}.{domain}",
            "value": f"{OWNERSHIP_PREFIX}{values['verifyToken']}",
        },
        {
            "purpose": "dkim",
            "type": "TXT",
            "name": f"{values['dkimSelector']}._domainkey.{domain}",
            "value": f"v=DKIM1; k=rsa; p={public_key}",
        },
        {
            "purpose": "spf",
            "type": "TXT",
            "name": f"{values['mailFromSub']}.{domain}",
            "value": f"v=spf1 {values['spfRules']} ~all",
        },
    ]


def public_key_of(integration: Integration) -> str:
    return _public_key(integration.sensitive_config["dkim_private_key"])


# Connecting


def connect(team: Team, user: User, config) -> tuple[Integration, bool]:
    """Creates the team's sender domain, or updates the name, address and bounce subdomain of the one it
    has (keeping its key and token). Returns the row and whether it is new."""
    if not isinstance(config, dict):
        raise ValidationError({"config": "Expected a dictionary of items."})
    options = parse_options(config)
    showable = {
        "domain": options.domain,
        "email": options.email,
        "from_name": options.from_name,
        "mail_from_subdomain": options.mail_from_subdomain,
        "spf_mechanisms": spf_mechanisms(),
    }
    return upsert(
        team,
        user,
        Integration.Kind.EMAIL,
        options.domain,
        lambda: _create(team, user, showable),
        lambda existing: _update(existing, showable),
        "This domain was being added twice at once. Please try again.",
    )


def _create(team: Team, user: User, showable: dict) -> Integration:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1: the form dkimpy reads
        serialization.NoEncryption(),
    ).decode()
    config = {
        **showable,
        # A selector of its own per row: two projects may send from one domain, each with its own key.
        "dkim_selector": f"burrow{secrets.token_hex(4)}",
        "ownership_token": secrets.token_urlsafe(24),
        "verified": False,
        "verified_at": None,
        "last_checked_at": None,
    }
    config["dns_records"] = [{**r, "status": PENDING} for r in _records(config, _public_key(private_pem))]
    integration = Integration.objects.create(
        team=team,
        kind=Integration.Kind.EMAIL,
        integration_id=showable["domain"],
        config=config,
        sensitive_config={"dkim_private_key": private_pem},
        created_by=user,
    )
    return integration


def _update(integration: Integration, showable: dict) -> Integration:
    config = {**(integration.config or {}), **showable}
    before = {r["name"]: r for r in (integration.config or {}).get("dns_records", [])}
    records = []
    for record in _records(config, public_key_of(integration)):
        old = before.get(record["name"])
        unchanged = old is not None and old.get("value") == record["value"]
        records.append({**record, "status": old["status"] if unchanged else PENDING})
    config["dns_records"] = records
    if not all(r["status"] == VERIFIED for r in records):
        config["verified"], config["verified_at"] = False, None
    integration.config = config
    integration.errors = ""
    integration.save(update_fields=["config", "errors"])
    return integration


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
    if len(policies) > 1:  # two SPF policies at one name is a permanent error for every receiver (§4.5)
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
        log_activity(
            team=current.team,
            user=user,
            scope=ACTIVITY_SCOPE,
            item_id=current.pk,
            activity="updated",
            name=display_name(current),
            changes=[change],
            context={"kind": current.kind},
        )
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
