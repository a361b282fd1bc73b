"""Organization domains routes: the API under each organization."""

from burrow.core.routing import ApiRouter
from burrow.domains.views import OrganizationDomainViewSet

router = ApiRouter()
router.register_organization("domains", OrganizationDomainViewSet, "domains")

api_urlpatterns = router.urls
