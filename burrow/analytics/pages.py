"""Pages for signed-in members: a project's dashboards (`/project/:id/dashboard/:id`) and insights
(`/project/:id/insights/:short_id`), at PostHog's own URLs, and the page machinery the subscription pages
share (`MemberPage`).

A page is a DRF view on the API's own tenancy: `TenantViewSetMixin` resolves the project in the URL with
`resolve_team` and checks membership with the API's permission classes, and every object is looked up in
the team-scoped queryset. Only the answers differ: no session sends the visitor to `/login?next=…`; an
unknown id, a foreign project and a non-member all get one 404 page (nothing tells which ids exist); a form
without a valid CSRF token gets a 403 page. Every answer carries the share pages' security headers.

The `/project/:id` segment names an environment (team) id, as PostHog's app URLs do; a project's default
environment shares the project's id, so for a project with one environment it is the project id."""

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from rest_framework.exceptions import (
    AuthenticationFailed,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import StaticHTMLRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from burrow.analytics.computing import is_computed
from burrow.analytics.models import Dashboard, Insight
from burrow.analytics.tiles import TileFlags, placed_insights, rendered_tiles
from burrow.core.auth import SessionAuthentication
from burrow.core.ids import parse_id
from burrow.core.models import OrganizationMembership, Team
from burrow.core.pages import secure_page
from burrow.core.tenancy import TenantViewSetMixin

NOT_FOUND_TEMPLATE = "analytics/pages/not_found.html"
DASHBOARD_TILES = TileFlags(legend=True, detailed=False, show_details=True)
INSIGHT_TILE = TileFlags(legend=True, detailed=True, show_details=True, show_title=False)


class CsrfFailed(PermissionDenied):
    """A form posted without a valid token (an expired page, or another site's form)."""


class PageSessionAuthentication(SessionAuthentication):
    """The signed-in member's session; a CSRF failure is told apart from a membership refusal."""

    def enforce_csrf(self, request) -> None:
        try:
            super().enforce_csrf(request)
        except PermissionDenied as exc:
            raise CsrfFailed(exc.detail) from None


class PageMixin:
    """What makes a DRF view a page: the session as the only credential, HTML answers, errors as pages."""

    authentication_classes = [PageSessionAuthentication]
    renderer_classes = [StaticHTMLRenderer]
    parser_classes = [FormParser, MultiPartParser]  # what browsers post
    throttle_classes: list = []
    schema = None  # pages are not API operations: left out of the OpenAPI schema
    replays = False  # a page that replays a recording gets the replay policy (burrow.core.pages)
    request: Request

    def perform_content_negotiation(self, request, force: bool = False):
        return super().perform_content_negotiation(request, force=True)  # a page is HTML whatever Accept says

    def handle_exception(self, exc: Exception) -> HttpResponse:
        request = self.request
        if isinstance(exc, NotAuthenticated | AuthenticationFailed):
            return redirect_to_login(request.get_full_path())
        if isinstance(exc, CsrfFailed):
            return render(request, "analytics/pages/form_expired.html", status=403)
        if isinstance(exc, MethodNotAllowed):
            return HttpResponse(status=405, headers={"Allow": ", ".join(self.allowed_methods)})
        if isinstance(exc, NotFound | PermissionDenied | Http404):
            return not_found(request)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return secure_page(response, replays=self.replays)


class MemberPage(TenantViewSetMixin, PageMixin, GenericAPIView):
    """A page of one project: `self.team` is resolved and the caller's membership checked exactly as for
    `/api/environments/:id/`, before any handler runs."""

    def page_context(self, **context: Any) -> dict[str, Any]:
        team = self.team
        return {
            "team": team,
            "project_name": team.project.name if team.project_id else team.name,
            "user": self.request.user,
            "theme": "light",
            **context,
        }


def not_found(request) -> HttpResponse:
    """One page for every id that does not open: unknown, deleted, or another organization's."""
    return secure_page(render(request, NOT_FOUND_TEMPLATE, status=404))


class TilesPage(MemberPage):
    """A page of tiles. Insights computed from their query show the cached answer while it is fresh; the
    page's "Refresh numbers" button (a POST) computes them anew, then shows the page again."""

    template_name: str
    flags: TileFlags

    def placed(self) -> tuple[dict[str, Any], list[tuple[Insight, bool]]]:
        """The page's object (as template context) and its insights with their tiles' widths."""
        raise NotImplementedError

    def get(self, request: Request, **kwargs: str) -> HttpResponse:
        context, placed = self.placed()
        tiles = rendered_tiles(placed, self.flags)
        computed = any(is_computed(insight) for insight, _ in placed)
        return render(
            request, self.template_name, self.page_context(**context, tiles=tiles, computed=computed)
        )

    def post(self, request: Request, **kwargs: str) -> HttpResponse:
        _, placed = self.placed()
        if request.data.get("action") == "refresh":
            rendered_tiles(placed, self.flags, refresh="force_blocking")
        return HttpResponseRedirect(request.get_full_path(), status=303)


class DashboardPage(TilesPage):
    queryset = Dashboard.objects.filter(deleted=False)
    lookup_url_kwarg = "dashboard_id"
    template_name = "analytics/pages/dashboard.html"
    flags = DASHBOARD_TILES

    def placed(self) -> tuple[dict[str, Any], list[tuple[Insight, bool]]]:
        dashboard = self.get_object()
        return {"dashboard": dashboard}, placed_insights(dashboard.id)


class InsightPage(TilesPage):
    queryset = Insight.objects.filter(deleted=False)
    template_name = "analytics/pages/insight.html"
    flags = INSIGHT_TILE

    def placed(self) -> tuple[dict[str, Any], list[tuple[Insight, bool]]]:
        insight = self.get_queryset().filter(short_id=self.kwargs["short_id"]).first()
        if insight is None:
            raise NotFound()
        return {"insight": insight}, [(insight, True)]


def member_teams(user) -> QuerySet[Team]:
    """The environments of every organization `user` belongs to (where an old link may point)."""
    return Team.objects.filter(
        organization__in=OrganizationMembership.objects.filter(user=user).values("organization_id")
    )


class LegacyRedirect(PageMixin, APIView):
    """Links of mails sent before page links named their project (`/dashboard/1`, `/insights/abc`, and the
    pages under them, whose path rest is kept with the query) go to the one project of the member's that holds
    the object; anything else, including an insight short id two of the member's projects share, gets the
    404 page. The page it redirects to checks membership again: this look-up only finds the project."""

    def get(self, request: Request, **kwargs: str) -> HttpResponse:
        teams = list(self.candidate_teams(member_teams(request.user), **kwargs)[:2])
        if len(teams) != 1:
            raise NotFound()
        path = self.target(teams[0], **kwargs)
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(f"{path}?{query}" if query else path)

    def candidate_teams(self, teams: QuerySet[Team], **kwargs: str) -> QuerySet:
        raise NotImplementedError

    def target(self, team_id: int, **kwargs: str) -> str:
        raise NotImplementedError


class LegacyDashboardRedirect(LegacyRedirect):
    def candidate_teams(self, teams: QuerySet[Team], **kwargs: str) -> QuerySet:
        dashboard_id = parse_id(kwargs["dashboard_id"])
        if dashboard_id is None:
            return Team.objects.none()
        found = Dashboard.objects.filter(id=dashboard_id, deleted=False, team__in=teams)
        return found.values_list("team_id", flat=True)

    def target(self, team_id: int, **kwargs: str) -> str:
        return f"/project/{team_id}/dashboard/{kwargs['dashboard_id']}{kwargs.get('rest') or ''}"


class LegacyInsightRedirect(LegacyRedirect):
    def candidate_teams(self, teams: QuerySet[Team], **kwargs: str) -> QuerySet:
        found = Insight.objects.filter(short_id=kwargs["short_id"], deleted=False, team__in=teams)
        return found.values_list("team_id", flat=True)

    def target(self, team_id: int, **kwargs: str) -> str:
        return f"/project/{team_id}/insights/{kwargs['short_id']}{kwargs.get('rest') or ''}"
