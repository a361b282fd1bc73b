"""Subscriptions routes: the API under each project/environment, and the public unsubscribe link."""

from django.urls import re_path

from burrow.core.routing import ApiRouter
from burrow.subscriptions.views import SubscriptionDeliveryViewSet, SubscriptionViewSet, UnsubscribeView

router = ApiRouter()
router.register_team("subscriptions", SubscriptionViewSet, "subscriptions")
router.register_team(
    "subscriptions/(?P<subscription_id>[^/.]+)/deliveries",
    SubscriptionDeliveryViewSet,
    "subscription-deliveries",
)

api_urlpatterns = router.urls
public_urlpatterns = [re_path(r"^unsubscribe/?$", UnsubscribeView.as_view(), name="unsubscribe")]
