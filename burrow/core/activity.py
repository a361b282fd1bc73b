"""Writing the activity log: created/updated entries with a before/after per changed field."""

from typing import Any

from burrow.core.models import ActivityLog, Team, User


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": None,
            "action": "changed",
            "field": field,
            "before": before.get(field),
            "after": after[field],
        }
        for field in after
        if before.get(field) != after[field]
    ]


def log_activity(
    *,
    team: Team,
    user: User | None,
    scope: str,
    item_id: Any,
    activity: str,
    name: str | None,
    changes: list[dict[str, Any]] | None = None,
    short_id: str | None = None,
    context: dict[str, Any] | None = None,
) -> ActivityLog | None:
    """An `updated` entry without changes is dropped, as in PostHog. Each change names its scope as
    `type`, and `detail` carries PostHog's full key set."""
    if activity == "updated" and not changes:
        return None
    changes = [{**change, "type": change.get("type") or scope} for change in changes or []]
    return ActivityLog.objects.create(
        team=team,
        organization_id=team.organization_id,
        user=user if user and user.is_authenticated else None,
        activity=activity,
        scope=scope,
        item_id=str(item_id),
        detail={
            "id": str(item_id),
            "changes": changes,
            "merge": None,
            "trigger": None,
            "name": name,
            "short_id": short_id,
            "type": None,
            "context": context,
        },
    )


def log_object_activity(
    obj: Any,
    *,
    scope: str,
    user: User | None,
    activity: str,
    name: str | None,
    changes: list[dict[str, Any]] | None = None,
    context: dict[str, Any] | None = None,
) -> ActivityLog | None:
    """`log_activity` for an object that belongs to a team: the entry is the team's, about its primary key."""
    return log_activity(
        team=obj.team,
        user=user,
        scope=scope,
        item_id=obj.pk,
        activity=activity,
        name=name,
        changes=changes,
        context=context,
    )
