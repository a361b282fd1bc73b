"""Every write to a subscription. The API, unsubscribe links and delivery channels all come through here, so
each change is saved the same way: only the fields it changes, on a locked row (no acknowledged change is
lost to a concurrent write), with its activity log entry and the deliveries it triggers.

Serializers validate; they never save."""

import time
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from burrow.core.activity import field_changes, log_object_activity
from burrow.core.models import Team, User
from burrow.subscriptions.activity import activity_state
from burrow.subscriptions.delivery.registry import channel_for
from burrow.subscriptions.models import Subscription, split_addresses
from burrow.subscriptions.schedule import RRULE_FIELDS
from burrow.subscriptions.triggers import request_target_change_delivery

ACTIVITY_SCOPE = "Subscription"


def create(
    team: Team,
    user: User,
    fields: dict[str, Any],
    export_insight_ids: Iterable[int] = (),
    invite_message: str | None = None,
) -> tuple[Subscription, str | None]:
    """A new subscription, and its signing secret when its channel signs (shown once, never again)."""
    with transaction.atomic():
        subscription = Subscription(team=team, created_by=user, **fields)
        _note_added_recipients(subscription, "")
        secret = _new_secret_if_missing(subscription)
        subscription.reschedule()
        subscription.save()
        subscription.dashboard_export_insights.set(list(export_insight_ids))
        _log(subscription, user, "created")
        if subscription.enabled:
            _request_invites(subscription, "", invite_message)
    return subscription, secret


def update(
    subscription: Subscription,
    user: User | None,
    changes: dict[str, Any],
    export_insight_ids: Iterable[int] | None = None,
    invite_message: str | None = None,
) -> tuple[Subscription, str | None]:
    """Applies `changes` to the current row (locked) and saves only those fields; returns the saved
    subscription and a signing secret when this change created one (a change to a channel that signs)."""
    with transaction.atomic():
        current = _locked(subscription.pk)
        before = activity_state(current)
        schedule_before = {name: getattr(current, name) for name in RRULE_FIELDS}
        previous_value = current.target_value
        re_enabling = changes.get("enabled") is True and not current.enabled
        for name, value in changes.items():
            setattr(current, name, value)
        changed = set(changes)
        if current.target_value != previous_value:
            _note_added_recipients(current, previous_value)
            changed.add("recipients_added_at")
        secret = _new_secret_if_missing(current)
        if secret:
            changed.add(channel_for(current.target_type).secret_field)
        if re_enabling:
            changed |= re_enable(current)
        elif any(getattr(current, name) != value for name, value in schedule_before.items()):
            current.reschedule()
            changed.add("next_delivery_date")
        current.save(update_fields=sorted(changed))
        if export_insight_ids is not None:
            current.dashboard_export_insights.set(list(export_insight_ids))
        _log(current, user, "updated", field_changes(before, activity_state(current)))
        if current.target_value != previous_value and current.enabled and not current.deleted:
            _request_invites(current, previous_value, invite_message)
    return current, secret


def re_enable(subscription: Subscription) -> set[str]:
    """What re-enabling changes besides `enabled`: a fresh failure streak (five new failures before the
    next auto-disable), no pending disabled notice (whoever re-enabled it knows), and the next date from
    now (it went stale while disabled). Returns the fields it set, for the caller's save."""
    subscription.consecutive_failures = 0
    subscription.disabled_notice_due = False
    subscription.reschedule()
    return {"consecutive_failures", "disabled_notice_due", "next_delivery_date"}


def remove_recipient(subscription_id: int, email: str, issued_at: float) -> bool:
    """Takes `email` off an email subscription (case-insensitively) for an unsubscribe link issued at
    `issued_at` (Unix time); the subscription is soft-deleted once nobody is left. False when the
    subscription does not exist. An address already gone, or added back after the link was issued (the
    link is spent), is a success that changes nothing: links get clicked twice."""
    email = email.strip().lower()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None:
            return False
        if subscription.recipients_added_at.get(email, 0) > issued_at:
            return True
        addresses = split_addresses(subscription.target_value)
        remaining = [a for a in addresses if a.lower() != email]
        if remaining == addresses:
            return True
        before = {"target_value": subscription.target_value, "deleted": subscription.deleted}
        subscription.target_value = ",".join(remaining)
        subscription.deleted = subscription.deleted or not remaining
        subscription.recipients_added_at.pop(email, None)
        subscription.save(update_fields=["target_value", "deleted", "recipients_added_at"])
        after = {"target_value": subscription.target_value, "deleted": subscription.deleted}
        _log(subscription, None, "updated", field_changes(before, after))
    return True


def rotate_secret(subscription: Subscription) -> str:
    """A new signing secret (its channel must sign), stored encrypted and returned once; the old one stops
    verifying at once."""
    with transaction.atomic():
        current = _locked(subscription.pk)
        channel = channel_for(current.target_type)
        secret = channel.new_secret(current)
        current.save(update_fields=[channel.secret_field])
    return secret


def _new_secret_if_missing(subscription: Subscription) -> str | None:
    """A signing secret set on the instance (the caller saves it) when its channel signs and it has none."""
    channel = channel_for(subscription.target_type)
    if channel.secret_field is None or getattr(subscription, channel.secret_field):
        return None
    return channel.new_secret(subscription)


def _note_added_recipients(subscription: Subscription, previous_value: str) -> None:
    """Records when each new email address was added (for unsubscribe links); forgets the removed ones."""
    channel = channel_for(subscription.target_type)
    if not channel.lists_addresses:
        subscription.recipients_added_at = {}
        return
    known = {a.lower() for a in channel.addresses(previous_value)}
    current = {a.lower() for a in channel.addresses(subscription.target_value)}
    added_at = {a: t for a, t in subscription.recipients_added_at.items() if a in current}
    now = time.time()
    added_at.update({address: now for address in current - known})
    subscription.recipients_added_at = added_at


def _locked(subscription_id: int) -> Subscription:
    return Subscription.objects.select_for_update().get(pk=subscription_id)


def _log(subscription: Subscription, user: User | None, activity: str, changes: list | None = None) -> None:
    log_object_activity(
        subscription,
        scope=ACTIVITY_SCOPE,
        user=user,
        activity=activity,
        name=str(subscription),
        changes=changes,
    )


def _request_invites(subscription: Subscription, previous_value: str, invite_message: str | None) -> None:
    transaction.on_commit(
        lambda: request_target_change_delivery(subscription, previous_value, invite_message), robust=True
    )
