"""What Burrow reads from rrweb events (the recorder's own format, which posthog-js sends unchanged): their
time, the page they start on, and the interactions that lists count. Everything else is stored as sent."""

import json
import zlib
from dataclasses import dataclass

# rrweb's event types and incremental-snapshot sources (rrweb's `EventType` and `IncrementalSource`).
FULL_SNAPSHOT = 2
INCREMENTAL_SNAPSHOT = 3
META = 4
MOUSE_INTERACTION = 2
INPUT = 5
CLICK_KINDS = (2, 4)  # MouseInteractions.Click and DblClick
# Sources that mean a person is there: mouse moves and clicks, scrolls, resizes, typing, touches, media, drags.
ACTIVITY_SOURCES = frozenset({1, 2, 3, 4, 5, 6, 7, 12})
# Two interactions closer than this count the time between them as active (as PostHog counts active time).
ACTIVE_GAP_MS = 5000
# Timestamps outside these bounds (2000-01-01 to 2100-01-01, in ms) are not a browser's clock.
EARLIEST_MS = 946_684_800_000
LATEST_MS = 4_102_444_800_000


# posthog-js gzips the big parts of some events in the browser and marks them `cv: "2024-10"`: a full
# snapshot's `data`, and these fields of mutation (source 0) and style sheet rule (source 8) events. Each is
# the gzip bytes as a latin-1 string.
COMPRESSED_VERSION = "2024-10"
COMPRESSED_FIELDS = {0: ("texts", "attributes", "removes", "adds"), 8: ("adds", "removes")}


class InvalidEvents(ValueError):
    """The batch is not a list of rrweb events; the message says what is wrong."""


class TooLarge(ValueError):
    """Something inflates past the limit a request may reach."""


def inflate(data: bytes, limit: int, what: str) -> bytes:
    """gzip data, decompressed only up to `limit` bytes, so a small bomb cannot fill memory."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise InvalidEvents(f"{what} is not valid gzip.") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise TooLarge(what)
    if not inflater.eof:
        raise InvalidEvents(f"{what} is not valid gzip: it ends early.")
    return out


def _inflated_json(text: object, limit: int) -> object:
    if not isinstance(text, str):
        return text
    try:
        packed = text.encode("latin-1")
    except UnicodeEncodeError:
        raise InvalidEvents("a compressed rrweb event field is not latin-1 gzip data") from None
    try:
        return json.loads(inflate(packed, limit, "A compressed rrweb event field"))
    except (UnicodeDecodeError, ValueError) as error:
        if isinstance(error, InvalidEvents | TooLarge):
            raise
        raise InvalidEvents("a compressed rrweb event field is not JSON") from None


def expand(event: object, limit: int) -> object:
    """The plain rrweb event a player can replay: compressed parts (posthog-js's `cv`) inflated."""
    if not isinstance(event, dict) or "cv" not in event:
        return event
    if event["cv"] != COMPRESSED_VERSION:
        raise InvalidEvents(f"unknown compression version {event['cv']!r} of an rrweb event")
    plain = {key: value for key, value in event.items() if key != "cv"}
    data = plain.get("data")
    if plain.get("type") == FULL_SNAPSHOT:
        plain["data"] = _inflated_json(data, limit)
    elif plain.get("type") == INCREMENTAL_SNAPSHOT and isinstance(data, dict):
        data = dict(data)
        for name in COMPRESSED_FIELDS.get(data.get("source"), ()):
            data[name] = _inflated_json(data.get(name), limit)
        plain["data"] = data
    return plain


@dataclass(frozen=True)
class Summary:
    first_ms: int
    last_ms: int
    clicks: int
    keypresses: int
    active_ms: int
    start_url: str  # the first page (meta event) of the batch, or ""
    start_url_ms: int | None


def summarize(events: list) -> Summary:
    """One batch's bounds and counts; InvalidEvents when an event has no usable timestamp."""
    if not events:
        raise InvalidEvents("$snapshot_data is empty")
    times: list[int] = []
    activity: list[int] = []
    clicks = keypresses = 0
    start_url, start_url_ms = "", None
    for event in events:
        if not isinstance(event, dict):
            raise InvalidEvents("every item of $snapshot_data must be an rrweb event (an object)")
        timestamp = event.get("timestamp")
        if type(timestamp) not in (int, float) or not EARLIEST_MS <= timestamp <= LATEST_MS:
            raise InvalidEvents("every rrweb event needs a timestamp in milliseconds since 1970")
        timestamp = int(timestamp)
        times.append(timestamp)
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        kind = event.get("type")
        if kind == META and isinstance(data.get("href"), str):
            if start_url_ms is None or timestamp < start_url_ms:
                start_url, start_url_ms = data["href"], timestamp
        elif kind == INCREMENTAL_SNAPSHOT and data.get("source") in ACTIVITY_SOURCES:
            activity.append(timestamp)
            if data["source"] == MOUSE_INTERACTION and data.get("type") in CLICK_KINDS:
                clicks += 1
            elif data["source"] == INPUT:
                keypresses += 1
    activity.sort()
    active = sum(b - a for a, b in zip(activity, activity[1:], strict=False) if b - a <= ACTIVE_GAP_MS)
    return Summary(min(times), max(times), clicks, keypresses, active, start_url, start_url_ms)
