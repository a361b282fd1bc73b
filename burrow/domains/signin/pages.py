"""The sign-in pages: `/login` (e-mail and password; "Continue with SSO" when the address's verified domain
has SAML; the SSO-enforced message; errors sent back by SSO as `?error_code=`) and `/logout`.

Both are CSRF-protected forms that call the same service as `POST /api/login` (services.sign_in), and carry
the share pages' security headers and Content-Security-Policy (burrow/core/pages.py). `next` is honoured
only when it is a path on this site, so a sign-in link cannot send anyone elsewhere."""

from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie

from burrow.core.exceptions import error_body
from burrow.core.pages import secure_page
from burrow.core.views import api_not_found
from burrow.domains.provisioning import verified_domain_for_email
from burrow.domains.signin import services
from burrow.domains.signin.serializers import LoginSerializer

LOGIN_PATH = "/login"
HOME_PATH = "/"  # a signed-in member's home (their project's), where sign-in leads without a `next`
SAML_START_PATH = "/login/saml/"

# `?error_code=` values SSO sign-in sends people back with (burrow/domains/saml), in words. Anything else gets
# the generic sentence: the page never echoes text from its URL.
ERROR_MESSAGES = {
    "jit_not_enabled": (
        "We could not find an account with your email address and your organization does not support "
        "automatic enrollment. Please contact your administrator."
    ),
    "saml_not_configured": "SAML is not configured for this email address. Sign in with your password.",
    "invalid_relay_state": "Authentication request is invalid. Invalid RelayState.",
    "saml_failed": "Your identity provider's answer could not be verified. Please try again.",
    "saml_replayed": "This sign-in answer was already used. Please sign in again.",
    "saml_expired": "The sign-in took too long. Please try again.",
    "inactive_user": "This account is deactivated. Please contact your administrator.",
}
GENERIC_ERROR = "Signing in with SSO did not work. Please try again or contact your administrator."


def safe_next(value: str | None) -> str:
    """`value` when it is a path on this site ("/dashboard/1?x=y"), else "". Rejects other sites in every
    spelling browsers accept: `https://evil.com`, `//evil.com`, `/\\evil.com` (a backslash reads as a
    slash), and paths with control characters or spaces (browsers drop tabs and newlines, so `/\t/evil.com`
    would become `//evil.com`)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not url_has_allowed_host_and_scheme(value, allowed_hosts=set()):
        return ""
    return value


def login_url(next_path: str = "", **params: str) -> str:
    """`/login`, keeping a safe `next`: what pages for members redirect visitors who are not signed in to."""
    query = {**params, **({"next": next_path} if safe_next(next_path) else {})}
    return f"{LOGIN_PATH}?{urlencode(query)}" if query else LOGIN_PATH


def _sso_for(email: str) -> dict:
    """What SSO means for this address: a SAML start link when its verified domain has SAML, and the provider
    a password sign-in is refused for."""
    domain = verified_domain_for_email(email) if email else None
    if domain is None:
        return {"saml_url": "", "enforced": ""}
    saml_url = f"{SAML_START_PATH}?{urlencode({'email': email})}" if domain.has_saml else ""
    return {"saml_url": saml_url, "enforced": domain.sso_enforcement or ""}


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return secure_page(render(request, template, context, status=status))


@method_decorator(csrf_protect, name="dispatch")
@method_decorator(ensure_csrf_cookie, name="get")
class LoginPage(View):
    http_method_names = ["get", "head", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        next_path = safe_next(request.GET.get("next"))
        if request.user.is_authenticated:
            return HttpResponseRedirect(next_path or HOME_PATH)
        email = request.GET.get("email", "")[:254]
        error_code = request.GET.get("error_code", "")
        error = ERROR_MESSAGES.get(error_code, GENERIC_ERROR) if error_code else ""
        return self._form(request, email=email, next_path=next_path, error=error)

    def post(self, request: HttpRequest) -> HttpResponse:
        next_path = safe_next(request.POST.get("next"))
        email = request.POST.get("email", "")[:254]
        serializer = LoginSerializer(data={"email": email, "password": request.POST.get("password", "")})
        if not serializer.is_valid():
            errors = serializer.errors
            if "email" in errors:
                return self._form(request, email, next_path, error="Enter a valid email address.", status=400)
            # An address without a password: show what SSO offers for it, or ask for the password.
            sso = _sso_for(email)
            error = "" if sso["saml_url"] or sso["enforced"] else "Enter your password."
            return self._form(request, email, next_path, error=error, status=200 if not error else 400)
        try:
            services.sign_in(request, **serializer.validated_data)
        except services.SignInRefused as refused:
            return self._form(request, email, next_path, error=refused.detail, status=400)
        except services.TooManyAttempts as throttled:
            minutes = -(-throttled.retry_after // 60)
            error = f"Too many failed sign-ins. Try again in {minutes} minute{'s' * (minutes != 1)}."
            response = self._form(request, email, next_path, error=error, status=429)
            response["Retry-After"] = str(throttled.retry_after)
            return response
        # 303: the browser GETs the next page instead of re-posting the password.
        return HttpResponseRedirect(next_path or HOME_PATH, status=303)

    def _form(
        self, request: HttpRequest, email: str, next_path: str, error: str = "", status: int = 200
    ) -> HttpResponse:
        sso = _sso_for(email)
        if sso["enforced"] and not error:
            error = services.SSO_ENFORCED.format(provider=sso["enforced"])
        context = {
            "email": email,
            "next": next_path,
            "error": error,
            **sso,
        }
        return _page(request, "domains/login.html", context, status=status)


@method_decorator(csrf_protect, name="dispatch")
class LogoutPage(View):
    """GET asks (a link or a prefetch must not sign anyone out); POST signs out and goes to `/login`."""

    http_method_names = ["get", "head", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(LOGIN_PATH)
        return _page(request, "domains/logout.html", {"signed_in": request.user})

    def post(self, request: HttpRequest) -> HttpResponse:
        services.sign_out(request)
        return HttpResponseRedirect(LOGIN_PATH, status=303)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form posted without its token (an expired page, cookies off, another site).

    API clients never meet it on API views (DRF views check the token themselves, for sessions only); under
    `/api/` the only plain Django view is the catch-all for unknown routes, which changes nothing, so a
    script's POST there still gets its 404 envelope, and anything else the API's error envelope."""
    if request.path.startswith("/api/"):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        if match is not None and match.func is api_not_found:
            return api_not_found(request)
        return JsonResponse(
            error_body("authentication_error", "permission_denied", f"CSRF Failed: {reason}"), status=403
        )
    return _page(request, "domains/csrf_failure.html", {"login_path": LOGIN_PATH}, status=403)
