"""Integrations routes: the API under each project/environment and organization, and the public OAuth
callback page providers send people back to."""

from django.urls import re_path

from burrow.core.routing import ApiRouter
from burrow.integrations.pages import IntegrationCallbackView
from burrow.integrations.views import IntegrationViewSet, OrganizationIntegrationViewSet, ProxyRecordViewSet

router = ApiRouter()
router.register_team("integrations", IntegrationViewSet, "integrations")
router.register_organization("integrations", OrganizationIntegrationViewSet, "organization-integrations")
router.register_organization("proxy_records", ProxyRecordViewSet, "proxy-records")

api_urlpatterns = router.urls
public_urlpatterns = [
    re_path(
        r"^integrations/(?P<kind>[a-z0-9-]{1,40})/callback/?$",
        IntegrationCallbackView.as_view(),
        name="integration-callback",
    )
]
