"""`/api/environments/:id/data_sources/` (and the projects twin): an environment's data sources, with a
connection test; `/api/environments/:id/query/`: PostHog's query API over them. Views parse and authorise;
burrow.queries.sources and burrow.queries.execution do the work."""

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.core.exceptions import error_body
from burrow.core.permissions import OrganizationAdminWritePermission
from burrow.core.tenancy import TenantViewSetMixin
from burrow.queries import execution, sources, statuses
from burrow.queries.errors import QueryError, TooManyQueries
from burrow.queries.models import DataSource, QueryTask
from burrow.queries.runners import runner
from burrow.queries.serializers import (
    DataSourceCreateSerializer,
    DataSourceSerializer,
    DataSourceTestSerializer,
    DataSourceUpdateSerializer,
    QueryCancelSerializer,
    QueryRequestSerializer,
    QueryResponseSerializer,
    QueryStatusResponseSerializer,
)


def invalid(error: QueryError, attr: str | None = None) -> ValidationError:
    return ValidationError({attr: [error.message]} if attr else error.message, code=error.code)


class DataSourceViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """An environment's data sources. Members read them; organization admins add, change and remove them.
    Without a default source, queries read the environment's embedded DuckDB warehouse."""

    scope_object = "external_data_source"
    permission_classes = [OrganizationAdminWritePermission]
    serializer_class = DataSourceSerializer
    queryset = DataSource.objects.select_related("created_by")

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by("created_at", "id")

    @extend_schema(request=DataSourceCreateSerializer, responses={201: DataSourceSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Adds a source: `{"name", "kind", "url", "is_default"}`. The URL's host must be allowed by
        BURROW_DATA_SOURCE_HOSTS; a duckdb source takes no URL (it reads the embedded warehouse)."""
        body = DataSourceCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            source = sources.create(self.team, request.user, **body.validated_data)
        except QueryError as error:
            raise invalid(error, "url") from None
        return Response(self.get_serializer(source).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DataSourceUpdateSerializer, responses={200: DataSourceSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        """Changes `name`, `url` or `is_default`; the kind stays what the source was created as."""
        source = self.get_object()
        body = DataSourceUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        if changes.pop("kind", source.kind) != source.kind:
            raise ValidationError({"kind": ["A source's kind cannot change; add a new source."]})
        try:
            sources.update(source, changes)
        except QueryError as error:
            raise invalid(error, "url") from None
        return Response(self.get_serializer(source).data)

    @extend_schema(request=None, responses={200: DataSourceTestSerializer})
    @action(methods=["post"], detail=True, url_path="test", required_scopes=["external_data_source:read"])
    def test(self, request: Request, *args, **kwargs) -> Response:
        """Connects and runs a trivial query: `{"ok": true, "version"}`, or a 400 naming what failed
        (refused connection, authentication, timeout, TLS, a host outside the rule)."""
        source = self.get_object()
        try:
            target = sources.target_of(source, self.team)
            found = runner(target.kind).version(target, min(10.0, settings.QUERY_TIMEOUT))
        except QueryError as error:
            raise invalid(error) from None
        return Response({"ok": True, "version": found})


class QueryViewSet(TenantViewSetMixin, viewsets.GenericViewSet):
    """PostHog's query API over the environment's data: `{"query": {"kind": "HogQLQuery", "query": SQL}}`.
    The SQL is the source's own dialect (DuckDB, PostgreSQL or ClickHouse), one read-only SELECT."""

    required_scopes = ["query:read"]
    queryset = QueryTask.objects.none()  # statuses are looked up in burrow.queries.statuses
    lookup_url_kwarg = "query_id"
    lookup_value_regex = r"[^/]+"
    serializer_class = QueryRequestSerializer

    @extend_schema(request=QueryRequestSerializer, responses={200: QueryResponseSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Runs the query (or answers from the cache, per `refresh`). 100 rows unless the SQL has its own
        LIMIT (at most 50,000); `hasMore` says whether rows were left out."""
        body = QueryRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            answer = execution.run_query(
                self.team,
                data["query"]["query"],
                source_id=data.get("data_source"),
                # As the reference's query API: cache-only becomes "cached if fresh, else computed".
                refresh="blocking" if data.get("refresh") == "force_cache" else data.get("refresh"),
                query_id=data.get("client_query_id") or None,
            )
        except QueryError as error:
            raise invalid(error, "data_source" if error.code == "data_source_not_found" else None) from None
        except TooManyQueries as busy:
            return Response(
                error_body("throttled_error", "throttled", str(busy)),
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(busy.retry_after)},
            )
        computing = (answer.get("query_status") or {}).get("complete") is False
        return Response(answer, status=status.HTTP_202_ACCEPTED if computing else status.HTTP_200_OK)

    @extend_schema(
        responses={code: QueryStatusResponseSerializer for code in (200, 202, 400)},
    )
    def retrieve(self, request: Request, query_id: str, *args, **kwargs) -> Response:
        """The status of a background computation (the async refresh modes) by its id: 202 while it runs,
        200 with the answer in `query_status.results`, 400 with `error_message` when it failed."""
        task = self._task(query_id)
        body = {"query_status": statuses.status_of(task)}
        if task.status == QueryTask.Status.ERROR:
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_200_OK if body["query_status"]["complete"] else 202)

    @extend_schema(request=None, responses={200: QueryCancelSerializer})
    def destroy(self, request: Request, query_id: str, *args, **kwargs) -> Response:
        """Cancels a background computation: a queued one never runs, and its status is forgotten."""
        statuses.cancel(self._task(query_id))
        return Response({"message": "Query cancelled"})

    def _task(self, query_id: str) -> QueryTask:
        task = statuses.find(self.team, query_id)
        if task is None:
            raise NotFound("Query not found.")
        return task
