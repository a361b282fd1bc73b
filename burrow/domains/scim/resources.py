"""What the SCIM server publishes, as scim2-models resources: the attributes Burrow can keep for a person and
for a role, the discovery documents (ServiceProviderConfig, ResourceTypes, Schemas) built from them, and the
conversion of Burrow rows into resources.

The models declare only what Burrow stores, so the published schemas are honest: a person is an e-mail
address (`userName`, echoed read-only in `emails`), a given and a family name, and `active` (a membership of
the domain's organization). A group is one of the organization's three roles. Anything else an identity
provider sends (displayName, phone numbers, the enterprise extension…) is accepted and dropped (POLICY)."""

from datetime import datetime
from typing import Annotated, Any, ClassVar

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Filter,
    GroupMember,
    GroupMembership,
    Meta,
    Mutability,
    Patch,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

from burrow.core.models import OrganizationMembership
from burrow.links import scim_base_url

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
MAX_RESULTS = 200  # a page never holds more (ServiceProviderConfig.filter.maxResults)

# Identity providers send more than the schemas declare and Microsoft Entra bends the PATCH rules; accept
# both rather than refuse a whole request for an attribute Burrow would not keep anyway.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
)


class Name(ComplexAttribute):
    given_name: str | None = None
    """The person's given (first) name."""

    family_name: str | None = None
    """The person's family (last) name."""


class Email(ComplexAttribute):
    value: Annotated[str | None, Mutability.read_only] = None
    """The person's address: always their userName."""

    type: Annotated[str | None, Mutability.read_only] = None
    """Always "work"."""

    primary: Annotated[bool | None, Mutability.read_only] = None
    """Always true: Burrow keeps one address per person."""


class User(Resource[Any]):
    """A person of the organization, known by their e-mail address in the domain."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The person's e-mail address; it must be in the domain the SCIM endpoint belongs to."""

    name: Name | None = None
    """The components of the person's name Burrow keeps."""

    Name: ClassVar[type[ComplexAttribute]] = Name

    emails: Annotated[list[Email] | None, Mutability.read_only] = None
    """The person's address (their userName), as a primary work e-mail."""

    Emails: ClassVar[type[ComplexAttribute]] = Email

    active: bool | None = None
    """Whether the person is a member of the organization; false removes the membership. Published as
    required: it always has a value and cannot be removed (left out of a create it means true)."""

    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None
    """The person's role in the organization while they are a member."""

    Groups: ClassVar[type[ComplexAttribute]] = GroupMembership


class Group(Resource[Any]):
    """One of the organization's roles (member, admin, owner); its members are the people holding it."""

    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true, Mutability.immutable] = None
    """The role's name."""

    members: list[GroupMember] | None = None
    """The people of the domain holding this role (value: the user's id)."""

    Members: ClassVar[type[ComplexAttribute]] = GroupMember


# A role's group id and displayName are its name: stable, readable, and the same on every installation.
ROLES: dict[str, int] = {
    "member": OrganizationMembership.Level.MEMBER,
    "admin": OrganizationMembership.Level.ADMIN,
    "owner": OrganizationMembership.Level.OWNER,
}
ROLE_OF_LEVEL = {level: role for role, level in ROLES.items()}


def user_location(domain_id: Any, user_id: int | str) -> str:
    return f"{scim_base_url(domain_id)}/Users/{user_id}"


def group_location(domain_id: Any, role: str) -> str:
    return f"{scim_base_url(domain_id)}/Groups/{role}"


def user_resource(domain_id: Any, user: Any, level: int | None) -> User:
    """The SCIM form of a Burrow user; `level` is their membership level in the organization, None when they
    are not a member. `externalId` and `lastModified` come from the domain's `ScimUser` record, which
    `services.visible_users` annotates the user with (`scim_external_id`, `scim_modified`); without one there
    is no externalId and lastModified is the account's creation."""
    name = None
    if user.first_name or user.last_name:
        name = Name(given_name=user.first_name or None, family_name=user.last_name or None)
    role = ROLE_OF_LEVEL.get(level) if level is not None else None
    return User(
        id=str(user.pk),
        external_id=getattr(user, "scim_external_id", None),
        user_name=user.email,
        name=name,
        emails=[Email(value=user.email, type="work", primary=True)],
        active=level is not None,
        groups=[GroupMembership(value=role, ref=group_location(domain_id, role), display=role)]
        if role
        else None,
        meta=Meta(
            resource_type="User",
            created=user.date_joined,
            last_modified=max(getattr(user, "scim_modified", None) or user.date_joined, user.date_joined),
            location=user_location(domain_id, user.pk),
        ),
    )


def group_resource(domain_id: Any, role: str, created: datetime, members: list[Any]) -> Group:
    """The SCIM form of a role; `members` are the users holding it (already limited to the domain)."""
    return Group(
        id=role,
        display_name=role,
        members=[
            GroupMember(
                value=str(user.pk), ref=user_location(domain_id, user.pk), type="User", display=user.email
            )
            for user in members
        ]
        or None,
        meta=Meta(resource_type="Group", created=created, location=group_location(domain_id, role)),
    )


def service_provider_config(domain_id: Any) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="The domain's SCIM token: Authorization: Bearer <token>.",
                primary=True,
            )
        ],
        meta=Meta(
            resource_type="ServiceProviderConfig",
            location=f"{scim_base_url(domain_id)}/ServiceProviderConfig",
        ),
    )


def resource_types(domain_id: Any) -> list[ResourceType]:
    base = scim_base_url(domain_id)
    types = []
    for model, name, endpoint in ((User, "User", "/Users"), (Group, "Group", "/Groups")):
        types.append(
            ResourceType(
                id=name,
                name=name,
                description=model.__doc__,
                endpoint=endpoint,
                schema_=model.__schema__,
                meta=Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/{name}"),
            )
        )
    return types


def schemas(domain_id: Any) -> list[Any]:
    base = scim_base_url(domain_id)
    published = []
    for model in (User, Group):
        schema = model.to_schema()
        for attribute in schema.attributes:
            if attribute.name == "active":
                # Derived from the membership, so never unassigned: RFC 7644 §3.5.2.2 refuses removing it.
                attribute.required = True
        schema.meta = Meta(resource_type="Schema", location=f"{base}/Schemas/{model.__schema__}")
        published.append(schema)
    return published
