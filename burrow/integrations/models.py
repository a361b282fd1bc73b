"""Connections to outside providers: a project's integrations (Slack, Linear, LinkedIn Ads, Twilio, GitHub, …),
an organization's integrations, and the single-use states of OAuth flows in progress.

Tokens and credentials live in `sensitive_config`, encrypted at rest and never serialised."""

import uuid

from django.conf import settings
from django.db import models

from burrow.core.crypto import EncryptedJSONField

ERROR_TOKEN_REFRESH_FAILED = "TOKEN_REFRESH_FAILED"

# PostHog's kinds (`Integration.IntegrationKind`): the API knows every one, so an unknown kind is a field error
# and a known one Burrow cannot connect answers "Kind not supported", as in PostHog.
KINDS = (
    "anthropic",
    "apns",
    "aws-redshift",
    "aws-s3",
    "azure-blob",
    "bing-ads",
    "clickup",
    "customerio-app",
    "customerio-track",
    "customerio-webhook",
    "databricks",
    "ebay",
    "email",
    "firebase",
    "github",
    "gitlab",
    "google-ads",
    "google-analytics",
    "google-calendar",
    "google-cloud-service-account",
    "google-cloud-storage",
    "google-pubsub",
    "google-search-console",
    "google-sheets",
    "hubspot",
    "instagram",
    "intercom",
    "jira",
    "linear",
    "linkedin-ads",
    "meta-ads",
    "pardot",
    "pinterest-ads",
    "postgresql",
    "posthog",
    "reddit-ads",
    "resend",
    "s3-compatible",
    "salesforce",
    "slack",
    "slack-posthog-code",
    "snapchat",
    "snowflake",
    "stripe",
    "tiktok-ads",
    "twilio",
    "vercel",
    "youtube-analytics",
)
KIND_CHOICES = [(kind, kind) for kind in KINDS]


class Integration(models.Model):
    class Kind(models.TextChoices):
        # The kinds Burrow's own code names; `KINDS` lists every kind a row may have.
        SLACK = "slack"
        LINEAR = "linear"
        LINKEDIN_ADS = "linkedin-ads"
        TWILIO = "twilio"
        GITHUB = "github"
        EMAIL = "email"

    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="integrations")
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    integration_id = models.TextField(null=True, blank=True)
    config = models.JSONField(default=dict, blank=True)
    sensitive_config = EncryptedJSONField(default=dict, blank=True)
    errors = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "kind", "integration_id"], name="integration_kind_id_unique"
            )
        ]
        indexes = [models.Index(fields=["kind", "integration_id"], name="integration_kind_id_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.integration_id}"


class OrganizationIntegration(models.Model):
    """An integration of a whole organization (PostHog's Vercel marketplace installs). Burrow has no
    marketplace: operators add them with `burrow org-integration add`, members list them, admins remove them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "core.Organization", on_delete=models.CASCADE, related_name="integrations"
    )
    kind = models.CharField(max_length=50, choices=KIND_CHOICES)
    integration_id = models.TextField(null=True, blank=True)
    config = models.JSONField(default=dict, blank=True)
    sensitive_config = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "integration_id"], name="org_integration_kind_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.integration_id}"


class OAuthState(models.Model):
    """One connect flow in progress: who started it, for which project, and where to go afterwards. The
    `state` handed to the provider is a signed reference to this row; completing the flow spends the row
    with a compare-and-set (`used_at` from NULL to now), so a state works once, within its lifetime, for
    the user and project it was issued to."""

    class Flow(models.TextChoices):
        OAUTH = "oauth"  # provider authorize → /integrations/<kind>/callback
        GITHUB_INSTALL = "github_install"  # GitHub App installation page → callback
        GITHUB_OAUTH = "github_oauth"  # GitHub user authorization for a known installation → callback

    nonce = models.CharField(max_length=64, unique=True)
    flow = models.CharField(max_length=20, choices=Flow.choices)
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    next = models.TextField(blank=True, default="")
    installation_id = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.flow} {self.kind} for team {self.team_id}"


class ProxyRecord(models.Model):
    """A subdomain of an organization's own domain that is to point (CNAME) at Burrow, so pages and links
    can be served under the organization's name. Domain Connect's `proxy` context publishes the CNAME."""

    class Status(models.TextChoices):
        WAITING = "waiting"  # created; the CNAME is not known to be in place
        VALID = "valid"
        ERRORING = "erroring"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "core.Organization", on_delete=models.CASCADE, related_name="proxy_records"
    )
    domain = models.CharField(max_length=253)
    target_cname = models.CharField(max_length=253)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "domain"], name="proxy_record_org_domain_unique")
        ]

    def __str__(self) -> str:
        return f"{self.domain} → {self.target_cname}"
