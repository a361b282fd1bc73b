"""Tenancy (organizations, projects, environments), users and personal API keys."""

import secrets
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models, transaction
from django.utils import timezone

from burrow.core.addresses import MAX_KEY_LENGTH, address_key


def generate_distinct_id() -> str:
    return secrets.token_urlsafe(32)


def generate_project_token() -> str:
    """The environment's public token (`phc_…`) that browser clients such as posthog-js send with events."""
    return f"phc_{secrets.token_urlsafe(32)}"


def generate_key_id() -> str:
    # Never starting with "-": operators pass it on the command line (`burrow keys revoke ID`).
    while True:
        key_id = secrets.token_urlsafe(24)
        if key_id[0] != "-":
            return key_id


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ProjectManager(models.Manager):
    @transaction.atomic
    def create_with_environment(self, organization: Organization, name: str) -> "Project":
        """A project and its default environment share one integer id, as in PostHog, so
        `/api/projects/:id/` and `/api/environments/:id/` address the same data."""
        team = Team.objects.create(organization=organization, name=name)
        project = self.create(id=team.id, organization=organization, name=name)
        team.project = project
        team.save(update_fields=["project"])
        return project


class Project(models.Model):
    id = models.BigIntegerField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectManager()

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """An environment of a project (PostHog's `Team`); owns every team-scoped resource."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="environments", null=True)
    name = models.CharField(max_length=200)
    # Public by design (it sits in every page that records): it identifies the environment to ingestion and
    # grants nothing else. `burrow keys rotate-project-token` replaces it.
    api_token = models.CharField(max_length=64, unique=True, default=generate_project_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save()
        return user


class User(AbstractBaseUser):
    ROLE_CHOICES = [
        (r, r)
        for r in ("engineering", "data", "product", "founder", "leadership", "marketing", "sales", "other")
    ]
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    distinct_id = models.CharField(
        max_length=200, null=True, blank=True, unique=True, default=generate_distinct_id
    )
    first_name = models.CharField(max_length=150, blank=True, default="")
    last_name = models.CharField(max_length=150, blank=True, default="")
    email = models.EmailField(unique=True)
    # The address's one spelling (burrow.core.addresses.address_key), kept in step with `email` by save():
    # every look-up by address uses it, so look-alike spellings are one account on every database.
    email_key = models.CharField(max_length=MAX_KEY_LENGTH, unique=True, editable=False)
    is_email_verified = models.BooleanField(null=True, blank=True)
    hedgehog_config = models.JSONField(null=True, blank=True)
    role_at_organization = models.CharField(max_length=64, choices=ROLE_CHOICES, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    current_team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    current_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    objects = UserManager()

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email_key = address_key(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_key"}
        super().save(*args, **kwargs)


class OrganizationMembership(models.Model):
    class Level(models.IntegerChoices):
        MEMBER = 1, "member"
        ADMIN = 8, "admin"
        OWNER = 15, "owner"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organization_memberships")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="unique_org_membership")]


class PersonalAPIKey(models.Model):
    id = models.CharField(primary_key=True, max_length=50, default=generate_key_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="personal_api_keys")
    label = models.CharField(max_length=40)
    secure_value = models.CharField(max_length=300, unique=True)
    mask_value = models.CharField(max_length=11)
    scopes = models.JSONField(default=list)
    scoped_teams = models.JSONField(null=True, blank=True)
    scoped_organizations = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.label} ({self.mask_value})"


class ActivityLog(models.Model):
    """Audit trail: who changed which field of which item, before and after."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True, blank=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    is_system = models.BooleanField(default=False)
    activity = models.CharField(max_length=79)
    item_id = models.CharField(max_length=72)
    scope = models.CharField(max_length=79)
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["team", "-created_at"], name="activity_team_created_idx")]
        ordering = ["-created_at"]


class Heartbeat(models.Model):
    """A scheduler or worker process saying it is alive (`burrow.core.heartbeats`): what `/_readyz?role=`
    and `burrow status` read. One row per process; rows of processes gone for a day are removed."""

    process = models.CharField(max_length=255, primary_key=True)  # "<role>@<host>:<pid>"
    role = models.CharField(max_length=20)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    version = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["role", "-beat_at"], name="heartbeat_role_recent")]

    def __str__(self) -> str:
        return self.process


class Installation(models.Model):
    """The installation itself (one row): a keyed digest of the secret key that made this database's API
    keys, links and encrypted secrets, so that starting with another key is noticed (burrow.core.keys)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    secret_key_check = models.CharField(max_length=80)

    def __str__(self) -> str:
        return "installation"
