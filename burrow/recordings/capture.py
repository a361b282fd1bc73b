"""Reading what browser clients (posthog-js) post: the body in whichever encoding they chose, the project
token that names the environment, and the events in it. Errors are `CaptureError`s carrying the status and
the reference's error body."""

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from django.conf import settings
from django.http import HttpRequest

from burrow.core.exceptions import error_body
from burrow.core.models import Team
from burrow.recordings.rrweb import InvalidEvents, TooLarge, inflate

TOKEN_MISSING = "API key not provided. You can find your project API key in your project settings."
TOKEN_INVALID = "Project API key invalid. You can find your project API key in your project settings."
GZIP_MAGIC = b"\x1f\x8b"
# Each event is small; a batch of them at most this many.
MAX_EVENTS_PER_REQUEST = 10_000


class CaptureError(Exception):
    def __init__(self, status: int, error_type: str, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.body = error_body(error_type, code, detail)


def _invalid(detail: str) -> CaptureError:
    return CaptureError(400, "validation_error", "invalid_payload", detail)


def too_large() -> CaptureError:
    limit = settings.RECORDINGS_MAX_REQUEST_BYTES
    return CaptureError(
        413, "invalid_request", "payload_too_large", f"Request body is larger than {limit} bytes."
    )


def _read_limited(request: HttpRequest) -> bytes:
    """The raw body, refused past the limit without reading it all (Content-Length first, then the bytes)."""
    limit = settings.RECORDINGS_MAX_REQUEST_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large()
    body = request.read(limit + 1)
    if len(body) > limit:
        raise too_large()
    return body


def gunzip_limited(data: bytes) -> bytes:
    try:
        return inflate(data, settings.RECORDINGS_MAX_REQUEST_BYTES, "The body")
    except InvalidEvents as error:
        raise _invalid(str(error)) from None
    except TooLarge:
        raise too_large() from None


def decoded_body(request: HttpRequest) -> object:
    """The JSON a client sent: gzip (recognised by its magic bytes, whatever the request says), base64 in a
    form's `data` field (`?compression=base64`, as sendBeacon posts it), or plain JSON."""
    raw = _read_limited(request)
    compression = (request.GET.get("compression") or "").lower()
    # posthog-js sends gzip as text/plain without naming it (before its configuration arrives, and on
    # every request once it has): the gzip magic bytes say so.
    if raw.startswith(GZIP_MAGIC) or compression in ("gzip-js", "gzip"):
        raw = gunzip_limited(raw)
    elif compression == "lz64":
        raise _invalid("lz64 compression is not supported: use gzip-js or none.")
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded" or raw.startswith(b"data="):
        fields = parse_qs(raw.decode("latin-1"))
        raw = (fields.get("data") or [""])[0].encode("latin-1")
        if compression == "base64" or not raw.lstrip().startswith((b"{", b"[")):
            try:
                raw = base64.b64decode(raw, validate=False)
            except (binascii.Error, ValueError):
                raise _invalid("The form's data field is not valid base64.") from None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise _invalid("The body is not valid JSON.") from None


@dataclass(frozen=True)
class Capture:
    team: Team
    events: list[dict]


def _token_of(payload: object, events: list[dict]) -> str | None:
    if isinstance(payload, dict):
        for name in ("api_key", "token"):
            if isinstance(payload.get(name), str):
                return payload[name]
    for event in events:
        properties = event.get("properties") if isinstance(event.get("properties"), dict) else {}
        for candidate in (event.get("api_key"), event.get("token"), properties.get("token")):
            if isinstance(candidate, str):
                return candidate
    return None


def team_for_token(token: str | None) -> Team:
    """The environment a project token names; the reference's 401 when there is none or it names none."""
    if not token:
        raise CaptureError(401, "authentication_error", "missing_api_key", TOKEN_MISSING)
    team = Team.objects.filter(api_token=token).only("id", "api_token").first()
    if team is None:
        raise CaptureError(401, "authentication_error", "invalid_api_key", TOKEN_INVALID)
    return team


def read_capture(request: HttpRequest) -> Capture:
    """The events of a capture request and the environment its token names (401 when none does)."""
    payload = decoded_body(request)
    if isinstance(payload, dict) and isinstance(payload.get("batch"), list):
        events = payload["batch"]
    elif isinstance(payload, list):
        events = payload
    elif isinstance(payload, dict):
        events = [payload]
    else:
        raise _invalid('The body must be an event, a list of events or {"batch": [...]}.')
    if len(events) > MAX_EVENTS_PER_REQUEST:
        raise _invalid(f"At most {MAX_EVENTS_PER_REQUEST} events per request.")
    if not all(isinstance(event, dict) for event in events):
        raise _invalid("Every event must be an object.")
    token = _token_of(payload, events) or request.GET.get("token")
    team = team_for_token(token)
    # Every event of a request belongs to the token's environment: one naming another token is refused.
    for event in events:
        properties = event.get("properties") if isinstance(event.get("properties"), dict) else {}
        other = properties.get("token") or event.get("api_key")
        if isinstance(other, str) and other != token:
            raise CaptureError(401, "authentication_error", "invalid_api_key", TOKEN_INVALID)
    return Capture(team, events)
