"""Share links: one configuration per shared dashboard, insight or session recording, its passwords, and the
counters that throttle wrong password guesses."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

# 32 random bytes: 43 URL-safe characters, 256 bits. PostHog uses 22 bytes; any length works for clients.
ACCESS_TOKEN_BYTES = 32
RECORDING_ID_MAX_LENGTH = 200


def generate_access_token() -> str:
    return secrets.token_urlsafe(ACCESS_TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What public look-ups search for: the response time of an index search then says nothing about the
    token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class SessionRecording(models.Model):
    """The recording a share link points at, saved the first time its sharing is written (as PostHog's
    `SessionRecording.get_or_build`): `session_id` is whatever id the URL named."""

    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="+")
    session_id = models.CharField(max_length=RECORDING_ID_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "session_id"], name="session_recording_team_unique")
        ]

    def __str__(self) -> str:
        return self.session_id


class SharingConfiguration(models.Model):
    """Sharing of exactly one resource. Refreshing the link replaces `access_token` in place: the old link
    and every session opened through it stop working at once (no grace period)."""

    RESOURCES = ("dashboard", "insight", "recording")

    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="sharing_configurations")
    dashboard = models.ForeignKey(
        "analytics.Dashboard",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sharing_configurations",
        db_index=False,  # sharing_one_per_* below is the index
    )
    insight = models.ForeignKey(
        "analytics.Insight",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sharing_configurations",
        db_index=False,  # sharing_one_per_* below is the index
    )
    recording = models.ForeignKey(
        SessionRecording,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sharing_configurations",
        db_index=False,  # sharing_one_per_* below is the index
    )
    enabled = models.BooleanField(default=False)
    access_token = models.CharField(max_length=400, unique=True, default=generate_access_token)
    access_token_digest = models.CharField(max_length=64, unique=True)
    settings = models.JSONField(null=True, blank=True)
    password_required = models.BooleanField(default=False)
    # Every share session names the generation it was opened in; switching password protection off or on
    # moves it on, which ends every session opened before.
    session_generation = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(dashboard__isnull=False, insight__isnull=True, recording__isnull=True)
                | Q(dashboard__isnull=True, insight__isnull=False, recording__isnull=True)
                | Q(dashboard__isnull=True, insight__isnull=True, recording__isnull=False),
                name="sharing_exactly_one_resource",
            ),
            # One configuration per resource (NULLs never collide), so racing first writes meet here.
            models.UniqueConstraint(fields=["dashboard"], name="sharing_one_per_dashboard"),
            models.UniqueConstraint(fields=["insight"], name="sharing_one_per_insight"),
            models.UniqueConstraint(fields=["recording"], name="sharing_one_per_recording"),
        ]

    def __str__(self) -> str:
        return f"Sharing of {self.resource_kind} {self.resource_id}"

    def save(self, *args, **kwargs) -> None:
        # The digest always follows the token, whichever code path changed it.
        self.access_token_digest = token_digest(self.access_token)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "access_token" in update_fields:
            kwargs["update_fields"] = {*update_fields, "access_token_digest"}
        super().save(*args, **kwargs)

    @property
    def resource_kind(self) -> str:
        return next(kind for kind in self.RESOURCES if getattr(self, f"{kind}_id") is not None)

    @property
    def resource_id(self) -> int:
        return getattr(self, f"{self.resource_kind}_id")

    def setting(self, name: str):
        return self.settings.get(name) if isinstance(self.settings, dict) else None


class SharePassword(models.Model):
    """A password that opens a password-protected share. Stored as a Django password hash; the raw
    password is shown once, when it is created. Deleting one sets `is_active = False`."""

    sharing_configuration = models.ForeignKey(
        SharingConfiguration, on_delete=models.CASCADE, related_name="share_passwords"
    )
    password_hash = models.CharField(max_length=128)
    note = models.CharField(max_length=100, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"SharePassword {self.pk}"


class PasswordGuessWindow(models.Model):
    """Wrong password guesses on one share token, from one client or from all clients together, in a fixed
    window that opens at the first wrong guess (`burrow/sharing/throttle.py`). Kept in the database so every
    web worker counts the same guesses; `bucket` is a hash, so neither the token nor the address is stored."""

    bucket = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField(db_index=True)
    failures = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.failures} wrong guesses since {self.window_start:%Y-%m-%d %H:%M:%S}"
