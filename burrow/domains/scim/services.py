"""Every read and write the SCIM server makes, scoped to one domain and its organization. The views parse and
answer; this module decides who is visible and what a provisioning request changes.

Who a domain's SCIM server sees: people whose address is in the domain and who are either members of the
domain's organization (`active: true`), or members of no organization at all, or provisioned through this
domain's SCIM server (a `ScimUser` record) — the last two as `active: false`, e.g. after a deactivation. A
person who belongs only to other organizations and whom this domain never provisioned is not this
organization's business: 404.

What SCIM keeps beyond the account is the `ScimUser` record of (domain, user): the provider's `externalId`,
and `updated_at` (meta.lastModified). Every SCIM write to a person makes or refreshes it; DELETE removes it.

What the writes do (docs/scim.md):
* create — a new person (passwordless, address verified) or the existing account with that address, joined
  as a member unless `active: false`; already a member → 409 `uniqueness`.
* `active: false` — removes this organization's membership only.
* DELETE — the same, and when the person then belongs to no organization the account is disabled (no
  sign-in), and the `ScimUser` record goes, so they are "gone" (404 afterwards). A later create with the
  same address enables the account again.
* groups are the organization's roles: adding someone to member or admin sets their level (joining them if
  needed); removing them from admin makes them a member; removing them from member removes the membership.
* owners are managed only by owners, in Burrow: the token belongs to no one, so whoever holds it must not be
  able to make, unmake or change an owner. The owner group cannot be written, and a write that would change
  an owner (their address, names, `active`, role, or DELETE) is refused with 403; re-sending what Burrow
  already holds, or an externalId (the provider's own record), is answered as usual.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from burrow.core.models import Organization, OrganizationMembership, User
from burrow.domains import provisioning
from burrow.domains.models import OrganizationDomain, ScimUser
from burrow.domains.scim import audit, resources
from burrow.domains.scim.filters import user_filter

MEMBER = OrganizationMembership.Level.MEMBER
OWNER = OrganizationMembership.Level.OWNER
USER_NOT_FOUND = "User not found"
NAME_LENGTH = 150  # User.first_name / last_name
EXTERNAL_ID_LENGTH = 255  # ScimUser.external_id
OWNERS_ARE_BURROWS = "owners are managed only by owners, in Burrow, never through SCIM."


class ScimProblem(Exception):
    """A request Burrow refuses: `status`, `scim_type` and `detail` go to the client as a SCIM error."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def visible_users(domain: OrganizationDomain) -> QuerySet[User]:
    """The people this domain's SCIM server may see, each annotated with `scim_level` (their membership level
    in the organization, None when they are not a member), `scim_external_id` and `scim_modified` (from the
    domain's `ScimUser` record; without one, no externalId and the account's creation) — one query, whatever
    the page size."""
    here = OrganizationMembership.objects.filter(organization_id=domain.organization_id, user=OuterRef("pk"))
    anywhere = OrganizationMembership.objects.filter(user=OuterRef("pk"))
    record = ScimUser.objects.filter(domain_id=domain.id, user=OuterRef("pk"))
    return (
        User.objects.filter(email_key__endswith=f"@{domain.domain}")
        .annotate(
            scim_level=Subquery(here.values("level")[:1]),
            scim_record=Exists(record),
            scim_external_id=Subquery(record.values("external_id")[:1]),
            scim_modified=Coalesce(Subquery(record.values("updated_at")[:1]), F("date_joined")),
        )
        .filter(Q(scim_level__isnull=False) | Q(scim_record=True) | (~Exists(anywhere) & Q(is_active=True)))
    )


def list_users(
    domain: OrganizationDomain, filter_node: Any, start_index: int, count: int
) -> tuple[int, list[User]]:
    """(total matching, the page) — `start_index` is 1-based (RFC 7644 §3.4.2.4); ordered by id so pages are
    stable while people are added."""
    queryset = visible_users(domain)
    if filter_node is not None:
        queryset = queryset.filter(user_filter(filter_node))
    page = list(queryset.order_by("pk")[start_index - 1 : start_index - 1 + count]) if count else []
    if page and len(page) < count:
        # A page that is neither empty nor full ends the list, so it tells the total without counting: an
        # identity provider's look-up of one person (`userName eq`) is one query, not two.
        return start_index - 1 + len(page), page
    return queryset.count(), page


def get_user(domain: OrganizationDomain, user_id: str, lock: bool = False) -> User:
    """The visible user with that id, or 404 "User not found" (also for ids that are not numbers)."""
    try:
        pk = int(user_id)
    except ValueError:
        raise ScimProblem(404, USER_NOT_FOUND) from None
    queryset = visible_users(domain).filter(pk=pk)
    if lock:
        # Only the user's own row: a lock on the annotated query would take the membership tables too.
        User.objects.select_for_update().filter(pk=pk).first()
    user = queryset.first()
    if user is None:
        raise ScimProblem(404, USER_NOT_FOUND)
    return user


def create_user(domain: OrganizationDomain, resource: resources.User) -> User:
    email = _address(domain, resource.user_name)
    given, family = _names(resource)
    with transaction.atomic():
        user = provisioning.find_user(email)
        if user is None:
            user = provisioning.create_user(email, given, family)
            created = True
        else:
            User.objects.select_for_update().filter(pk=user.pk).first()
            if OrganizationMembership.objects.filter(
                organization_id=domain.organization_id, user=user
            ).exists():
                raise ScimProblem(
                    409,
                    f"{email} is already a member of this organization; update it with PUT or PATCH "
                    '(find its id with filter=userName eq "…").',
                    "uniqueness",
                )
            user.is_active = True
            if resource.name is not None:  # an account joined without a name keeps the one it has
                user.first_name, user.last_name = given, family
            user.save(update_fields=["first_name", "last_name", "is_active"])
            created = False
        user.scim_level = None
        if resource.active is not False:
            user.scim_level = provisioning.join_organization(user, domain.organization, MEMBER).level
        _remember(domain, user, resource.external_id, changed=True)
        audit.record(
            domain,
            user,
            "created" if created else "joined",
            [audit.level_change(None, user.scim_level)] if user.scim_level is not None else [],
            active=resource.active is not False,
        )
    return user


def replace_user(domain: OrganizationDomain, user_id: str, wanted: resources.User) -> User:
    """Makes the user look like `wanted` (a PUT body, or the current state with a PATCH applied): address,
    names, and `active` when it is given (left out, the membership is kept as it is)."""
    with transaction.atomic():
        user = get_user(domain, user_id, lock=True)
        email = _address(domain, wanted.user_name)
        given, family = _names(wanted)
        changed = {}
        if email != user.email:
            if provisioning.find_user(email) not in (None, user):
                raise ScimProblem(409, f"Another user already has the address {email}.", "uniqueness")
            changed["email"] = email
        if (given, family) != (user.first_name, user.last_name):
            changed.update(first_name=given, last_name=family)
        member = user.scim_level is not None
        active_changed = wanted.active is not None and wanted.active != member
        if changed or active_changed:
            _refuse_owner(domain.organization, user)
        before = {field: getattr(user, field) for field in changed}
        if changed:
            for field, value in changed.items():
                setattr(user, field, value)
            try:
                with transaction.atomic():
                    user.save(update_fields=list(changed))
            except IntegrityError:
                raise ScimProblem(
                    409, f"Another user already has the address {email}.", "uniqueness"
                ) from None
        level_before = user.scim_level
        if wanted.active is True and not member:
            user.scim_level = provisioning.join_organization(user, domain.organization, MEMBER).level
        elif wanted.active is False and member:
            _leave(domain.organization, user)
            user.scim_level = None
        external_id = _external_id(wanted.external_id)
        if external_id != user.scim_external_id:
            before["external_id"] = user.scim_external_id
            changed["external_id"] = external_id
        _remember(domain, user, external_id, changed=bool(changed) or active_changed)
        if changed or active_changed:
            changes = [
                audit.change(f, before[f], value) for f, value in changed.items() if before[f] != value
            ]
            if active_changed:
                changes.append(audit.level_change(level_before, user.scim_level))
            audit.record(domain, user, "updated", changes, fields=sorted(changed), active=wanted.active)
    return user


def delete_user(domain: OrganizationDomain, user_id: str) -> None:
    with transaction.atomic():
        user = get_user(domain, user_id, lock=True)
        _leave(domain.organization, user)
        if not OrganizationMembership.objects.filter(user=user).exists():
            User.objects.filter(pk=user.pk).update(is_active=False)
        ScimUser.objects.filter(domain=domain, user=user).delete()
        audit.record(domain, user, "deleted", [audit.level_change(user.scim_level, None)])


def role_members(domain: OrganizationDomain) -> dict[str, list[User]]:
    """Each role's members among the domain's people, in one query."""
    members: dict[str, list[User]] = {role: [] for role in resources.ROLES}
    for user in visible_users(domain).filter(scim_level__isnull=False).order_by("pk"):
        role = resources.ROLE_OF_LEVEL.get(user.scim_level)
        if role:
            members[role].append(user)
    return members


def set_role_members(domain: OrganizationDomain, role: str, wanted_ids: set[str]) -> None:
    """Makes the role's members (among the domain's people) exactly `wanted_ids`; the owner role is never
    written, and no owner is moved to another."""
    level = resources.ROLES[role]
    if level == OWNER:
        raise ScimProblem(403, f'The "owner" group cannot be changed through SCIM: {OWNERS_ARE_BURROWS}')
    with transaction.atomic():
        current = {str(u.pk): u for u in visible_users(domain).filter(scim_level=level)}
        added_ids = wanted_ids - set(current)
        removed = [user for pk, user in current.items() if pk not in wanted_ids]
        added = _users_by_id(domain, added_ids)
        for user in added:
            if user.scim_level is None:
                provisioning.join_organization(user, domain.organization, level)
            else:
                _set_level(domain.organization, user, level)
        for user in removed:
            if level == MEMBER:
                _leave(domain.organization, user)
            else:
                _set_level(domain.organization, user, MEMBER)
        # Their groups (and maybe `active`) changed: lastModified moves, and whoever the provider joined
        # stays its to see after a later deactivation.
        for user in added + removed:
            _remember(domain, user, user.scim_external_id, changed=True)
        for user in added:
            audit.record(domain, user, "updated", [audit.level_change(user.scim_level, level)], role=role)
        for user in removed:
            after = None if level == MEMBER else MEMBER
            role_after = resources.ROLE_OF_LEVEL.get(after)
            audit.record(domain, user, "updated", [audit.level_change(level, after)], role=role_after)


def _users_by_id(domain: OrganizationDomain, ids: set[str]) -> list[User]:
    numeric = {int(pk) for pk in ids if pk.isdigit()}
    found = list(visible_users(domain).filter(pk__in=numeric))
    missing = sorted(ids - {str(user.pk) for user in found})
    if missing:
        raise ScimProblem(400, f"No user with id {missing[0]} in this domain.", "invalidValue")
    return found


def _external_id(value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > EXTERNAL_ID_LENGTH:
        raise ScimProblem(400, f"externalId is longer than {EXTERNAL_ID_LENGTH} characters.", "invalidValue")
    return value or None


def _remember(domain: OrganizationDomain, user: User, external_id: str | None, changed: bool) -> None:
    """Makes or refreshes the domain's `ScimUser` record of `user` (its externalId, and `updated_at` when
    `changed`), and sets the annotations `visible_users` would give the user so the answer shows it."""
    external_id = _external_id(external_id)
    record = ScimUser.objects.filter(domain=domain, user=user).first()
    if record is None or changed or record.external_id != external_id:
        taken = ScimUser.objects.filter(domain=domain, external_id=external_id).exclude(user=user)
        if external_id is not None and taken.exists():
            raise ScimProblem(409, f"Another user already has the externalId {external_id}.", "uniqueness")
        record = record or ScimUser(domain=domain, user=user)
        record.external_id = external_id
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            raise ScimProblem(
                409, f"Another user already has the externalId {external_id}.", "uniqueness"
            ) from None
    user.scim_record = True
    user.scim_external_id = record.external_id
    user.scim_modified = record.updated_at


def _address(domain: OrganizationDomain, user_name: str | None) -> str:
    email = (user_name or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ScimProblem(
            400, f"userName must be an e-mail address at {domain.domain}.", "invalidValue"
        ) from None
    if len(email) > 254 or provisioning.email_domain(email) != domain.domain:
        raise ScimProblem(400, f"userName must be an e-mail address at {domain.domain}.", "invalidValue")
    # The domain part is stored lower-cased, as the user manager does on create.
    local, _, _ = email.rpartition("@")
    return f"{local}@{domain.domain}"


def _names(resource: resources.User) -> tuple[str, str]:
    name = resource.name
    names = ((name.given_name or "").strip(), (name.family_name or "").strip()) if name else ("", "")
    for attribute, value in zip(("name.givenName", "name.familyName"), names, strict=True):
        # Refused rather than cut: the identity provider would otherwise believe a value Burrow does not hold.
        if len(value) > NAME_LENGTH:
            raise ScimProblem(400, f"{attribute} is longer than {NAME_LENGTH} characters.", "invalidValue")
    return names


def _leave(organization: Organization, user: User) -> None:
    _refuse_owner(organization, user)
    provisioning.leave_organization(user, organization)


def _set_level(organization: Organization, user: User, level: int) -> None:
    _refuse_owner(organization, user)
    OrganizationMembership.objects.filter(organization=organization, user=user).update(level=level)


def _refuse_owner(organization: Organization, user: User) -> None:
    """403 when `user` is an owner of the organization. The membership row is locked until the change commits,
    so someone made owner in Burrow meanwhile is seen rather than overwritten."""
    membership = (
        OrganizationMembership.objects.select_for_update()
        .filter(organization=organization, user=user)
        .first()
    )
    if membership is not None and membership.level == OWNER:
        raise ScimProblem(403, f"{user.email} is an owner of the organization: {OWNERS_ARE_BURROWS}")
