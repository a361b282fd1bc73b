"""Sharing routes: each resource's sharing configuration under every project/environment, and the public
share pages (`/shared/<token>`, `/embedded/<token>`, `.json` for the data)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from burrow.core.routing import ApiRouter
from burrow.sharing.pages import SharedPageView, SharedSnapshotsView
from burrow.sharing.views import DashboardSharingViewSet, InsightSharingViewSet, RecordingSharingViewSet

_LIST_ROUTE, *_OTHER_ROUTES = SimpleRouter.routes


class SharingRouter(ApiRouter):
    """PATCH on a configuration's route updates it (PostHog's `patch` on the list route)."""

    routes = [
        _LIST_ROUTE._replace(mapping={**_LIST_ROUTE.mapping, "patch": "update_configuration"}),
        *_OTHER_ROUTES,
    ]


router = SharingRouter()
router.register_team(
    r"session_recordings/(?P<recording_id>[^/]+)/sharing", RecordingSharingViewSet, "recording-sharing"
)
router.register_team(
    r"dashboards/(?P<dashboard_id>[^/]+)/sharing", DashboardSharingViewSet, "dashboard-sharing"
)
router.register_team(r"insights/(?P<insight_id>[^/]+)/sharing", InsightSharingViewSet, "insight-sharing")

api_urlpatterns = router.urls

_TOKEN = r"(?P<access_token>[^/.]+)(?P<extension>\.[^/]*)?/?"
public_urlpatterns = [
    re_path(rf"^shared/{_TOKEN}$", SharedPageView.as_view(), name="shared"),
    re_path(rf"^embedded/{_TOKEN}$", SharedPageView.as_view(embedded=True), name="embedded"),
    re_path(r"^(?:shared|embedded)/(?P<access_token>[^/.]+)/snapshots/?$", SharedSnapshotsView.as_view()),
]
