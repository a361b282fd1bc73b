"""`GET /integrations/<kind>/callback`: where a provider sends the person back after consenting. The page
completes the connection for the user and project the OAuth state was issued to (no login needed: the
signed, single-use state is the proof and the CSRF token), then redirects to `next` or says what happened."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views import View
from rest_framework.exceptions import APIException

from burrow.integrations import consent
from burrow.integrations.providers import display_name, get_provider

HEADERS = {
    "Cache-Control": "no-store",
    # The callback URL carries the code and the state: never hand it to another site.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


class IntegrationCallbackView(View):
    http_method_names = ["get"]  # a HEAD from a link scanner must not spend the state

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        try:
            result = consent.complete_callback(kind, request.GET)
        except APIException as exc:
            response = _page(request, kind, error=_message(exc.detail), status=exc.status_code)
        else:
            if result.redirect:
                response = HttpResponseRedirect(result.redirect)
            else:
                response = _page(request, kind, connected=display_name(result.integration))
        for name, value in HEADERS.items():
            response[name] = value
        return response


def _message(detail) -> str:
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail)


def _page(request: HttpRequest, kind: str, *, status: int = 200, **context) -> HttpResponse:
    provider = get_provider(kind)
    context["provider"] = provider.label if provider else kind
    return render(request, "integrations/callback.html", context, status=status)
