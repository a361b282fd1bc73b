from burrow.core.routing import ApiRouter
from burrow.core.views import ActivityLogViewSet

router = ApiRouter()
router.register_team("activity_log", ActivityLogViewSet, "activity-log")
urlpatterns = router.urls
