from burrow.analytics.views import DashboardViewSet, InsightViewSet
from burrow.core.routing import ApiRouter

router = ApiRouter()
router.register_team("dashboards", DashboardViewSet, "dashboards")
router.register_team("insights", InsightViewSet, "insights")
urlpatterns = router.urls
