"""Data sources and the query API, under each project and environment."""

from burrow.core.routing import ApiRouter
from burrow.queries.views import DataSourceViewSet, QueryViewSet

router = ApiRouter()
router.register_team("data_sources", DataSourceViewSet, "data-sources")
router.register_team("query", QueryViewSet, "query")

api_urlpatterns = router.urls
