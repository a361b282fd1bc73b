"""Every write to an organization domain — create, update, verify, delete, SCIM tokens — with its activity
log entry. The API (and later the CLI and SCIM/SAML flows) come through here.

The activity log never holds the SAML certificate (its change shows as "masked") nor a SCIM token, and
failed verification attempts are not logged (PostHog does the same)."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from burrow.core.models import ActivityLog, Organization, User
from burrow.domains.models import OrganizationDomain
from burrow.domains.verification import challenge_published

ACTIVITY_SCOPE = "OrganizationDomain"
MASKED = "masked"
DUPLICATE = "domain with this domain already exists."  # Django's unique message, as PostHog answers
# Human names PostHog's activity log uses for the fields of a domain.
FIELD_NAMES = {
    "jit_provisioning_enabled": "just-in-time provisioning",
    "sso_enforcement": "SSO enforcement",
    "saml_entity_id": "SAML entity ID",
    "saml_acs_url": "SAML ACS URL",
    "saml_x509_cert": "SAML X.509 certificate",
    "scim_enabled": "SCIM provisioning",
    "verified_at": "domain verification",
}
SECRET_FIELDS = {"saml_x509_cert"}


class DomainError(Exception):
    """A write the domain's state does not allow; `code` and the message go to the client as a 400."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class VerifiedElsewhere(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "verified_by_another_organization",
            "This domain has already been verified by another organization.",
        )


class AlreadyVerified(DomainError):
    def __init__(self) -> None:
        super().__init__("already_verified", "This domain has already been verified.")


class RetryTooSoon(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Request was throttled. Expected available in {retry_after} seconds.")
        self.retry_after = retry_after


class ScimNotEnabled(DomainError):
    def __init__(self) -> None:
        super().__init__("scim_not_enabled", "SCIM is not enabled for this domain")


def hash_scim_token(value: str) -> str:
    """Keyed SHA-256, as personal API keys are stored: a leaked database yields no working token."""
    pepper = hashlib.sha256(b"burrow-scim-token:" + settings.SECRET_KEY.encode()).digest()
    return "hmac-sha256$" + hmac.new(pepper, value.encode(), hashlib.sha256).hexdigest()


def scim_token_matches(domain: OrganizationDomain, value: str) -> bool:
    """Constant-time check of a bearer token against the domain's stored hash (False when SCIM is off)."""
    if not domain.has_scim or not value:
        return False
    return hmac.compare_digest(domain.scim_bearer_token_hash, hash_scim_token(value))


@dataclass
class Issued:
    """A domain and, when this write issued one, the plain SCIM token (shown once, never stored)."""

    domain: OrganizationDomain
    scim_bearer_token: str | None = None


def _log(domain: OrganizationDomain, user: User | None, activity: str, name: str, **detail: Any) -> None:
    # The organization-level form of core.activity.log_activity (which needs a team): same detail keys.
    ActivityLog.objects.create(
        organization_id=domain.organization_id,
        user=user if user and user.is_authenticated else None,
        activity=activity,
        scope=ACTIVITY_SCOPE,
        item_id=str(domain.id),
        detail={
            "id": str(domain.id),
            "changes": detail.get("changes", []),
            "merge": None,
            "trigger": None,
            "name": name,
            "short_id": None,
            "type": None,
            "context": {"organization_id": str(domain.organization_id), "domain": domain.domain},
        },
    )


def _shown(field: str, value: Any) -> Any:
    if field in SECRET_FIELDS:
        return MASKED if value else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": ACTIVITY_SCOPE,
            "action": "changed",
            "field": FIELD_NAMES.get(field, field),
            "before": _shown(field, before.get(field)),
            "after": _shown(field, value),
        }
        for field, value in after.items()
        if before.get(field) != value
    ]


def create(organization: Organization, user: User | None, fields: dict[str, Any]) -> OrganizationDomain:
    """A new claim: never verified, without JIT, enforcement or SCIM, whatever the request said.
    Refused when another organization already holds the domain verified."""
    allowed = {
        k: v for k, v in fields.items() if k in ("domain", "saml_entity_id", "saml_acs_url", "saml_x509_cert")
    }
    domain_name = allowed["domain"]
    with transaction.atomic():
        if OrganizationDomain.objects.filter(domain=domain_name, verified_at__isnull=False).exists():
            raise DomainError("unique", DUPLICATE)
        try:
            with transaction.atomic():
                domain = OrganizationDomain.objects.create(organization=organization, **allowed)
        except IntegrityError:
            raise DomainError("unique", DUPLICATE) from None
        _log(
            domain,
            user,
            "created",
            f"Domain {domain.domain} was added to organization {organization.name}",
        )
    return domain


def update(domain: OrganizationDomain, user: User | None, fields: dict[str, Any]) -> Issued:
    """Saves the changed fields on the locked row. Turning SCIM on issues a token (returned once); turning
    it off forgets the token; sending `true` while it is on changes nothing."""
    token = None
    with transaction.atomic():
        locked = OrganizationDomain.objects.select_for_update().get(pk=domain.pk)
        fields = dict(fields)
        fields.pop("domain", None)
        if fields.get("scim_enabled") and not locked.scim_enabled:
            token = secrets.token_urlsafe(32)
            locked.scim_bearer_token_hash = hash_scim_token(token)
        elif fields.get("scim_enabled") is False:
            locked.scim_bearer_token_hash = ""
        before = {field: getattr(locked, field) for field in fields}
        for field, value in fields.items():
            setattr(locked, field, value)
        changed = [f for f in fields if before[f] != fields[f]]
        if token is not None or "scim_enabled" in changed:
            changed.append("scim_bearer_token_hash")
        if changed:
            locked.save(update_fields=changed)
        changes = _changes(before, {f: fields[f] for f in fields})
        if changes:
            _log(locked, user, "updated", locked.domain, changes=changes)
    return Issued(locked, token)


def rotate_scim_token(domain: OrganizationDomain, user: User | None) -> Issued:
    """A new token; the old one stops matching at once."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = OrganizationDomain.objects.select_for_update().get(pk=domain.pk)
        if not locked.scim_enabled:
            raise ScimNotEnabled()
        locked.scim_bearer_token_hash = hash_scim_token(token)
        locked.save(update_fields=["scim_bearer_token_hash"])
        _log(
            locked,
            user,
            "updated",
            locked.domain,
            changes=[
                {
                    "type": ACTIVITY_SCOPE,
                    "action": "changed",
                    "field": "SCIM bearer token",
                    "before": MASKED,
                    "after": MASKED,
                }
            ],
        )
    return Issued(locked, token)


def verify(domain: OrganizationDomain, user: User | None) -> OrganizationDomain:
    """Looks the challenge up in DNS. Success records `verified_at`; a miss records the attempt in
    `last_verification_retry`, and a new attempt is refused (RetryTooSoon) until
    `DOMAIN_VERIFY_RETRY_SECONDS` have passed — claimed with a compare-and-set, so concurrent requests
    cannot go around it."""
    if domain.is_verified:
        raise AlreadyVerified()
    if _verified_elsewhere(domain):
        raise VerifiedElsewhere()
    now = timezone.now()
    interval = timedelta(seconds=float(settings.DOMAIN_VERIFY_RETRY_SECONDS))
    claimed = (
        OrganizationDomain.objects.filter(pk=domain.pk, verified_at__isnull=True)
        .filter(Q(last_verification_retry__isnull=True) | Q(last_verification_retry__lte=now - interval))
        .update(last_verification_retry=now)
    )
    if not claimed:
        domain.refresh_from_db()
        if domain.is_verified:
            raise AlreadyVerified()
        waited = now - domain.last_verification_retry
        raise RetryTooSoon(max(1, int((interval - waited).total_seconds() + 0.999)))

    if not challenge_published(domain.domain, domain.verification_challenge):
        domain.refresh_from_db()
        return domain
    try:
        with transaction.atomic():
            OrganizationDomain.objects.filter(pk=domain.pk, verified_at__isnull=True).update(
                verified_at=now, last_verification_retry=None
            )
            domain.refresh_from_db()
            _log(
                domain,
                user,
                "updated",
                domain.domain,
                changes=_changes({"verified_at": None}, {"verified_at": domain.verified_at}),
            )
    except IntegrityError:
        raise VerifiedElsewhere() from None
    return domain


def _verified_elsewhere(domain: OrganizationDomain) -> bool:
    return (
        OrganizationDomain.objects.filter(domain=domain.domain, verified_at__isnull=False)
        .exclude(pk=domain.pk)
        .exists()
    )


def delete(domain: OrganizationDomain, user: User | None) -> None:
    with transaction.atomic():
        _log(
            domain,
            user,
            "deleted",
            f"Domain {domain.domain} was removed from organization {domain.organization.name}",
        )
        domain.delete()
