"""Analytics routes: dashboards and insights under each project/environment, the signed picture links, and
the members' dashboard and insight pages (with redirects for the project-less links of older mails)."""

from django.urls import re_path

from burrow.analytics.pages import DashboardPage, InsightPage, LegacyDashboardRedirect, LegacyInsightRedirect
from burrow.analytics.views import DashboardViewSet, InsightViewSet, exported_asset
from burrow.core.routing import ApiRouter

router = ApiRouter()
router.register_team("dashboards", DashboardViewSet, "dashboards")
router.register_team("insights", InsightViewSet, "insights")

api_urlpatterns = [
    re_path(r"^exported-assets/(?P<token>[^/]+)\.png$", exported_asset, name="exported-asset"),
    *router.urls,
]

_PROJECT = r"^project/(?P<environment_id>[^/]+)"
public_urlpatterns = [
    re_path(
        rf"{_PROJECT}/dashboard/(?P<dashboard_id>[^/]+)/?$", DashboardPage.as_view(), name="dashboard-page"
    ),
    re_path(rf"{_PROJECT}/insights/(?P<short_id>[^/]+)/?$", InsightPage.as_view(), name="insight-page"),
    re_path(r"^dashboard/(?P<dashboard_id>[^/]+)/?$", LegacyDashboardRedirect.as_view()),
    re_path(r"^insights/(?P<short_id>[^/]+)/?$", LegacyInsightRedirect.as_view()),
]
