"""Core routes: the activity log of each project/environment, the health checks and the site's icon."""

from django.urls import path

from burrow.core.routing import ApiRouter
from burrow.core.views import ActivityLogViewSet, favicon, health, readyz

router = ApiRouter()
router.register_team("activity_log", ActivityLogViewSet, "activity-log")

api_urlpatterns = router.urls
public_urlpatterns = [
    path("_health", health),
    path("_health/", health),
    path("_readyz", readyz),
    path("favicon.ico", favicon),
]
