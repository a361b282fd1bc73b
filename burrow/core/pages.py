"""The headers every server-rendered page of Burrow carries (share pages, sign-in, members' pages): never
cached, no referrer to other sites, no MIME sniffing, not indexed, and a strict Content-Security-Policy: the pages load only
Burrow's own static files, run no inline script and post forms only to Burrow."""

from django.http import HttpResponse

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)


def secure_page(
    response: HttpResponse, *, frameable: bool = False, referrer_policy: str = "same-origin"
) -> HttpResponse:
    """Sets the page headers on `response`; `frameable` pages (embeds) may be shown in any site's iframe.

    The referrer never leaves the site. `same-origin` rather than `no-referrer` by default: under
    `no-referrer` a browser posts the page's forms with `Origin: null`, which Django's CSRF check refuses.
    Pages whose URL is itself a secret and whose forms need no CSRF token (share links) pass `no-referrer`."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = referrer_policy
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(
        ancestors="*" if frameable else "'none'"
    )
    if not frameable:
        response["X-Frame-Options"] = "DENY"
    return response
