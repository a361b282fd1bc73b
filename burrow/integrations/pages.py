"""`GET /integrations/<kind>/callback`: where a provider sends the person back after consenting. The page
completes the connection for the user and project the OAuth state was issued to, in the browser that
started the flow (its flow cookie) or for the state's user signed in; a browser proving neither is sent to
sign in first. Then it redirects to `next` or says what happened."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views import View
from rest_framework.exceptions import APIException

from burrow.domains.signin.pages import login_url
from burrow.integrations import consent
from burrow.integrations.oauth import CallbackBrowser, SignInRequired, bind_browser, forget_browser
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
            result = consent.complete_callback(kind, request.GET, CallbackBrowser.of(request))
        except SignInRequired:
            response = HttpResponseRedirect(login_url(request.get_full_path()))
        except APIException as exc:
            response = _page(request, kind, error=_message(exc.detail), status=exc.status_code)
        else:
            if result.redirect:
                response = HttpResponseRedirect(result.redirect)
            else:
                response = _page(request, kind, connected=display_name(result.integration))
            if result.started:
                bind_browser(response, result.started.state, kind)
            else:
                forget_browser(response, kind)
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
