from django.db.models import Prefetch

from burrow.analytics.models import Dashboard, DashboardTile, Insight
from burrow.analytics.serializers import (
    PREFETCHED_TILES,
    TILE_INSIGHT_FIELDS,
    DashboardSerializer,
    InsightSerializer,
)
from burrow.core.softdelete import SoftDeleteModelViewSet

# Tiles load only what DashboardSerializer shows of them: an insight's `query` and cached `result`
# can be large and are not part of a dashboard's representation. They land in a plain list (`to_attr`):
# a related manager's cache would cost a queryset clone per dashboard of a page.
_DASHBOARD_TILES = DashboardTile.objects.select_related("insight").only(
    "id",
    "dashboard_id",
    "insight_id",
    "layouts",
    "deleted",
    *(f"insight__{f}" for f in TILE_INSIGHT_FIELDS),
)


class DashboardViewSet(SoftDeleteModelViewSet):
    scope_object = "dashboard"
    serializer_class = DashboardSerializer
    queryset = (
        Dashboard.objects.select_related("created_by")
        .prefetch_related(Prefetch("tiles", queryset=_DASHBOARD_TILES, to_attr=PREFETCHED_TILES))
        .order_by("-id")
    )


class InsightViewSet(SoftDeleteModelViewSet):
    scope_object = "insight"
    serializer_class = InsightSerializer
    queryset = (
        Insight.objects.select_related("created_by").prefetch_related("dashboard_tiles").order_by("-id")
    )
