from django.urls import re_path

from burrow.core.routing import ApiRouter
from burrow.subscriptions.delivery_views import SubscriptionDeliveryViewSet, exported_asset

router = ApiRouter()
router.register_team(
    "subscriptions/(?P<subscription_id>[^/.]+)/deliveries",
    SubscriptionDeliveryViewSet,
    "subscription-deliveries",
)
urlpatterns = [
    re_path(r"^exported-assets/(?P<token>[^/]+)\.png$", exported_asset, name="exported-asset"),
    *router.urls,
]
