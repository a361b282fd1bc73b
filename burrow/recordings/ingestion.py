"""The endpoints a browser client (posthog-js, unmodified) talks to: its configuration (`/flags/`,
`/decide/`, `/array/<token>/config`), snapshots (`/s/`) and its other events (`/e/`, `/i/v0/e/`, `/batch/`).

Open to any site (CORS), authenticated only by the project token in the body, and answered only after what
they carry is durable. Events other than `$snapshot` are accepted and not kept: recordings need nothing of
them (the snapshots carry the session, window, pages and times)."""

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from burrow.recordings.capture import CaptureError, decoded_body, read_capture, team_for_token, too_large
from burrow.recordings.rrweb import InvalidEvents, TooLarge
from burrow.recordings.services import SnapshotBatch, prepare_batch, store_batch

logger = logging.getLogger(__name__)

SNAPSHOT_ENDPOINT = "/s/"
CORS_MAX_AGE = 86400


def _cors(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    origin = request.headers.get("Origin")
    response["Access-Control-Allow-Origin"] = origin or "*"
    if origin:
        response["Access-Control-Allow-Credentials"] = "true"
        response["Vary"] = "Origin"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = request.headers.get(
        "Access-Control-Request-Headers", "Content-Type"
    )
    response["Access-Control-Max-Age"] = str(CORS_MAX_AGE)
    response["Cache-Control"] = "no-store"
    return response


def capture_endpoint(view):
    """CSRF-exempt (no cookie is a credential here), CORS for every answer, preflight answered."""

    @csrf_exempt
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            return _cors(request, HttpResponse(status=204))
        if request.method not in ("GET", "POST"):
            return _cors(request, JsonResponse({"detail": "Method not allowed."}, status=405))
        try:
            response = view(request, *args, **kwargs)
        except CaptureError as error:
            response = JsonResponse(error.body, status=error.status)
        return _cors(request, response)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _remote_config() -> dict:
    """What tells posthog-js to record and where to send it; no flags, no other features."""
    return {
        "sessionRecording": {"endpoint": SNAPSHOT_ENDPOINT, "recordCanvas": False},
        "supportedCompression": ["gzip", "gzip-js"],
        "hasFeatureFlags": False,  # so the client does not ask /flags/ on every page
        "autocapture_opt_out": True,
        "capturePerformance": False,
        "heatmaps": False,
        "surveys": False,
        "siteApps": [],
        "toolbarParams": {},
        "isAuthenticated": False,
        "defaultIdentifiedOnly": True,
    }


def _token_in_body(request: HttpRequest) -> str | None:
    """The token of a flags request: in its body (JSON, gzip or base64, as capture bodies) or the query."""
    if request.method != "POST":
        return request.GET.get("token")
    body = decoded_body(request)
    if not isinstance(body, dict):
        return None
    token = body.get("token") or body.get("api_key")
    return token if isinstance(token, str) else None


@capture_endpoint
def flags(request: HttpRequest) -> HttpResponse:
    """`/flags/` and `/decide/`: no feature flags, and the recording configuration."""
    team_for_token(_token_in_body(request) or request.GET.get("token"))
    return JsonResponse(
        {"featureFlags": {}, "featureFlagPayloads": {}, "flags": {}, "errorsWhileComputingFlags": False}
        | _remote_config()
    )


@capture_endpoint
def remote_config(request: HttpRequest, token: str, extension: str = "") -> HttpResponse:
    """`/array/<token>/config` (JSON) and `config.js` (the same, as the script posthog-js loads)."""
    team_for_token(token)
    config = {"token": token} | _remote_config()
    if extension == ".js":
        script = f"(function(){{window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{{}};window._POSTHOG_REMOTE_CONFIG[{json.dumps(token)}]={{config:{json.dumps(config)},siteApps:[]}}}})();"
        return HttpResponse(script, content_type="application/javascript")
    return JsonResponse(config)


def _snapshot_batch(event: dict) -> SnapshotBatch:
    properties = event.get("properties") if isinstance(event.get("properties"), dict) else {}
    session_id = properties.get("$session_id")
    window_id = properties.get("$window_id") or ""
    data = properties.get("$snapshot_data")
    if not isinstance(session_id, str) or not isinstance(window_id, str):
        raise InvalidEvents("a $snapshot event needs $session_id (and $window_id) as text")
    if not isinstance(data, list):
        raise InvalidEvents("$snapshot_data must be a list of rrweb events")
    distinct_id = event.get("distinct_id") or properties.get("distinct_id") or ""
    return prepare_batch(session_id, window_id, str(distinct_id), event.get("uuid"), data)


def _accept(request: HttpRequest) -> HttpResponse:
    """Every batch of the request is checked before any is stored, so a bad request stores nothing."""
    capture = read_capture(request)
    try:
        batches = [_snapshot_batch(event) for event in capture.events if event.get("event") == "$snapshot"]
    except InvalidEvents as error:
        raise CaptureError(400, "validation_error", "invalid_payload", str(error)) from None
    except TooLarge:
        raise too_large() from None
    stored = sum(store_batch(capture.team, batch) for batch in batches)
    if batches:
        logger.debug("snapshots", extra={"team_id": capture.team.id, "batches": len(batches), "new": stored})
    return JsonResponse({"status": 1})


@capture_endpoint
def snapshots(request: HttpRequest) -> HttpResponse:
    """`/s/`: `$snapshot` events, each stored once and durably before the answer."""
    return _accept(request)


@capture_endpoint
def events(request: HttpRequest) -> HttpResponse:
    """`/e/`, `/i/v0/e/`, `/batch/`, `/capture/`: accepted for a valid token and not kept; `$snapshot` events
    sent here (as older clients do) are stored as on `/s/`."""
    return _accept(request)
