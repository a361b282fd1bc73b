"""The public side of a share link: `/shared/<token>` (page), `/embedded/<token>` (the frameless page for
iframes) and `<token>.json` (the data of exactly the shared resource), for anyone holding the link.

Password-protected shares first show an unlock page; its form (or a JSON `{"password"}` POST, as PostHog's
front end sends) opens a 24-hour session kept in an HttpOnly cookie scoped to the share's path, or sent
back as `Authorization: Bearer <shareToken>`. Unknown, disabled and refreshed links all get the same 404
page. Every answer carries no-store caching, no referrer and a strict Content-Security-Policy: the pages
load only Burrow's own static files and run no inline script."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from burrow.core.clients import client_address
from burrow.core.exceptions import error_body
from burrow.core.pages import secure_page
from burrow.core.parsers import JSONParser
from burrow.core.renderers import JSONRenderer
from burrow.recordings.views import snapshots_response
from burrow.sharing import access
from burrow.sharing.content import Share, recorded_data

INCORRECT_PASSWORD = "Incorrect password"


@extend_schema(exclude=True)
class SharedPageView(APIView):
    authentication_classes: list = []  # the link (and its password session) is the only credential
    permission_classes = [AllowAny]
    throttle_classes: list = []  # wrong passwords have their own throttle, always on (access.login)
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    renderer_classes = [JSONRenderer]
    embedded = False
    replays = False  # a recording's page, which needs the replay policy (burrow.core.pages)

    def get(self, request: Request, access_token: str, extension: str | None = None) -> HttpResponse:
        config = access.resolve(access_token)
        if config is None or extension not in (None, ".json"):
            return self._not_found(request)
        if config.password_required and not access.session_is_valid(config, _session_of(request)):
            return self._unlock_page(request, config)
        share = Share(config, self.embedded)
        self.replays = share.recorded is not None
        if extension == ".json" or (config.password_required and _asks_for_json(request)):
            return Response(share.exported_data())
        return render(request, "sharing/page.html", share.page_context())

    def post(self, request: Request, access_token: str, extension: str | None = None) -> HttpResponse:
        config = access.resolve(access_token)
        if config is None or extension not in (None, ".json"):
            return self._not_found(request)
        if not config.password_required:
            return self.get(request, access_token, extension)
        form = not request.content_type.startswith("application/json")
        password = request.data.get("password") if hasattr(request.data, "get") else None
        result = access.login(config, password, client_address(request))
        if result.retry_after is not None:
            return self._throttled(request, config, form, result.retry_after)
        if result.session is None:
            if form:
                return self._unlock_page(request, config, error=INCORRECT_PASSWORD, code=401)
            return Response({"error": INCORRECT_PASSWORD}, status=status.HTTP_401_UNAUTHORIZED)
        page = f"/{'embedded' if self.embedded else 'shared'}/{config.access_token}"
        # A form post goes back to the page (303, so the browser then GETs it), which the cookie now opens.
        response = (
            HttpResponseRedirect(page, status=303) if form else Response({"shareToken": result.session})
        )
        response.set_cookie(
            access.SESSION_COOKIE,
            result.session,
            max_age=int(access.SESSION_MAX_AGE.total_seconds()),
            path=page,
            secure=settings.SITE_URL.startswith("https://"),
            httponly=True,
            samesite="Lax",
        )
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The page's URL is the share's secret, and its unlock form needs no CSRF token (the link is the
        # credential): no referrer at all.
        return secure_page(
            response, frameable=self.embedded, referrer_policy="no-referrer", replays=self.replays
        )

    def _not_found(self, request: Request) -> HttpResponse:
        """One page for every link that does not work, so nothing tells which links exist."""
        return render(request, "sharing/not_found.html", status=status.HTTP_404_NOT_FOUND)

    def _throttled(self, request: Request, config, form: bool, retry_after: int) -> HttpResponse:
        if form:
            minutes = -(-retry_after // 60)
            error = f"Too many wrong passwords. Try again in {minutes} minute{'s' * (minutes != 1)}."
            response = self._unlock_page(request, config, error=error, code=429)
        else:
            detail = f"Request was throttled. Expected available in {retry_after} seconds."
            response = Response(error_body("throttled_error", "throttled", detail), status=429)
        response["Retry-After"] = str(retry_after)
        return response

    def _unlock_page(self, request: Request, config, error: str = "", code: int = 200) -> HttpResponse:
        context = {
            "embedded": self.embedded,
            "theme": config.setting("theme") or "light",
            "show_branding": not config.setting("whitelabel"),
            "error": error,
        }
        return render(request, "sharing/unlock.html", context, status=code)


def _session_of(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return request.COOKIES.get(access.SESSION_COOKIE)


def _asks_for_json(request: Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@extend_schema(exclude=True)
class SharedSnapshotsView(APIView):
    """`/shared/<token>/snapshots` (and `/embedded/…`): the shared recording's snapshots, as the recordings
    API serves them, for the page's player. The same credential as the page: the link, and for a
    password-protected share the session cookie (its path covers this one)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def get(self, request: Request, access_token: str) -> HttpResponse:
        config = access.resolve(access_token)
        if config is None or config.resource_kind != "recording":
            return Response(error_body("invalid_request", "not_found", "Not found."), status=404)
        if config.password_required and not access.session_is_valid(config, _session_of(request)):
            detail = "This share needs its password."
            return Response(error_body("authentication_error", "not_authenticated", detail), status=401)
        recorded = recorded_data(config.recording)
        if recorded is None:
            return Response(
                error_body("invalid_request", "not_found", "This recording has no data."), status=404
            )
        return snapshots_response(request, recorded)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
