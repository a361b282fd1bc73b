"""`OrganizationDomain`: an organization's claim on an e-mail domain and the identity settings attached to it.

Several organizations may claim the same domain; only one can hold it verified, and an unverified claim
blocks no one (PostHog lets it block everyone) — a partial unique index makes the first verification win even
when two race."""

import secrets
import uuid

from django.db import models
from django.db.models import Q

from burrow.core.models import Organization
from burrow.links import scim_base_url


def generate_challenge() -> str:
    return secrets.token_urlsafe(32)


class SSOEnforcement(models.TextChoices):
    NONE = "", "none"
    GOOGLE = "google-oauth2", "Google"
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    SAML = "saml", "SAML"


class OrganizationDomain(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=128)
    verification_challenge = models.CharField(max_length=128, default=generate_challenge)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_verification_retry = models.DateTimeField(null=True, blank=True)
    jit_provisioning_enabled = models.BooleanField(default=False)
    sso_enforcement = models.CharField(max_length=28, blank=True, default="")
    saml_entity_id = models.CharField(max_length=512, null=True, blank=True)
    saml_acs_url = models.CharField(max_length=512, null=True, blank=True)
    saml_x509_cert = models.TextField(null=True, blank=True)
    scim_enabled = models.BooleanField(default=False)
    # A keyed hash (see services.hash_scim_token); the token itself is shown once and never stored.
    scim_bearer_token_hash = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "domain"], name="unique_domain_per_organization"),
            models.UniqueConstraint(
                fields=["domain"], condition=Q(verified_at__isnull=False), name="unique_verified_domain"
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def has_saml(self) -> bool:
        return bool(self.saml_entity_id and self.saml_acs_url and self.saml_x509_cert)

    @property
    def has_scim(self) -> bool:
        return self.scim_enabled and bool(self.scim_bearer_token_hash)

    @property
    def scim_base_url(self) -> str | None:
        return scim_base_url(self.id) if self.has_scim else None


class SAMLAssertionUse(models.Model):
    """A SAML assertion that signed someone in, kept until it expires so that the same signed response cannot
    sign anyone in a second time, whichever process receives it (the unique index decides a race)."""

    domain = models.ForeignKey(OrganizationDomain, on_delete=models.CASCADE, related_name="+")
    # SHA-256 of the identity provider's assertion ID: a fixed width whatever the provider's IDs look like.
    assertion_digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "assertion_digest"], name="unique_saml_assertion_use")
        ]


class ScimUser(models.Model):
    """A person as one domain's identity provider knows them: what SCIM keeps that the account does not — the
    provider's `externalId` and when the provider created and last changed them — and the fact that this
    domain provisioned them, which keeps them visible to it (as `active: false`) after a deactivation even
    when they belong to another organization. Deleted with the person's SCIM DELETE."""

    domain = models.ForeignKey(OrganizationDomain, on_delete=models.CASCADE, related_name="scim_users")
    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "user"], name="unique_scim_user_per_domain"),
            models.UniqueConstraint(
                fields=["domain", "external_id"],
                condition=Q(external_id__isnull=False),
                name="unique_scim_external_id_per_domain",
            ),
        ]
