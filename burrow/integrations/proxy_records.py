"""Proxy records: a subdomain an organization owns (`e.example.com`) to point at Burrow with a CNAME. Burrow
keeps the record's domain and the CNAME target; Domain Connect's `proxy` context publishes it at the
organization's DNS provider. The target is this instance's host (BURROW_SITE_URL) unless one is given."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from burrow.core import dns
from burrow.core.models import Organization, User
from burrow.integrations import dns_names
from burrow.integrations.models import ProxyRecord

DOMAIN_REQUIRED = "A domain must be provided, such as e.example.com."
DOMAIN_INVALID = "{value} is not a domain name below a registrable domain, such as e.example.com."
ROOT_NOT_ALLOWED = (
    "A CNAME cannot be published at the root of a domain: use a subdomain of {root}, such as e.{root}."
)
TARGET_INVALID = "target_cname must be a public host name, such as burrow.example.com."
TARGET_NEEDED = (
    "This instance's address (BURROW_SITE_URL) is not a public host name a CNAME can point to: give "
    "target_cname."
)
TARGET_IS_DOMAIN = "target_cname cannot be the proxy domain itself."
DUPLICATE = "This organization already has a proxy record for {domain}."


def default_target() -> str | None:
    """The host of BURROW_SITE_URL when a CNAME can point at it (a registrable name, not an address)."""
    host = urlsplit(settings.SITE_URL).hostname or ""
    try:
        return dns_names.normalise(host)
    except dns_names.NotRegistrable:
        return None


def _domain(value: object) -> str:
    if value in (None, ""):
        raise ValidationError({"domain": DOMAIN_REQUIRED})
    try:
        domain = dns_names.normalise(value)
    except dns_names.NotRegistrable:
        shown = value[:100] if isinstance(value, str) else "This value"
        raise ValidationError({"domain": DOMAIN_INVALID.format(value=shown)}) from None
    root, host = dns_names.split_root(domain)
    if not host:
        raise ValidationError({"domain": ROOT_NOT_ALLOWED.format(root=root)})
    return domain


def _target(value: object, domain: str) -> str:
    if value in (None, ""):
        target = default_target()
        if target is None:
            raise ValidationError({"target_cname": TARGET_NEEDED})
    else:
        try:
            target = dns_names.normalise(value)
        except dns_names.NotRegistrable:
            raise ValidationError({"target_cname": TARGET_INVALID}) from None
    if target == domain:
        raise ValidationError({"target_cname": TARGET_IS_DOMAIN})
    return target


def create(
    organization: Organization, user: User, domain: object, target_cname: object = None
) -> ProxyRecord:
    domain = _domain(domain)
    target = _target(target_cname, domain)
    if ProxyRecord.objects.filter(organization=organization, domain=domain).exists():
        raise ValidationError({"domain": DUPLICATE.format(domain=domain)})
    try:
        with transaction.atomic():
            return ProxyRecord.objects.create(
                organization=organization, domain=domain, target_cname=target, created_by=user
            )
    except IntegrityError:  # created at the same moment by another request
        raise ValidationError({"domain": DUPLICATE.format(domain=domain)}) from None


def check(record: ProxyRecord) -> ProxyRecord:
    """Looks the CNAME up and records what DNS says: `valid` when it points at the target, `erroring` when
    it points elsewhere, `waiting` while there is none. A DNS fault changes no status (the record may well
    be in place); the message says to try again."""
    try:
        found = dns.cname_target(record.domain)
    except dns.LookupFailed as failure:
        record.message = f"The DNS look-up of {record.domain} failed ({failure}); try again in a minute."
    else:
        if found == record.target_cname:
            record.status, record.message = ProxyRecord.Status.VALID, ""
        elif found is None:
            record.status = ProxyRecord.Status.WAITING
            record.message = f"No CNAME record at {record.domain} yet: publish {record.domain} CNAME {record.target_cname}."
        else:
            record.status = ProxyRecord.Status.ERRORING
            record.message = f"{record.domain} is a CNAME for {found}, not {record.target_cname}."
    record.save(update_fields=["status", "message", "updated_at"])
    return record


def delete(record: ProxyRecord) -> None:
    record.delete()
