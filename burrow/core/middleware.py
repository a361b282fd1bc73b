"""Refuses requests for hosts Burrow does not serve (DECISIONS §17) with a 400 in the error envelope, before
any view or link sees the forged Host header."""

from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse

from burrow.core.exceptions import error_body


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
