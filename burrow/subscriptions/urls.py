"""Subscriptions routes: the API under each project/environment, the public unsubscribe link, and the members'
subscription pages (with redirects for the project-less links of older mails)."""

from django.urls import re_path

from burrow.analytics.pages import LegacyDashboardRedirect, LegacyInsightRedirect
from burrow.core.routing import ApiRouter
from burrow.subscriptions.pages import ProjectHomePage, ProjectSubscriptionsPage, SiteRoot, SubscriptionPage
from burrow.subscriptions.views import SubscriptionDeliveryViewSet, SubscriptionViewSet, UnsubscribeView

router = ApiRouter()
router.register_team("subscriptions", SubscriptionViewSet, "subscriptions")
router.register_team(
    "subscriptions/(?P<subscription_id>[^/.]+)/deliveries",
    SubscriptionDeliveryViewSet,
    "subscription-deliveries",
)

api_urlpatterns = router.urls

_PROJECT = r"^project/(?P<environment_id>[^/]+)"
_SUBSCRIPTION = r"subscriptions/(?P<subscription_id>[^/]+)/?$"
public_urlpatterns = [
    re_path(r"^$", SiteRoot.as_view(), name="home"),
    re_path(rf"{_PROJECT}/?$", ProjectHomePage.as_view(), name="project-home"),
    re_path(r"^unsubscribe/?$", UnsubscribeView.as_view(), name="unsubscribe"),
    re_path(
        rf"{_PROJECT}/subscriptions/?$", ProjectSubscriptionsPage.as_view(), name="project-subscriptions"
    ),
    re_path(
        rf"{_PROJECT}/dashboard/(?P<dashboard_id>[^/]+)/{_SUBSCRIPTION}",
        SubscriptionPage.as_view(),
        name="dashboard-subscription-page",
    ),
    re_path(
        rf"{_PROJECT}/insights/(?P<short_id>[^/]+)/{_SUBSCRIPTION}",
        SubscriptionPage.as_view(),
        name="insight-subscription-page",
    ),
    # Mails sent before the links named their project: `rest` (the subscription part) is kept.
    re_path(
        r"^dashboard/(?P<dashboard_id>[^/]+)(?P<rest>/subscriptions/\d+)/?$",
        LegacyDashboardRedirect.as_view(),
    ),
    re_path(r"^insights/(?P<short_id>[^/]+)(?P<rest>/subscriptions/\d+)/?$", LegacyInsightRedirect.as_view()),
]
