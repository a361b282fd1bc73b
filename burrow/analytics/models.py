"""Dashboards and insights: what subscriptions deliver and share links show."""

import secrets
import string

from django.conf import settings
from django.db import models

_SHORT_ID_ALPHABET = string.ascii_letters + string.digits
# What an insight shows of itself wherever it is shown: the API, a dashboard tile, a share's JSON export.
INSIGHT_CONTENT_FIELDS = ("id", "short_id", "name", "derived_name", "description", "query", "result")


def generate_short_id() -> str:
    return "".join(secrets.choice(_SHORT_ID_ALPHABET) for _ in range(8))


class Dashboard(models.Model):
    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="dashboards")
    name = models.CharField(max_length=400, blank=True, default="")
    description = models.TextField(blank=True, default="")
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["team", "deleted", "-id"], name="dashboard_team_list_idx")]

    def __str__(self) -> str:
        return self.name or f"Dashboard {self.pk}"


class Insight(models.Model):
    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="insights")
    short_id = models.CharField(max_length=12, default=generate_short_id)
    name = models.CharField(max_length=400, null=True, blank=True)
    derived_name = models.CharField(max_length=400, null=True, blank=True)
    description = models.TextField(blank=True, default="")
    query = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    # Where a SQL query runs (one of the team's sources); unset: the team's default source.
    data_source = models.ForeignKey(
        "queries.DataSource", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_modified_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    dashboards = models.ManyToManyField(
        Dashboard, through="DashboardTile", related_name="insights", blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "short_id"], name="insight_team_short_id_unique")
        ]
        indexes = [models.Index(fields=["team", "deleted", "-id"], name="insight_team_list_idx")]

    @property
    def display_name(self) -> str:
        return self.name or self.derived_name or f"Insight {self.short_id}"

    def __str__(self) -> str:
        return self.display_name


def layout_position(layouts: object) -> tuple[float, ...]:
    """Tiles read top-to-bottom, left-to-right by their small-screen layout; unplaced tiles go last."""
    layouts = layouts if isinstance(layouts, dict) else {}
    small = layouts.get("sm") if isinstance(layouts.get("sm"), dict) else {}
    # Layouts are free-form JSON from clients: anything but a number places the tile last.
    return tuple(
        value if isinstance(value, int | float) and not isinstance(value, bool) else 100
        for value in (small.get("y"), small.get("x"))
    )


class DashboardTile(models.Model):
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="tiles")
    insight = models.ForeignKey(Insight, on_delete=models.CASCADE, related_name="dashboard_tiles")
    layouts = models.JSONField(default=dict, blank=True)
    deleted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dashboard", "insight"], name="tile_dashboard_insight_unique")
        ]

    @property
    def layout_position(self) -> tuple[float, ...]:
        return layout_position(self.layouts)


class ExportedAsset(models.Model):
    """A rendered picture of an insight (PNG), stored so reports can embed it and link to it.

    `content_hash` identifies what was drawn: subscriptions of one insight share the picture until its
    data changes."""

    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="exported_assets")
    insight = models.ForeignKey(Insight, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    export_format = models.CharField(max_length=32, default="image/png")
    content_hash = models.CharField(max_length=64)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["insight", "content_hash"], name="exported_asset_hash_idx")]

    def __str__(self) -> str:
        return f"ExportedAsset {self.pk}"
