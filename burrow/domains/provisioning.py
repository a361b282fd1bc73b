"""Who an e-mail address belongs to: the verified domain that governs it, and the one way people join an
organization through a domain (SAML just-in-time provisioning and SCIM both come through here)."""

from django.db import IntegrityError, transaction

from burrow.core.addresses import InvalidAddress, address_domain, address_key
from burrow.core.models import Organization, OrganizationMembership, User
from burrow.domains.models import OrganizationDomain


def email_domain(email: str) -> str:
    """The address's domain in its IDNA form, as organization domains are stored ("" for a malformed address):
    `bob@tſinc.example` is at `tsinc.example`."""
    try:
        return address_domain(email)
    except InvalidAddress:
        return ""


def verified_domain_for_email(email: str) -> OrganizationDomain | None:
    """The verified claim on the address's domain; at most one exists (a partial unique index)."""
    domain = email_domain(email)
    if not domain:
        return None
    return (
        OrganizationDomain.objects.select_related("organization")
        .filter(domain=domain, verified_at__isnull=False)
        .first()
    )


def sso_enforcement_for_email(email: str) -> str | None:
    """The provider a password login must use instead, or None when passwords are allowed (self-hosted
    Burrow has no plan gates: no licence check)."""
    domain = verified_domain_for_email(email)
    return domain.sso_enforcement if domain is not None and domain.sso_enforcement else None


def find_user(email: str) -> User | None:
    """The account of the address in any spelling (see burrow.core.addresses), None for a malformed one."""
    try:
        key = address_key(email)
    except InvalidAddress:
        return None
    return User.objects.filter(email_key=key).first()


def create_user(email: str, first_name: str = "", last_name: str = "") -> User:
    """A person who signs in through their identity provider: no usable password, address vouched for by the
    domain's owner. An address created concurrently by another request is returned, not duplicated."""
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email.strip(),
                password=None,
                first_name=first_name[:150],
                last_name=last_name[:150],
                is_email_verified=True,
            )
    except IntegrityError:
        user = find_user(email)
        if user is None:
            raise
        return user


def join_organization(
    user: User,
    organization: Organization,
    level: int = OrganizationMembership.Level.MEMBER,
) -> OrganizationMembership:
    """The user's membership of the organization; an existing membership keeps its level."""
    membership, _ = OrganizationMembership.objects.get_or_create(
        organization=organization, user=user, defaults={"level": level}
    )
    if user.current_organization_id is None:
        User.objects.filter(pk=user.pk, current_organization__isnull=True).update(
            current_organization=organization
        )
    return membership


def leave_organization(user: User, organization: Organization) -> bool:
    """Removes this organization's membership only; the user and their other organizations are untouched."""
    deleted, _ = OrganizationMembership.objects.filter(organization=organization, user=user).delete()
    if deleted:
        # `@current` must not keep pointing into an organization the user has left.
        User.objects.filter(pk=user.pk, current_organization=organization).update(current_organization=None)
        User.objects.filter(pk=user.pk, current_team__organization=organization).update(current_team=None)
    return bool(deleted)
