"""Analytics routes: dashboards and insights under each project/environment, and the signed picture links."""

from django.urls import re_path

from burrow.analytics.views import DashboardViewSet, InsightViewSet, exported_asset
from burrow.core.routing import ApiRouter

router = ApiRouter()
router.register_team("dashboards", DashboardViewSet, "dashboards")
router.register_team("insights", InsightViewSet, "insights")

api_urlpatterns = [
    re_path(r"^exported-assets/(?P<token>[^/]+)\.png$", exported_asset, name="exported-asset"),
    *router.urls,
]
