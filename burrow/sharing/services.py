"""Every write to sharing: the configuration (saved on the first write, as PostHog saves a recording and
its configuration only then), its access token, its passwords, and the activity log entries of dashboard
and insight sharing. The API and the public pages both come through here.

Serializers validate; they never save."""

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from burrow.analytics.models import Dashboard, Insight
from burrow.core.activity import log_activity
from burrow.core.models import Team, User
from burrow.sharing.models import SessionRecording, SharePassword, SharingConfiguration, generate_access_token

GENERATED_PASSWORD_BYTES = 16  # 22 characters, as PostHog generates them
TOKEN_SUFFIX_LENGTH = 4  # how much of an access token a login entry in the activity log shows


class PasswordProtectionOff(Exception):
    """Passwords can only be added while the configuration requires one."""


@dataclass(frozen=True)
class SharedResource:
    """What a configuration shares: `kind` is the configuration's field, `obj` the resource (a recording
    seen for the first time is not saved yet)."""

    kind: str
    obj: Dashboard | Insight | SessionRecording

    @property
    def activity_scope(self) -> str | None:
        """Dashboard and insight sharing is written to the activity log; recording sharing is not (as PostHog)."""
        return {"dashboard": "Dashboard", "insight": "Insight"}.get(self.kind)

    @property
    def name(self) -> str:
        return self.obj.display_name if isinstance(self.obj, Insight) else str(self.obj)


def update(team: Team, shared: SharedResource, user: User, changes: dict[str, Any]) -> SharingConfiguration:
    """Applies `changes` (enabled, settings, password_required). Enabling a disabled configuration issues a
    new link, so a link that was turned off never comes back to life; switching password protection off or on
    ends every share session, so one opened before protection was last off never comes back either."""
    with transaction.atomic():
        config = _locked_configuration(team, shared)
        was_enabled, was_protected = config.enabled, config.password_required
        for name, value in changes.items():
            setattr(config, name, value)
        fields = set(changes)
        if config.enabled and not was_enabled:
            config.access_token = generate_access_token()
            fields.add("access_token")
        if config.password_required != was_protected:
            config.session_generation += 1
            fields.add("session_generation")
        config.save(update_fields=fields)
        if config.enabled != was_enabled:
            _log(team, shared, user, "sharing enabled" if config.enabled else "sharing disabled", was_enabled)
    return config


def refresh(team: Team, shared: SharedResource, user: User) -> SharingConfiguration:
    """A new access token. The old link, and every session opened through it, stop working at once
    (no grace period); passwords stay with the configuration."""
    with transaction.atomic():
        config = _locked_configuration(team, shared)
        config.access_token = generate_access_token()
        config.save(update_fields=["access_token"])
        _log(team, shared, user, "access token refreshed")
    return config


def create_password(
    team: Team, shared: SharedResource, user: User, raw_password: str | None, note: str | None
) -> tuple[SharePassword, str]:
    """A new password (generated when none is given) and its raw value, which is never shown again."""
    raw_password = raw_password or secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    password_hash = make_password(raw_password)  # slow by design: outside the transaction and its lock
    with transaction.atomic():
        config = _locked_configuration(team, shared)
        if not config.password_required:
            raise PasswordProtectionOff()
        password = SharePassword.objects.create(
            sharing_configuration=config, password_hash=password_hash, note=note or None, created_by=user
        )
    return password, raw_password


def delete_password(team: Team, shared: SharedResource, password_id: int) -> bool:
    """Deactivates one active password of the resource's configuration; sessions opened with it end at once.
    False when there is no such password."""
    if shared.obj.pk is None:
        return False
    passwords = SharePassword.objects.filter(
        id=password_id,
        is_active=True,
        sharing_configuration__team=team,
        **{f"sharing_configuration__{shared.kind}": shared.obj},
    )
    return passwords.update(is_active=False) == 1


def log_login(config: SharingConfiguration, password: SharePassword | None, client_ip: str) -> None:
    """A password login on a dashboard or insight share, successful or not, as PostHog logs it."""
    shared = SharedResource(config.resource_kind, getattr(config, config.resource_kind))
    if shared.activity_scope is None:
        return
    attempt = {
        "access_token_suffix": config.access_token[-TOKEN_SUFFIX_LENGTH:],
        "client_ip": client_ip,
        "success": password is not None,
        "resource_type": shared.kind,
        "password_id": password.id if password else None,
        "password_note": password.note if password else None,
    }
    log_activity(
        team=config.team,
        user=None,
        scope=shared.activity_scope,
        item_id=shared.obj.pk,
        activity="share_login_success" if password else "share_login_failed",
        name=shared.name,
        changes=[{"action": "changed", "field": "authentication_attempt", "before": None, "after": attempt}],
    )


def _locked_configuration(team: Team, shared: SharedResource) -> SharingConfiguration:
    """The resource's configuration, saved with its recording if this is the first write, and locked for
    the rest of the transaction."""
    obj = shared.obj
    if obj.pk is None:
        obj, _ = SessionRecording.objects.get_or_create(team=team, session_id=obj.session_id)
    SharingConfiguration.objects.get_or_create(team=team, **{shared.kind: obj})
    return SharingConfiguration.objects.select_for_update().get(team=team, **{shared.kind: obj})


def _log(
    team: Team, shared: SharedResource, user: User, activity: str, was_enabled: bool | None = None
) -> None:
    if shared.activity_scope is None:
        return
    changes = []
    if was_enabled is not None:
        changes = [{"action": "changed", "field": "sharing", "before": was_enabled, "after": not was_enabled}]
    log_activity(
        team=team,
        user=user,
        scope=shared.activity_scope,
        item_id=shared.obj.pk,
        activity=activity,
        name=shared.name,
        changes=changes,
    )
