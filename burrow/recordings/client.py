"""posthog-js itself, served by Burrow (vendored from the npm registry with its licence): the snippet in a
page loads `/static/array.js` from its `api_host`, and array.js loads its recorder from
`/static/<version>/lazy-recorder.js` (or `/static/lazy-recorder.js?v=<version>`), so pointing posthog-js
at Burrow needs no other host."""

from functools import cache
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse

POSTHOG_JS_VERSION = "1.449.2"
_FILES = Path(__file__).parent / "static" / "recordings" / "vendor" / f"posthog-js-{POSTHOG_JS_VERSION}"
SCRIPTS = ("array.js", "lazy-recorder.js")


@cache
def _script(name: str) -> bytes:
    return (_FILES / name).read_bytes()


def script(request: HttpRequest, name: str, version: str | None = None) -> HttpResponse:
    """One of the client's scripts; a versioned path only for the version Burrow serves (the client then
    falls back to the unversioned one)."""
    if name not in SCRIPTS or version not in (None, POSTHOG_JS_VERSION):
        raise Http404
    response = HttpResponse(_script(name), content_type="application/javascript; charset=utf-8")
    # Loaded by other sites' pages (crossorigin="anonymous"); a new Burrow may bring a new client.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=31536000, immutable" if version else "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
