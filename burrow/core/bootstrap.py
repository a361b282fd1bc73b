"""Creating tenants and keys for `burrow bootstrap` (and the demo of `make run`)."""

from dataclasses import dataclass

from django.db import transaction

from burrow.core.addresses import address_key
from burrow.core.keys import create_personal_api_key
from burrow.core.models import Organization, OrganizationMembership, Project, User

LEVELS = {
    "member": OrganizationMembership.Level.MEMBER,
    "admin": OrganizationMembership.Level.ADMIN,
    "owner": OrganizationMembership.Level.OWNER,
}


@dataclass
class BootstrapResult:
    user: User
    organization: Organization
    project: Project
    personal_api_key: str

    def as_json(self) -> dict:
        environment = self.project.environments.order_by("id").first()
        return {
            "organization_id": str(self.organization.id),
            "project_id": self.project.id,
            "environment_id": environment.id,
            "api_token": environment.api_token,
            "user_id": self.user.id,
            "user_uuid": str(self.user.uuid),
            "email": self.user.email,
            "personal_api_key": self.personal_api_key,
        }


def _user(email: str, password: str | None) -> User:
    """The account of the address in any spelling, created when there is none (InvalidAddress when the
    address is malformed)."""
    user = User.objects.filter(email_key=address_key(email)).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, first_name=email.split("@")[0])
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _membership(user: User, organization: Organization, level: int) -> None:
    membership, created = OrganizationMembership.objects.get_or_create(
        organization=organization, user=user, defaults={"level": level}
    )
    if not created and membership.level != level:
        membership.level = level
        membership.save(update_fields=["level"])


@transaction.atomic
def bootstrap(
    email: str, organization_name: str, project_name: str, scopes: list[str], password: str | None = None
) -> BootstrapResult:
    """Creates or reuses the user, an organization they own (by name) and a project in it, then a new key."""
    user = _user(email, password)
    organization = (
        Organization.objects.filter(name=organization_name, memberships__user=user)
        .order_by("created_at")
        .first()
    )
    if organization is None:
        organization = Organization.objects.create(name=organization_name)
    _membership(user, organization, OrganizationMembership.Level.OWNER)
    project = Project.objects.filter(organization=organization, name=project_name).order_by("id").first()
    if project is None:
        project = Project.objects.create_with_environment(organization, project_name)
    _set_current(user, project)
    _, value = create_personal_api_key(user, "bootstrap", scopes)
    return BootstrapResult(user, organization, project, value)


@transaction.atomic
def join_organization(
    email: str, organization: Organization, level: str, scopes: list[str]
) -> BootstrapResult:
    user = _user(email, None)
    _membership(user, organization, LEVELS[level])
    project = Project.objects.filter(organization=organization).order_by("id").first()
    if project is None:
        project = Project.objects.create_with_environment(organization, "Default project")
    _set_current(user, project)
    _, value = create_personal_api_key(user, "bootstrap", scopes)
    return BootstrapResult(user, organization, project, value)


def _set_current(user: User, project: Project) -> None:
    user.current_organization = project.organization
    user.current_team = project.environments.order_by("id").first()
    user.save(update_fields=["current_organization", "current_team"])
