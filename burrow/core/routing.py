"""A DRF router whose routes all work with or without the trailing slash, plus helpers that register a
viewset under the project, environment or organization parents."""

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
