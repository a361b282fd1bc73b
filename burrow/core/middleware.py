"""Refuses requests for hosts Burrow does not serve with a 400 in the error envelope, before any view or link
sees the forged Host header; takes a trusted proxy's word that the visitor came over https."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict

from burrow.core.clients import parse_address
from burrow.core.exceptions import error_body
from burrow.core.logs import request_id, sane_request_id
from burrow.core.textsafety import find_unstorable_field, form_fields, unstorable_reason


class RequestIdMiddleware:
    """Every response carries `X-Request-ID` (the client's when sane, else a new one), and every log line
    written while the request is served carries it as `request_id`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        current = sane_request_id(request.headers.get("X-Request-ID"))
        request.request_id = current
        token = request_id.set(current)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = current
        return response


class KnownHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.get_host()
        except DisallowedHost:
            detail = "Unknown host. Add it to BURROW_ALLOWED_HOSTS to serve it."
            return JsonResponse(error_body("invalid_request", "unknown_host", detail), status=400)
        return self.get_response(request)


class ForwardedProtoMiddleware:
    """Behind a TLS-terminating proxy the request reaches Burrow as plain http; the proxy's `X-Forwarded-Proto:
    https` makes it https (HSTS, secure redirects, CSRF's https checks) only when the connection's peer is in
    BURROW_TRUSTED_PROXIES. Only the header's last value is read: the one the peer itself wrote, where a proxy
    that appends puts it after whatever the visitor sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forwarded = request.META.get("HTTP_X_FORWARDED_PROTO", "").rsplit(",", 1)[-1].strip().lower()
        if forwarded in ("http", "https") and _peer_is_trusted(request):
            # WSGIRequest.scheme (hence is_secure()) is the WSGI environ's url scheme; META is that environ.
            request.META["wsgi.url_scheme"] = forwarded
        return self.get_response(request)


def _peer_is_trusted(request: HttpRequest) -> bool:
    peer = parse_address(request.META.get("REMOTE_ADDR") or "")
    return peer is not None and any(peer in network for network in settings.TRUSTED_PROXIES)


class UnstorableTextMiddleware:
    """Query parameters and form fields with text no database can store (a NUL, a lone surrogate): 400 in the
    error envelope naming the parameter or field, before the view runs; JSON bodies are checked by their
    parser (burrow/core/parsers.py). A path holding such text names nothing that exists: 404, as any id
    that cannot exist. Such cookies are dropped before the session looks its key up: a browser holding one
    could not fix it, so it is treated as never sent."""

    # SCIM answers in its own error schema and checks its own input (burrow/domains/scim/).
    OWN_CHECKS_PREFIXES = ("/scim/",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.COOKIES = {
            name: value
            for name, value in request.COOKIES.items()
            if unstorable_reason(name) is None and unstorable_reason(value) is None
        }
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        if request.path_info.startswith(self.OWN_CHECKS_PREFIXES):
            return None
        if unstorable_reason(request.path_info):
            if request.path_info.startswith("/api/"):
                return JsonResponse(error_body("invalid_request", "not_found", "Not found."), status=404)
            raise Http404  # the site's not-found page
        found = find_unstorable_field(request.GET) or find_unstorable_field(
            form_fields(request) or QueryDict()
        )
        if found is None:
            return None
        attr, detail = found
        return JsonResponse(error_body("validation_error", "invalid_input", detail, attr), status=400)
