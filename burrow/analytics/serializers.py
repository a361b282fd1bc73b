"""Validation and representation of dashboards and insights. Serializers validate; every write happens in
services.py."""

from rest_framework import serializers

from burrow.analytics.computing import Computed
from burrow.analytics.insight_queries import InsightQueryError, parse_insight_query
from burrow.analytics.models import (
    INSIGHT_CONTENT_FIELDS,
    Dashboard,
    DashboardTile,
    Insight,
    layout_position,
)
from burrow.core.prepared import PreparedQuery
from burrow.core.serializers import IdField, UserBasicSerializer, datetime_representation
from burrow.queries.models import DataSource

COMPUTED = "computed"  # where InsightViewSet puts each insight's computation (context, by insight id)
# What a retrieve with `?refresh=` adds, as the reference's insight answers.
COMPUTED_FIELDS = ("columns", "types", "last_refresh", "is_cached", "cache_target_age", "query_status")

TILE_INSIGHT_FIELDS = ("id", "short_id", "name", "derived_name", "deleted")
PREFETCHED_TILES = "prefetched_tiles"  # where DashboardViewSet puts each dashboard's live_tiles()
_CREATOR = UserBasicSerializer()  # stateless: represents any `created_by`

# A dashboard shows its live tiles (neither the tile nor its insight deleted) and of each only these
# columns, read as plain rows: an insight's `query` and cached `result` can be large, and a 100-dashboard
# page has 400 tiles, where building model instances cost more than reading the rows.
_LIVE_TILE_ROWS = DashboardTile.objects.filter(deleted=False, insight__deleted=False).values(
    "id", "dashboard_id", "layouts", *(f"insight__{f}" for f in TILE_INSIGHT_FIELDS)
)
_LIVE_TILE_ROWS_OF_DASHBOARD = PreparedQuery(
    lambda p: _LIVE_TILE_ROWS.filter(dashboard_id=p.dashboard), dashboard=int
)


def live_tiles(dashboard_ids: list[int]) -> dict[int, list[dict]]:
    """Each dashboard's live tiles as rows, in reading order (`layout_position`), in one query."""
    if len(dashboard_ids) == 1:
        rows = _LIVE_TILE_ROWS_OF_DASHBOARD.all(dashboard=dashboard_ids[0])
    else:
        rows = _LIVE_TILE_ROWS.filter(dashboard_id__in=dashboard_ids) if dashboard_ids else []
    by_dashboard: dict[int, list[dict]] = {dashboard_id: [] for dashboard_id in dashboard_ids}
    for row in rows:
        by_dashboard[row["dashboard_id"]].append(row)
    for tiles in by_dashboard.values():
        tiles.sort(key=lambda row: layout_position(row["layouts"]))
    return by_dashboard


def attach_live_tiles(dashboards: list[Dashboard]) -> None:
    tiles = live_tiles([dashboard.id for dashboard in dashboards])
    for dashboard in dashboards:
        setattr(dashboard, PREFETCHED_TILES, tiles[dashboard.id])


def tile_representation(tile: dict, computed: Computed | None = None) -> dict:
    """A live tile (a row of live_tiles()) as a dashboard shows it: its id, a summary of its insight, its
    layouts."""
    shown = {name: tile[f"insight__{name}"] for name in TILE_INSIGHT_FIELDS}
    if computed is not None:  # the dashboard was asked for with `?refresh=`
        shown.update(computed.answer_fields(), error=computed.error)
    return {"id": tile["id"], "insight": shown, "layouts": tile["layouts"]}


class DashboardSerializer(serializers.ModelSerializer):
    created_by = UserBasicSerializer(read_only=True, allow_null=True)
    tiles = serializers.SerializerMethodField()

    class Meta:
        model = Dashboard
        fields = ["id", "name", "description", "deleted", "created_at", "created_by", "tiles"]
        read_only_fields = ["id", "created_at", "created_by", "tiles"]

    def get_tiles(self, dashboard: Dashboard) -> list[dict]:
        # Views attach the tiles of a whole page at once (no query per dashboard); one written just now
        # reads its own.
        tiles = getattr(dashboard, PREFETCHED_TILES, None)
        if tiles is None:
            tiles = live_tiles([dashboard.id])[dashboard.id]
        computed = self.context.get(COMPUTED, {})
        return [tile_representation(tile, computed.get(tile["insight__id"])) for tile in tiles]

    def to_representation(self, dashboard: Dashboard) -> dict:
        # What the fields above give, built directly: a page shows 100 dashboards, and DRF's per-field
        # dispatch cost more than reading them (tests/core/test_representations.py holds the two equal).
        creator = dashboard.created_by
        return {
            "id": dashboard.id,
            "name": dashboard.name,
            "description": dashboard.description,
            "deleted": dashboard.deleted,
            "created_at": datetime_representation(dashboard.created_at),
            "created_by": None if creator is None else _CREATOR.to_representation(creator),
            "tiles": self.get_tiles(dashboard),
        }


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
