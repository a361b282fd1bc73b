from burrow.core.routing import ApiRouter
from burrow.subscriptions.views import SubscriptionViewSet

router = ApiRouter()
router.register_team("subscriptions", SubscriptionViewSet, "subscriptions")
urlpatterns = router.urls
