"""Dashboards and insights over the API (a read credential such as a share link's `?sharing_access_token=`
reads its own object: burrow/core/readcredentials.py), and the signed picture links reports show. Views
parse and authorise; services.py writes."""

from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.analytics import computing, services
from burrow.analytics.assets import asset_id_from_token
from burrow.analytics.models import Dashboard, ExportedAsset, Insight
from burrow.analytics.serializers import (
    COMPUTED,
    PREFETCHED_TILES,
    DashboardSerializer,
    InsightSerializer,
    attach_live_tiles,
)
from burrow.core.prepared import PreparedQuery
from burrow.core.readcredentials import ObjectGrantReadMixin
from burrow.core.softdelete import SoftDeleteModelViewSet
from burrow.queries.errors import QueryError
from burrow.queries.execution import refresh_mode

# `retrieve` reads a dashboard with a compiled query (burrow/core/prepared.py).
_DASHBOARD_OF_TEAM = PreparedQuery(
    lambda p: Dashboard.objects.select_related("created_by").filter(team_id=p.team, id=p.pk)[:1],
    team=int,
    pk=int,
)


def requested_refresh(request: Request, default: str | None) -> str | None:
    """The `?refresh=` mode (the query API's), else `default`; a 400 naming `refresh` for anything else."""
    value = request.query_params.get("refresh", default)
    if value is None:
        return None
    try:
        return refresh_mode(value)
    except QueryError as error:
        raise ValidationError({"refresh": [error.message]}) from None


class DashboardViewSet(ObjectGrantReadMixin, SoftDeleteModelViewSet):
    scope_object = "dashboard"
    serializer_class = DashboardSerializer
    # A page's dashboards mostly share a few creators: each is read once (prefetched), not once per row.
    queryset = Dashboard.objects.prefetch_related("created_by").order_by("-id")
    retrieve_query = _DASHBOARD_OF_TEAM

    def get_object(self) -> Dashboard:
        dashboard = super().get_object()
        if self.action == "retrieve":  # a write answers the dashboard its service returns, read afresh
            attach_live_tiles([dashboard])
        return dashboard

    def paginate_queryset(self, queryset) -> list[Dashboard] | None:
        page = super().paginate_queryset(queryset)
        attach_live_tiles(page or [])
        return page

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """A dashboard; with `?refresh=` (the query API's modes) each tile's SQL insight is computed, at most
        four at a time, and the tile's insight carries `result`, `columns`, `types`, `last_refresh`,
        `is_cached` and, when it could not be computed, `error`."""
        self.refresh = requested_refresh(request, default=None)
        return super().retrieve(request, *args, **kwargs)

    def get_serializer(self, *args, **kwargs):
        if self.action == "retrieve" and args and self.refresh is not None:
            tiles = getattr(args[0], PREFETCHED_TILES, [])
            insights = Insight.objects.filter(
                id__in=[tile["insight__id"] for tile in tiles], deleted=False
            ).only("id", "team", "query", "data_source")
            computed = computing.compute_all(list(insights), self.refresh)
            kwargs["context"] = {**self.get_serializer_context(), COMPUTED: computed}
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer: DashboardSerializer) -> None:
        serializer.instance = services.create_dashboard(
            self.team, self.request.user, serializer.validated_data
        )

    def perform_update(self, serializer: DashboardSerializer) -> None:
        serializer.instance = services.update_dashboard(serializer.instance, serializer.validated_data)


class InsightViewSet(ObjectGrantReadMixin, SoftDeleteModelViewSet):
    scope_object = "insight"
    serializer_class = InsightSerializer
    queryset = (
        Insight.objects.select_related("created_by").prefetch_related("dashboard_tiles").order_by("-id")
    )

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """An insight; one whose query is SQL is computed per `?refresh=` (the query API's modes; default
        `force_cache`: the cached answer, never computed) and answers its rows in `result`, with
        `columns`, `types`, `last_refresh`, `is_cached`, `cache_target_age` and `query_status`; one that
        cannot be computed is a 400 saying why."""
        self.refresh = requested_refresh(request, default="force_cache")
        return super().retrieve(request, *args, **kwargs)

    def get_serializer(self, *args, **kwargs):
        if self.action == "retrieve" and args and computing.is_computed(args[0]):
            computed = computing.compute(args[0], self.refresh)
            if computed is not None and computed.error:
                raise ValidationError(computed.error, code="query_failed")  # as the query API answers it
            kwargs["context"] = {**self.get_serializer_context(), COMPUTED: {args[0].id: computed}}
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer: InsightSerializer) -> None:
        serializer.instance = services.create_insight(self.team, self.request.user, serializer.validated_data)

    def perform_update(self, serializer: InsightSerializer) -> None:
        serializer.instance = services.update_insight(serializer.instance, serializer.validated_data)


def exported_asset(request: HttpRequest, token: str) -> HttpResponse:
    """A stored picture, for anyone holding an unexpired signed link (Slack fetches these)."""
    asset_id = asset_id_from_token(token)
    asset = (
        ExportedAsset.objects.filter(id=asset_id).only("content", "export_format").first()
        if asset_id
        else None
    )
    if asset is None:
        raise Http404()
    response = HttpResponse(bytes(asset.content), content_type=asset.export_format)
    response["Cache-Control"] = "private, max-age=3600"
    return response
