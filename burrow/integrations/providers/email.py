"""Sender domains, the `email` kind: a project names a domain it controls, and Burrow itself makes what other
providers hand back, with no provider to call: a DKIM key pair, an ownership token and the DNS records to
publish (ownership TXT, DKIM TXT, SPF TXT on the bounce subdomain), checked over DNS on request (its
`email/verify` action). Sending from the domain is `email_domains.py`'s.

The private key lives in `sensitive_config` (encrypted at rest, never shown); everything else, records and
their last status included, is in `config`. One row per project and domain (`integration_id` is the domain):
connecting the same domain again changes the sender's name and address but keeps the key and the token, so
records already published stay right."""

import base64
import logging
import re
import secrets
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from burrow.core.dns import LookupFailed, txt_records
from burrow.core.models import User
from burrow.integrations import dns_names, services
from burrow.integrations.models import Integration
from burrow.integrations.providers.base import Action, ActionResult, Connection, Provider

logger = logging.getLogger(__name__)

KEY_BITS = 2048
OWNERSHIP_HOST = "_burrow"
OWNERSHIP_PREFIX = "burrow-domain-verification="
DEFAULT_MAIL_FROM_SUBDOMAIN = "feedback"  # PostHog's default MAIL FROM subdomain
DEFAULT_LOCAL_PART = "reports"
MAX_FROM_NAME = 100
LOOKUP_LIFETIME_SECONDS = 3.0

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


def public_key_of(integration) -> str:
    return _public_key(integration.sensitive_config["dkim_private_key"])


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
        services.log_integration(current, user, "updated", changes=[change])
    return current


class EmailProvider(Provider):
    kind = "email"
    label = "Email"
    uses_state = False  # Burrow makes the keys: no consent page, no state
    connecting_twice = "This domain was being added twice at once. Please try again."
    reconnect_takes_over = False  # re-adding a domain changes its sender, not who added it
    actions = (
        Action(
            name="email_verify",
            url_path="email/verify",
            detail=True,
            run=lambda request: ActionResult(integration=verify(request.integration, request.user)),
            description="Looks up a sender domain's DNS records and stores each one's `status` in "
            '`config.dns_records`;\n`config.verified` is true once all are in place. DNS failures mean "not '
            'verified" (200).',
        ),
    )

    def connect(self, config: dict, *, redirect_uri: str, installation_id: str = "") -> Connection:
        options = parse_options(config)
        showable = {
            "domain": options.domain,
            "email": options.email,
            "from_name": options.from_name,
            "mail_from_subdomain": options.mail_from_subdomain,
            "spf_mechanisms": spf_mechanisms(),
        }
        return Connection(options.domain, showable, {})

    def stored(self, connection: Connection, existing) -> Connection:
        """A new domain gets its key, selector, token and records; a known one keeps them, and each record
        keeps its status while its value is unchanged."""
        if existing is None:
            return self._new_sender(connection)
        config = {**(existing.config or {}), **connection.config}
        before = {r["name"]: r for r in (existing.config or {}).get("dns_records", [])}
        records = []
        for record in _records(config, public_key_of(existing)):
            old = before.get(record["name"])
            unchanged = old is not None and old.get("value") == record["value"]
            records.append({**record, "status": old["status"] if unchanged else PENDING})
        config["dns_records"] = records
        if not all(r["status"] == VERIFIED for r in records):
            config["verified"], config["verified_at"] = False, None
        return Connection(connection.integration_id, config, existing.sensitive_config)

    def _new_sender(self, connection: Connection) -> Connection:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1: the form dkimpy reads
            serialization.NoEncryption(),
        ).decode()
        config = {
            **connection.config,
            # A selector of its own per row: two projects may send from one domain, each with its own key.
            "dkim_selector": f"burrow{secrets.token_hex(4)}",
            "ownership_token": secrets.token_urlsafe(24),
            "verified": False,
            "verified_at": None,
            "last_checked_at": None,
        }
        config["dns_records"] = [{**r, "status": PENDING} for r in _records(config, _public_key(private_pem))]
        return Connection(connection.integration_id, config, {"dkim_private_key": private_pem})

    def display_name(self, integration) -> str:
        """The sender's address (PostHog's `config.email`)."""
        return str((integration.config or {}).get("email") or integration.integration_id)


provider = EmailProvider()
