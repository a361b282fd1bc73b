"""Every write to dashboards, insights and the tiles that place insights on dashboards. The API comes through
here (and so will results written by a refresh), so each change is saved the same way: only the fields it
changes, plus the `auto_now` timestamps (an insight's `last_modified_at` is the version its rendered tiles
are kept under, burrow/analytics/tiles.py), so two writes that change different fields at once both keep
their change; and on a locked row, so writes to one object that read before they write (an insight's
tiles) apply one after the other.

Serializers validate; they never save. Dashboards and insights write no activity log, and no write here has
a side effect beyond its transaction."""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models, transaction

from burrow.analytics.models import Dashboard, DashboardTile, Insight
from burrow.core.models import Team, User

Saved = TypeVar("Saved", Dashboard, Insight)


def create_dashboard(team: Team, user: User, fields: dict[str, Any]) -> Dashboard:
    return Dashboard.objects.create(team=team, created_by=user, **fields)


def update_dashboard(dashboard: Dashboard, changes: dict[str, Any]) -> Dashboard:
    with transaction.atomic():
        return _save_changes(dashboard, changes)


def create_insight(team: Team, user: User, fields: dict[str, Any]) -> Insight:
    """A new insight, with a tile on each dashboard of `fields["dashboards"]` (ids of the team's dashboards)."""
    fields = dict(fields)
    dashboard_ids = fields.pop("dashboards", [])
    with transaction.atomic():
        insight = Insight.objects.create(team=team, created_by=user, **fields)
        _place_on_dashboards(insight, dashboard_ids)
    return insight


def update_insight(insight: Insight, changes: dict[str, Any]) -> Insight:
    """Saves `changes` on `insight`. When they name its `dashboards`, those are all it is on afterwards:
    tiles on other dashboards are deleted (layouts and all), tiles on these added or brought back."""
    changes = dict(changes)
    dashboard_ids = changes.pop("dashboards", None)
    with transaction.atomic():
        insight = _save_changes(insight, changes)
        if dashboard_ids is not None:
            DashboardTile.objects.filter(insight=insight).exclude(dashboard_id__in=dashboard_ids).delete()
            _place_on_dashboards(insight, dashboard_ids)
    return insight


def _save_changes(obj: Saved, changes: dict[str, Any]) -> Saved:
    """Locks the row until commit, then saves the changed fields and the `auto_now` ones from `obj` (the
    caller's instance: its other fields may be stale, and are neither saved nor read again, which keeps a
    write from reloading an insight's large `query` and `result`)."""
    _lock(type(obj), obj.pk)
    for name, value in changes.items():
        setattr(obj, name, value)
    touched = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
    obj.save(update_fields=[*changes, *touched])
    return obj


def _lock(model: type[models.Model], pk: int) -> None:
    list(model.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))


def _place_on_dashboards(insight: Insight, dashboard_ids: Iterable[int]) -> None:
    dashboard_ids = list(dashboard_ids)
    existing = set(DashboardTile.objects.filter(insight=insight).values_list("dashboard_id", flat=True))
    DashboardTile.objects.bulk_create(
        [DashboardTile(dashboard_id=d, insight=insight) for d in dashboard_ids if d not in existing]
    )
    DashboardTile.objects.filter(insight=insight, dashboard_id__in=dashboard_ids, deleted=True).update(
        deleted=False
    )


def set_tile_layouts(dashboard: Dashboard, insight: Insight, layouts: dict[str, Any]) -> None:
    """Where the insight's tile sits on the dashboard (`{"sm": {"x", "y", "w", "h"}}`, as the reference)."""
    DashboardTile.objects.filter(dashboard=dashboard, insight=insight).update(layouts=layouts)
