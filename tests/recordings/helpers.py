"""Building what posthog-js posts: rrweb events and `$snapshot` batches, plain or gzip-compressed."""

import gzip
import json
import uuid

BASE_MS = 1_765_000_000_000  # 2025-12-06, a fixed moment for stable counts


def rrweb_session(start_ms: int = BASE_MS, href: str = "https://shop.example/cart", clicks: int = 2) -> list:
    """A meta event, a full snapshot and some interactions: what a recorder sends for one short page."""
    events = [
        {"type": 4, "data": {"href": href, "width": 1280, "height": 800}, "timestamp": start_ms},
        {
            "type": 2,
            "data": {
                "node": {
                    "type": 0,
                    "childNodes": [
                        {
                            "type": 2,
                            "tagName": "html",
                            "attributes": {},
                            "childNodes": [
                                {
                                    "type": 2,
                                    "tagName": "body",
                                    "attributes": {},
                                    "childNodes": [{"type": 3, "textContent": "Checkout", "id": 4}],
                                    "id": 3,
                                }
                            ],
                            "id": 2,
                        }
                    ],
                    "id": 1,
                },
                "initialOffset": {"left": 0, "top": 0},
            },
            "timestamp": start_ms + 10,
        },
    ]
    for n in range(clicks):
        events.append(
            {
                "type": 3,
                "data": {"source": 2, "type": 2, "id": 3, "x": 10, "y": 10},
                "timestamp": start_ms + 1000 * (n + 1),
            }
        )
    events.append(
        {"type": 3, "data": {"source": 5, "text": "a", "id": 3}, "timestamp": start_ms + 1000 * (clicks + 1)}
    )
    return events


def snapshot_event(
    token: str, session_id: str, events: list, window_id: str = "w1", event_uuid: str | None = None
) -> dict:
    return {
        "event": "$snapshot",
        "uuid": event_uuid or str(uuid.uuid4()),
        "distinct_id": "visitor-1",
        "properties": {
            "$snapshot_data": events,
            "$session_id": session_id,
            "$window_id": window_id,
            "$snapshot_bytes": len(json.dumps(events)),
            "token": token,
            "distinct_id": "visitor-1",
        },
    }


def gzip_json(payload) -> bytes:
    return gzip.compress(json.dumps(payload).encode())
