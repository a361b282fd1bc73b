"""A DRF router whose routes all work with or without the trailing slash, plus helpers that register a
viewset under the project, environment or organization parents, and views loaded on first use."""

from collections.abc import Callable
from importlib import import_module

from django.http import HttpRequest, HttpResponse
from rest_framework.routers import SimpleRouter

PROJECT_PARENT = r"projects/(?P<project_id>[^/]+)"
ENVIRONMENT_PARENT = r"environments/(?P<environment_id>[^/]+)"
ORGANIZATION_PARENT = r"organizations/(?P<organization_id>[^/]+)"


class ApiRouter(SimpleRouter):
    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"

    def register_team(self, prefix: str, viewset, basename: str) -> None:
        """Registered twice, as PostHog does: `/api/projects/:id/<prefix>` and `/api/environments/:id/<prefix>`."""
        self.register(f"{PROJECT_PARENT}/{prefix}", viewset, basename=f"project-{basename}")
        self.register(f"{ENVIRONMENT_PARENT}/{prefix}", viewset, basename=f"environment-{basename}")

    def register_organization(self, prefix: str, viewset, basename: str) -> None:
        self.register(f"{ORGANIZATION_PARENT}/{prefix}", viewset, basename=f"organization-{basename}")


def lazy_view(module: str, name: str, *, csrf_exempt: bool = False) -> Callable[..., HttpResponse]:
    """A view imported on its first request. Identity-provider endpoints (SAML: python3-saml and lxml; SCIM:
    pydantic models) cost a web worker about 25 MB when imported; most workers never serve them.
    `csrf_exempt` must be given here: Django reads the flag from the URL's callback before the view loads."""
    loaded: list[Callable[..., HttpResponse]] = []

    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not loaded:
            target = getattr(import_module(module), name)
            loaded.append(target.as_view() if hasattr(target, "as_view") else target)
        return loaded[0](request, *args, **kwargs)

    view.__name__ = view.__qualname__ = name
    view.csrf_exempt = csrf_exempt
    return view
