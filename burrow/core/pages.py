"""The headers every server-rendered page of Burrow carries (share pages, sign-in, members' pages): never
cached, no referrer to other sites, no MIME sniffing, not indexed, and a strict Content-Security-Policy: the pages load only
Burrow's own static files, run no inline script and post forms only to Burrow."""

from django.http import HttpResponse

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)
# A page that replays a recorded web page (session recordings) draws that page's own styles (recorded inline)
# and its images and fonts from the site they came from. Scripts stay Burrow's own: the replay runs none.
REPLAY_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https: http:; font-src 'self' data: https: http:; media-src 'self' blob: https:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)


def secure_page(
    response: HttpResponse,
    *,
    frameable: bool = False,
    referrer_policy: str = "same-origin",
    replays: bool = False,
) -> HttpResponse:
    """Sets the page headers on `response`; `frameable` pages (embeds) may be shown in any site's iframe;
    pages that `replays` a recording get the policy a replayed page needs (REPLAY_SECURITY_POLICY).

    The referrer never leaves the site. `same-origin` rather than `no-referrer` by default: under
    `no-referrer` a browser posts the page's forms with `Origin: null`, which Django's CSRF check refuses.
    Pages whose URL is itself a secret and whose forms need no CSRF token (share links) pass `no-referrer`."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = referrer_policy
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Robots-Tag"] = "noindex, nofollow"
    policy = REPLAY_SECURITY_POLICY if replays else CONTENT_SECURITY_POLICY
    response["Content-Security-Policy"] = policy.format(ancestors="*" if frameable else "'none'")
    if not frameable:
        response["X-Frame-Options"] = "DENY"
    return response
