"""Validation and representation of dashboards and insights. Serializers validate; every write happens in
services.py."""

from rest_framework import serializers

from burrow.analytics.computing import Computed
from burrow.analytics.insight_queries import InsightQueryError, parse_insight_query
from burrow.analytics.models import INSIGHT_CONTENT_FIELDS, Dashboard, DashboardTile, Insight
from burrow.core.serializers import IdField, UserBasicSerializer
from burrow.queries.models import DataSource

COMPUTED = "computed"  # where InsightViewSet puts each insight's computation (context, by insight id)
# What a retrieve with `?refresh=` adds, as the reference's insight answers.
COMPUTED_FIELDS = ("columns", "types", "last_refresh", "is_cached", "cache_target_age", "query_status")

TILE_INSIGHT_FIELDS = ("id", "short_id", "name", "derived_name", "deleted")
PREFETCHED_TILES = "prefetched_tiles"  # where DashboardViewSet's queryset puts a dashboard's tiles


def tile_representation(tile: DashboardTile, computed: Computed | None = None) -> dict:
    """A live tile as a dashboard shows it: its id, a summary of its insight, its layouts.

    Built directly rather than through a ModelSerializer: every value is a column already in its JSON form
    (ids, strings or null, booleans, a JSON column), so DRF's per-field dispatch would produce the same dict
    at several times the cost, and a 100-dashboard page shows 400 tiles."""
    insight = tile.insight
    shown = {name: getattr(insight, name) for name in TILE_INSIGHT_FIELDS}
    if computed is not None:  # the dashboard was asked for with `?refresh=`
        shown.update(computed.answer_fields(), error=computed.error)
    return {"id": tile.id, "insight": shown, "layouts": tile.layouts}


class DashboardSerializer(serializers.ModelSerializer):
    created_by = UserBasicSerializer(read_only=True, allow_null=True)
    tiles = serializers.SerializerMethodField()

    class Meta:
        model = Dashboard
        fields = ["id", "name", "description", "deleted", "created_at", "created_by", "tiles"]
        read_only_fields = ["id", "created_at", "created_by", "tiles"]

    def get_tiles(self, dashboard: Dashboard) -> list[dict]:
        # Uses the prefetched tiles: no query per dashboard.
        tiles = getattr(dashboard, PREFETCHED_TILES, None)
        if tiles is None:
            tiles = dashboard.tiles.all()
        tiles = sorted(
            (t for t in tiles if not t.deleted and not t.insight.deleted),
            key=lambda t: t.layout_position,
        )
        computed = self.context.get(COMPUTED, {})
        return [tile_representation(tile, computed.get(tile.insight_id)) for tile in tiles]


class DashboardIdsField(serializers.ListField):
    """Written as a list of dashboard ids; read from the (prefetched) live tiles."""

    child = IdField()

    def get_attribute(self, insight: Insight) -> list[int]:
        return sorted(t.dashboard_id for t in insight.dashboard_tiles.all() if not t.deleted)


class InsightSerializer(serializers.ModelSerializer):
    created_by = UserBasicSerializer(read_only=True, allow_null=True)
    dashboards = DashboardIdsField(required=False)
    result = serializers.JSONField(required=False, allow_null=True)
    query = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='SQL computed from the data: {"kind": "HogQLQuery", "query": SQL} or {"kind": '
        '"DataVisualizationNode", "source": {"kind": "HogQLQuery", …}, "display": …, "chartSettings": …}. '
        "Any other query keeps the `result` a client stores.",
    )
    data_source = serializers.UUIDField(
        source="data_source_id",
        required=False,
        allow_null=True,
        help_text="Burrow: the data source a SQL query runs on (default: the project's default).",
    )

    class Meta:
        model = Insight
        fields = [
            *INSIGHT_CONTENT_FIELDS,
            "data_source",
            "dashboards",
            "deleted",
            "created_at",
            "last_modified_at",
            "created_by",
        ]
        read_only_fields = ["id", "short_id", "created_at", "last_modified_at", "created_by"]

    def validate_query(self, query):
        try:
            parse_insight_query(query)
        except InsightQueryError as error:
            path = error.attr.split("__")[1:]  # below `query`
            detail: object = [error.message]
            for name in reversed(path):
                detail = {name: detail}
            raise serializers.ValidationError(detail) from None
        return query

    def validate_data_source(self, source_id):
        if (
            source_id is not None
            and not DataSource.objects.filter(team=self.context["team"], id=source_id).exists()
        ):
            raise serializers.ValidationError("Data source not found in this project.")
        return source_id

    def to_representation(self, insight: Insight) -> dict:
        data = super().to_representation(insight)
        computed: Computed | None = self.context.get(COMPUTED, {}).get(insight.id)
        if computed is not None:
            data.update(
                computed.answer_fields(),
                cache_target_age=computed.cache_target_age,
                query_status=computed.query_status,
            )
        return data

    def validate_dashboards(self, ids: list[int]) -> list[int]:
        ids = list(dict.fromkeys(ids))
        found = set(
            Dashboard.objects.filter(team=self.context["team"], id__in=ids).values_list("id", flat=True)
        )
        missing = [i for i in ids if i not in found]
        if missing:
            raise serializers.ValidationError(f"Dashboard {missing[0]} does not exist in this project.")
        return ids
