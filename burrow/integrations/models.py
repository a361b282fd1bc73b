"""Project integrations (Slack, Linear, Twilio, …); the API and OAuth flows arrive in their own issue."""

from django.conf import settings
from django.db import models

from burrow.core.crypto import EncryptedJSONField

ERROR_TOKEN_REFRESH_FAILED = "TOKEN_REFRESH_FAILED"


class Integration(models.Model):
    class Kind(models.TextChoices):
        SLACK = "slack"
        LINEAR = "linear"
        LINKEDIN_ADS = "linkedin-ads"
        TWILIO = "twilio"
        GITHUB = "github"
        EMAIL = "email"
        HUBSPOT = "hubspot"
        SALESFORCE = "salesforce"
        GOOGLE_ADS = "google-ads"
        STRIPE = "stripe"

    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="integrations")
    kind = models.CharField(max_length=32, choices=Kind.choices)
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
