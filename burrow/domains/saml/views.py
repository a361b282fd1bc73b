"""The SAML pages: `/login/saml/?email=` sends the person to their domain's identity provider,
`/complete/saml/` (the ACS) receives the provider's answer and signs them in, `/login/saml/metadata/?domain=`
is Burrow's SP metadata for that domain.

The ACS is exempt from CSRF tokens: the identity provider posts to it from its own site, and what protects it
is the signed response, checked in services.py, its single use, and that it answers the sign-in this browser
started. That sign-in travels in a cookie of its own, scoped to the ACS path and sent on that cross-site POST
(SameSite=None over https), because the session cookie (SameSite=Lax) is not."""

import logging
import uuid
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from burrow.core.clients import client_address
from burrow.core.pages import secure_page
from burrow.domains.models import OrganizationDomain
from burrow.domains.saml import services, sp
from burrow.domains.signin.pages import safe_next
from burrow.links import saml_acs_url

logger = logging.getLogger(__name__)

PENDING_COOKIE = "burrow_saml_request"


# Where a navigation to the start may come from, by the browser's Sec-Fetch-Site: Burrow's own pages, or the
# person (typed in, a bookmark). Browsers that send no such header are let through.
_OWN_NAVIGATION = frozenset({"same-origin", "none"})


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    # Login CSRF: another site could send this browser here with the attacker's address; the attacker's own
    # identity provider would then answer the request at once, and the answer would match the started sign-in.
    if request.headers.get("Sec-Fetch-Site", "none") not in _OWN_NAVIGATION:
        refusal = services.SAMLError("saml_cross_site_start", services.CROSS_SITE_START, status=403)
        return _refused(request, refusal)
    try:
        started = services.start(request.GET.get("email", ""), safe_next(request.GET.get("next")) or "/")
    except services.SAMLError as error:
        return _refused(request, error)
    response = _no_store(HttpResponseRedirect(started.redirect_url))
    response.set_cookie(
        PENDING_COOKIE,
        started.pending,
        max_age=services.PENDING_MAX_AGE,
        path=_acs_path(),
        secure=_https(),
        httponly=True,
        samesite=_pending_samesite(),
    )
    return response


@csrf_exempt
@require_POST
def complete(request: HttpRequest) -> HttpResponse:
    pending = services.read_pending(request.COOKIES.get(PENDING_COOKIE))
    relay_state = request.POST.get("RelayState")
    try:
        signed_in = services.complete(relay_state, request.POST.get("SAMLResponse"), pending)
    except services.SAMLError as error:
        response = _refused(request, error, relay_state)
    else:
        login(request, signed_in.user, backend=_backend())
        logger.info(
            "saml sign-in",
            extra={
                "domain_id": str(signed_in.domain.id),
                "user_id": signed_in.user.pk,
                "new_user": signed_in.created,
            },
        )
        response = _no_store(HttpResponseRedirect(signed_in.next_url))
    # One answer per started sign-in, whatever became of it.
    response.delete_cookie(PENDING_COOKIE, path=_acs_path(), samesite=_pending_samesite())
    return response


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    try:
        domain_id = uuid.UUID(request.GET.get("domain", ""))
    except ValueError:
        domain_id = None
    domain = OrganizationDomain.objects.filter(pk=domain_id).first() if domain_id else None
    if domain is None:
        return HttpResponse(
            "Unknown domain: give ?domain=<organization domain id>.\n", status=404, content_type="text/plain"
        )
    return HttpResponse(sp.metadata_xml(domain), content_type="text/xml; charset=utf-8")


def _refused(request: HttpRequest, error: services.SAMLError, relay_state: str | None = None) -> HttpResponse:
    logger.warning(
        "saml sign-in refused",
        extra={
            "reason": error.code,
            "detail": error.detail or error.message,
            "relay_state": (relay_state or "")[:64],
            "client": client_address(request),
        },
    )
    if error.code == services.JIT_NOT_ENABLED:
        # PostHog's answer: the login page says the organization does not let new people in this way.
        return _no_store(HttpResponseRedirect("/login?" + urlencode({"error_code": error.code})))
    return secure_page(
        render(request, "domains/saml/error.html", {"message": error.message}, status=error.status)
    )


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _https() -> bool:
    return settings.SITE_URL.startswith("https://")


def _pending_samesite() -> str:
    """The identity provider posts its answer from its own site: only a SameSite=None cookie comes along, and
    browsers take that only with Secure. Over plain http the cookie stays behind and the answer is refused, unless
    the identity provider is on the same site."""
    return "None" if _https() else "Lax"


def _acs_path() -> str:
    return urlsplit(saml_acs_url()).path


def _backend() -> str:
    """The backend whose `get_user` reads the session back: Django's model backend when it is configured."""
    model_backend = "django.contrib.auth.backends.ModelBackend"
    backends = settings.AUTHENTICATION_BACKENDS
    return model_backend if model_backend in backends else backends[0]
