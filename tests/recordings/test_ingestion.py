"""What browser clients post: snapshots in every encoding posthog-js uses, each stored once, the project
token naming the environment, and bad input answered clearly with nothing stored."""

import base64
import gzip
import json
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings

from burrow.recordings.models import Recording, SnapshotBlock
from burrow.recordings.storage import recording_store
from tests.recordings.helpers import BASE_MS, gzip_json, rrweb_session, snapshot_event


@pytest.fixture
def browser():
    return Client(HTTP_ORIGIN="https://shop.example")


def post_gzip(browser, payload, path="/s/?compression=gzip-js&ver=1.0"):
    return browser.post(path, data=gzip_json(payload), content_type="text/plain")


def test_a_gzip_batch_is_stored_with_the_recordings_counts(browser, tenant):
    events = rrweb_session(clicks=3)
    response = post_gzip(browser, [snapshot_event(tenant.team.api_token, "s1", events)])

    assert response.status_code == 200, response.content
    assert response.json() == {"status": 1}
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"
    recording = Recording.objects.get(team=tenant.team, session_id="s1")
    assert (recording.click_count, recording.keypress_count, recording.event_count) == (3, 1, len(events))
    assert recording.start_url == "https://shop.example/cart"
    assert recording.distinct_id == "visitor-1"
    assert recording.duration_seconds == 4
    assert recording.active_seconds == 3  # four interactions a second apart


def test_plain_json_base64_forms_and_content_encoding_are_read(browser, tenant):
    token = tenant.team.api_token
    plain = [snapshot_event(token, "plain", rrweb_session())]
    assert browser.post("/s/", data=json.dumps(plain), content_type="application/json").status_code == 200
    form = urlencode(
        {"data": base64.b64encode(json.dumps([snapshot_event(token, "form", rrweb_session())]).encode())}
    )
    response = browser.post(
        "/s/?compression=base64", data=form, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.content
    encoded = gzip_json({"batch": [snapshot_event(token, "header", rrweb_session())]})
    response = browser.post(
        "/i/v0/e/", data=encoded, content_type="application/json", HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 200, response.content
    assert set(Recording.objects.values_list("session_id", flat=True)) == {"plain", "form", "header"}


def test_a_batch_sent_again_is_stored_once(browser, tenant):
    batch = [snapshot_event(tenant.team.api_token, "s1", rrweb_session())]
    assert post_gzip(browser, batch).status_code == 200
    assert post_gzip(browser, batch).status_code == 200

    recording = Recording.objects.get(session_id="s1")
    assert recording.blocks.count() == 1
    assert recording.click_count == 2


def test_batches_out_of_order_and_over_days_make_one_recording(browser, tenant):
    token = tenant.team.api_token
    day = 24 * 3600 * 1000
    late = rrweb_session(start_ms=BASE_MS + 2 * day, href="https://shop.example/thanks")
    early = rrweb_session(start_ms=BASE_MS, href="https://shop.example/start")
    assert post_gzip(browser, [snapshot_event(token, "long", late)]).status_code == 200
    assert post_gzip(browser, [snapshot_event(token, "long", early)]).status_code == 200

    recording = Recording.objects.get(session_id="long")
    assert recording.start_url == "https://shop.example/start"
    assert recording.duration_seconds == 2 * 24 * 3600 + 3
    assert list(SnapshotBlock.objects.order_by("first_timestamp").values_list("recording", flat=True)) == [
        recording.id,
        recording.id,
    ]


@pytest.mark.parametrize(
    ("token", "code"),
    [(None, "missing_api_key"), ("phc_not-a-real-token", "invalid_api_key")],
)
def test_a_missing_or_unknown_token_is_401_and_stores_nothing(browser, tenant, token, code):
    event = snapshot_event(token or "", "s1", rrweb_session())
    if token is None:
        del event["properties"]["token"]
    response = post_gzip(browser, [event])

    assert response.status_code == 401
    assert response.json()["type"] == "authentication_error"
    assert response.json()["code"] == code
    assert not Recording.objects.exists()


def test_one_request_cannot_mix_environments(browser, tenant, other_tenant):
    events = [
        snapshot_event(tenant.team.api_token, "mine", rrweb_session()),
        snapshot_event(other_tenant.team.api_token, "theirs", rrweb_session()),
    ]
    assert post_gzip(browser, events).status_code == 401
    assert not Recording.objects.exists()


def test_the_same_session_id_in_two_environments_is_two_recordings(browser, tenant, other_tenant):
    for owner in (tenant, other_tenant):
        assert (
            post_gzip(browser, [snapshot_event(owner.team.api_token, "same", rrweb_session())]).status_code
            == 200
        )
    assert Recording.objects.filter(session_id="same").count() == 2


@pytest.mark.parametrize(
    ("body", "path", "detail"),
    [
        (b"\x1f\x8b\x08\x00broken", "/s/?compression=gzip-js", "gzip"),
        (gzip.compress(b"{not json"), "/s/?compression=gzip-js", "JSON"),
        (gzip_json("a string"), "/s/?compression=gzip-js", "event"),
        (gzip.compress(b"[1, 2]"), "/s/?compression=gzip-js", "object"),
    ],
)
def test_broken_bodies_are_400(browser, tenant, body, path, detail):
    response = browser.post(path, data=body, content_type="text/plain")
    assert response.status_code == 400
    assert detail in response.json()["detail"]


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e["properties"].pop("$session_id"),
        lambda e: e["properties"].update({"$snapshot_data": "not a list"}),
        lambda e: e["properties"].update({"$snapshot_data": []}),
        lambda e: e["properties"]["$snapshot_data"][0].update({"timestamp": "yesterday"}),
        lambda e: e["properties"]["$snapshot_data"][0].update({"timestamp": 12}),
        lambda e: e["properties"].update({"$session_id": "x" * 201}),
    ],
    ids=[
        "no session",
        "data not a list",
        "empty data",
        "text timestamp",
        "timestamp in 1970",
        "long session id",
    ],
)
def test_a_bad_batch_is_400_and_nothing_of_its_request_is_stored(browser, tenant, change):
    good = snapshot_event(tenant.team.api_token, "good", rrweb_session())
    bad = snapshot_event(tenant.team.api_token, "bad", rrweb_session())
    change(bad)
    response = post_gzip(browser, [good, bad])
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert not Recording.objects.exists()


@override_settings(RECORDINGS_MAX_REQUEST_BYTES=4096)
def test_enormous_bodies_and_gzip_bombs_are_413(browser, tenant):
    big = json.dumps([snapshot_event(tenant.team.api_token, "s", rrweb_session())] * 20).encode()
    assert browser.post("/s/", data=big, content_type="application/json").status_code == 413
    bomb = gzip.compress(b"[" + b" " * 3_000_000 + b"]")
    assert len(bomb) < 4096
    response = browser.post("/s/?compression=gzip-js", data=bomb, content_type="text/plain")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_preflight_and_configuration_answer_the_browser(browser, tenant):
    preflight = browser.options("/s/", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "POST" in preflight["Access-Control-Allow-Methods"]

    token = tenant.team.api_token
    flags = browser.post(
        "/flags/?v=2&config=true", data=json.dumps({"token": token}), content_type="application/json"
    )
    assert flags.status_code == 200
    assert flags.json()["sessionRecording"]["endpoint"] == "/s/"
    config = browser.get(f"/array/{token}/config")
    assert config.json()["sessionRecording"]["endpoint"] == "/s/"
    assert browser.get("/array/phc_unknown/config").status_code == 401


def test_other_events_are_accepted_and_not_kept(browser, tenant):
    pageview = {"event": "$pageview", "properties": {"token": tenant.team.api_token, "$session_id": "s1"}}
    response = post_gzip(browser, [pageview], path="/e/?compression=gzip-js")
    assert response.status_code == 200
    assert not Recording.objects.exists()


def packed(value) -> str:
    """A field as posthog-js compresses it in the browser: gzip bytes as a latin-1 string."""
    return gzip.compress(json.dumps(value).encode()).decode("latin-1")


def test_events_compressed_in_the_browser_are_stored_plain(browser, tenant):
    plain = rrweb_session()
    full = dict(plain[1], cv="2024-10", data=packed(plain[1]["data"]))
    mutation = {
        "type": 3,
        "cv": "2024-10",
        "timestamp": BASE_MS + 50,
        "data": {
            "source": 0,
            "texts": packed([]),
            "attributes": packed([]),
            "removes": packed([]),
            "adds": packed(
                [{"parentId": 3, "nextId": None, "node": {"type": 3, "textContent": "Paid", "id": 9}}]
            ),
        },
    }
    events = [plain[0], full, mutation, *plain[2:]]
    assert post_gzip(browser, [snapshot_event(tenant.team.api_token, "s1", events)]).status_code == 200

    block = SnapshotBlock.objects.get()
    lines = [
        json.loads(line) for line in gzip.decompress(recording_store().get(block.storage_key)).splitlines()
    ]
    stored = [event for _, event in lines]
    assert stored[1] == plain[1]
    assert stored[2]["data"]["adds"][0]["node"]["textContent"] == "Paid"
    assert all("cv" not in event for event in stored)


@pytest.mark.parametrize(
    "field",
    [{"cv": "1999-01"}, {"cv": "2024-10", "data": "not gzip"}, {"cv": "2024-10", "data": "\u20ac"}],
    ids=["unknown version", "not gzip", "not latin-1"],
)
def test_badly_compressed_events_are_400(browser, tenant, field):
    events = rrweb_session()
    events[1] = dict(events[1], **field)
    response = post_gzip(browser, [snapshot_event(tenant.team.api_token, "s1", events)])
    assert response.status_code == 400
    assert not Recording.objects.exists()


def test_flags_read_the_token_from_a_gzip_body(browser, tenant):
    body = gzip_json({"token": tenant.team.api_token, "distinct_id": "visitor-1"})
    response = browser.post("/flags/?v=2&config=true", data=body, content_type="text/plain")
    assert response.status_code == 200
    assert response.json()["sessionRecording"]["endpoint"] == "/s/"
    refused = browser.post("/flags/?v=2", data=gzip_json({"token": "phc_nope"}), content_type="text/plain")
    assert refused.status_code == 401
