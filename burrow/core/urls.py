"""Core routes: each project/environment itself and its activity log, the health checks and the site's icon."""

from django.urls import path, re_path

from burrow.core.routing import ENVIRONMENT_PARENT, PROJECT_PARENT, ApiRouter
from burrow.core.views import (
    ActivityLogViewSet,
    EnvironmentViewSet,
    favicon,
    health,
    livez,
    metrics_view,
    readyz,
)

router = ApiRouter()
router.register_team("activity_log", ActivityLogViewSet, "activity-log")

_environment = EnvironmentViewSet.as_view({"get": "retrieve"})
api_urlpatterns = [
    *router.urls,
    re_path(rf"^{PROJECT_PARENT}/?$", _environment, name="project-detail"),
    re_path(rf"^{ENVIRONMENT_PARENT}/?$", _environment, name="environment-detail"),
]
public_urlpatterns = [
    path("_health", health),
    path("_health/", health),
    path("_readyz", readyz),
    path("_livez", livez),
    path("_metrics", metrics_view),
    path("favicon.ico", favicon),
]
