from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from burrow.core.views import api_not_found, health, readyz

urlpatterns = [
    path("_health", health),
    path("_health/", health),
    path("_readyz", readyz),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(
        r"^api/schema/swagger-ui/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"
    ),
    re_path(r"^api/schema/redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/", include("burrow.core.urls")),
    path("api/", include("burrow.analytics.urls")),
    path("api/", include("burrow.subscriptions.urls")),
    path("api/", include("burrow.subscriptions.delivery_urls")),
    path("", include("burrow.subscriptions.public_urls")),
    re_path(r"^api(/.*)?$", api_not_found),
]
