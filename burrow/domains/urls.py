"""Organization domains routes: the API under each organization, and the identity parts a domain configures —
sign-in (API and pages), SAML and the SCIM server."""

from burrow.core.routing import ApiRouter
from burrow.domains.saml import urls as saml_urls
from burrow.domains.scim import urls as scim_urls
from burrow.domains.signin import urls as signin_urls
from burrow.domains.views import OrganizationDomainViewSet

router = ApiRouter()
router.register_organization("domains", OrganizationDomainViewSet, "domains")

api_urlpatterns = [*router.urls, *signin_urls.api_urlpatterns]
public_urlpatterns = [*signin_urls.public_urlpatterns, *saml_urls.urlpatterns, *scim_urls.urlpatterns]
