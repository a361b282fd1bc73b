"""The URL conf collects every Burrow app's `urls.py`, in INSTALLED_APPS order: its `api_urlpatterns` under
`/api/` and its `public_urlpatterns` (pages, links in mails) at the root. A new app adds itself by having one."""

from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from burrow.core.views import api_not_found, redoc_bundle


def _app_url_modules() -> list[ModuleType]:
    modules = []
    for config in apps.get_app_configs():
        if not config.name.startswith("burrow."):
            continue
        try:
            modules.append(import_module(f"{config.name}.urls"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.urls":
                raise
    return modules


_apps = _app_url_modules()

urlpatterns = [
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(
        r"^api/schema/swagger-ui/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"
    ),
    path("api/schema/redoc/bundles/redoc.standalone.js", redoc_bundle),  # REDOC_DIST in settings.py
    re_path(
        r"^api/schema/redoc/?$",
        SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html"),
        name="redoc",
    ),
    *(
        path("api/", include(module.api_urlpatterns))
        for module in _apps
        if hasattr(module, "api_urlpatterns")
    ),
    *(pattern for module in _apps for pattern in getattr(module, "public_urlpatterns", [])),
    re_path(r"^api(/.*)?$", api_not_found),
]
