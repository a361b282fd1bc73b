import gzip
import hmac
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.core import health as health_checks
from burrow.core import metrics
from burrow.core.clients import client_address, parse_address
from burrow.core.exceptions import error_body
from burrow.core.models import ActivityLog, Team
from burrow.core.serializers import ActivityLogSerializer, EnvironmentSerializer
from burrow.core.tenancy import TenantViewSetMixin


def health(request: HttpRequest) -> HttpResponse:
    """Process up and migrations applied."""
    if not health_checks.migrations_applied():
        return HttpResponse("Migrations are not up to date", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def livez(request: HttpRequest) -> JsonResponse:
    """The process answers HTTP (a liveness probe: restart it when this fails)."""
    return JsonResponse({"http": True})


def readyz(request: HttpRequest) -> JsonResponse:
    """Whether this role can do its work: 200 when every check is true, else 503 naming the false ones.
    No role means `web`; an unknown one is 400 `{"error": "InvalidRole"}`."""
    role = request.GET.get("role") or "web"
    if role not in health_checks.ROLES:
        return JsonResponse({"error": "InvalidRole"}, status=400)
    checks = health_checks.checks_for(role)
    return JsonResponse(checks, status=200 if all(checks.values()) else 503)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape: with `Authorization: Bearer $BURROW_METRICS_TOKEN`, or from this machine."""
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    by_token = bool(token) and hmac.compare_digest(offered.encode(), token.encode())
    peer = parse_address(client_address(request))
    if not by_token and not (peer is not None and peer.is_loopback):
        detail = "Metrics need the bearer token BURROW_METRICS_TOKEN, or a request from this machine."
        return JsonResponse(error_body("authentication_error", "permission_denied", detail), status=403)
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return JsonResponse(error_body("invalid_request", "not_found", "Endpoint not found."), status=404)


class ActivityLogViewSet(TenantViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The project's activity log, newest first; `?scope=` and `?item_id=` narrow it."""

    scope_object = "activity_log"
    serializer_class = ActivityLogSerializer
    queryset = ActivityLog.objects.select_related("user").order_by("-created_at")

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        scope = self.request.query_params.get("scope")
        item_id = self.request.query_params.get("item_id")
        if scope:
            queryset = queryset.filter(scope=scope)
        if item_id:
            queryset = queryset.filter(item_id=item_id)
        return queryset


class EnvironmentViewSet(TenantViewSetMixin, viewsets.GenericViewSet):
    """`GET /api/environments/:id/` and `/api/projects/:id/`: the environment itself, with its public
    `api_token` for browser SDKs (`@current` names the caller's current one)."""

    scope_object = "project"
    serializer_class = EnvironmentSerializer
    queryset = Team.objects.all()

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(self.get_serializer(self.team).data)


_FAVICON = Path(__file__).parent / "static" / "core" / "favicon.ico"
# The one thing Redoc's bundle fetches from another host: the Redocly logo beside its "API docs by Redocly"
# link. Burrow serves the bundle with an empty picture in its place, so the docs load nothing from elsewhere.
_REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_NO_PICTURE = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@cache
def _redoc_bundle() -> tuple[bytes, bytes]:
    """(the bundle, gzipped), made once per process."""
    bundle = Path(finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")).read_bytes()
    # Its source map would be off by the change (and is not served): the reference to it goes too.
    bundle = bundle.replace(_REDOCLY_LOGO, _NO_PICTURE).replace(
        b"\n//# sourceMappingURL=redoc.standalone.js.map", b""
    )
    return bundle, gzip.compress(bundle, compresslevel=9, mtime=0)


def redoc_bundle(request: HttpRequest) -> HttpResponse:
    """Redoc (drf-spectacular-sidecar's copy) as the API docs page loads it: see _REDOCLY_LOGO. About 1 MB,
    a quarter of that gzipped."""
    plain, compressed = _redoc_bundle()
    zipped = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(compressed if zipped else plain, content_type="text/javascript; charset=utf-8")
    if zipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "public, max-age=86400"
    return response


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask every site for /favicon.ico: Burrow's icon, rather than a 404 in every page's log."""
    response = HttpResponse(_FAVICON.read_bytes(), content_type="image/vnd.microsoft.icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
