"""The session recordings API in the reference's shapes, the environment's project token, and a share link's
access to exactly its recording."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from burrow.recordings.models import Recording, SnapshotBlock
from burrow.recordings.services import sweep_expired
from burrow.recordings.storage import recording_store
from tests.recordings.helpers import BASE_MS, gzip_json, rrweb_session, snapshot_event

RECENT_MS = int((timezone.now() - timedelta(hours=1)).timestamp() * 1000)


def record(team, session_id: str, start_ms: int = RECENT_MS, batches: int = 1, **session) -> None:
    for n in range(batches):
        events = rrweb_session(start_ms=start_ms + n * 60_000, **session)
        response = Client().post(
            "/s/?compression=gzip-js",
            data=gzip_json([snapshot_event(team.api_token, session_id, events, window_id=f"w{n % 2}")]),
            content_type="text/plain",
        )
        assert response.status_code == 200, response.content


def refused(response, status: int, kind: str, code: str, detail: str) -> None:
    """The answer is the reference's error body with this status."""
    body = {"type": kind, "code": code, "detail": detail, "attr": None}
    assert (response.status_code, response.json()) == (status, body)


def test_the_environment_shows_its_token_on_both_routes(tenant):
    for route in ("projects", "environments"):
        response = tenant.client.get(f"/api/{route}/{tenant.project.id}/")
        assert response.status_code == 200
        assert response.json()["api_token"] == tenant.team.api_token
        assert response.json()["api_token"].startswith("phc_")
        assert response.json()["id"] == tenant.team.id


def test_another_organization_cannot_read_the_environment(tenant, other_tenant):
    response = other_tenant.client.get(f"/api/environments/{tenant.project.id}/")
    assert response.status_code == 403
    assert tenant.team.api_token not in response.content.decode()


def test_list_newest_first_with_counts_and_has_next(tenant):
    record(tenant.team, "older", start_ms=RECENT_MS - 600_000, clicks=1)
    record(tenant.team, "newer", clicks=4)

    response = tenant.client.get(tenant.url("session_recordings/"))
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["results"]] == ["newer", "older"]
    assert body["has_next"] is False
    newer = body["results"][0]
    assert (newer["click_count"], newer["keypress_count"], newer["start_url"]) == (
        4,
        1,
        "https://shop.example/cart",
    )
    assert newer["recording_duration"] == 5
    assert newer["distinct_id"] == "visitor-1"

    limited = tenant.client.get(tenant.url("session_recordings/?limit=1")).json()
    assert [r["id"] for r in limited["results"]] == ["newer"]
    assert limited["has_next"] is True


def test_date_range_filters_by_start(tenant):
    record(tenant.team, "old", start_ms=BASE_MS)
    record(tenant.team, "recent")

    default = tenant.client.get(tenant.url("session_recordings/")).json()["results"]
    assert [r["id"] for r in default] == ["recent"]  # the reference's default range is the last three days
    everything = tenant.client.get(tenant.url("session_recordings/?date_from=2020-01-01")).json()["results"]
    assert [r["id"] for r in everything] == ["recent", "old"]
    before = tenant.client.get(
        tenant.url("session_recordings/?date_from=2020-01-01&date_to=2025-12-31")
    ).json()
    assert [r["id"] for r in before["results"]] == ["old"]


@pytest.mark.parametrize("query", ["date_from=yesterdayish", "limit=-1", "limit=abc", "date_to=-3x"])
def test_bad_list_parameters_are_400(tenant, query):
    response = tenant.client.get(tenant.url(f"session_recordings/?{query}"))
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_snapshots_sources_then_content(tenant):
    record(tenant.team, "s1", batches=3)

    sources = tenant.client.get(tenant.url("session_recordings/s1/snapshots/")).json()["sources"]
    assert [s["blob_key"] for s in sources] == ["0", "1", "2"]
    assert {s["source"] for s in sources} == {"blob_v2"}
    assert sources[0]["start_timestamp"] < sources[1]["start_timestamp"]

    one = tenant.client.get(tenant.url("session_recordings/s1/snapshots/?source=blob_v2&blob_key=1"))
    assert one.status_code == 200
    lines = [json.loads(line) for line in b"".join(one.streaming_content).decode().splitlines()]
    assert {window for window, _ in lines} == {"w1"}
    assert lines[0][1]["type"] == 4

    everything = tenant.client.get(
        tenant.url("session_recordings/s1/snapshots/?source=blob_v2&start_blob_key=0&end_blob_key=2")
    )
    assert len(b"".join(everything.streaming_content).decode().splitlines()) == 3 * len(rrweb_session())


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("source=blob", 400),
        ("source=blob_v2", 400),
        ("source=blob_v2&blob_key=x", 400),
        ("source=blob_v2&blob_key=9", 404),
    ],
)
def test_bad_snapshot_requests(tenant, query, status):
    record(tenant.team, "s1")
    assert tenant.client.get(tenant.url(f"session_recordings/s1/snapshots/?{query}")).status_code == status


def test_an_unknown_recording_is_404(tenant):
    assert tenant.client.get(tenant.url("session_recordings/never-seen/")).status_code == 404
    assert tenant.client.get(tenant.url("session_recordings/never-seen/snapshots/")).status_code == 404


def test_delete_removes_rows_and_blocks(tenant):
    record(tenant.team, "s1", batches=2)
    keys = list(SnapshotBlock.objects.values_list("storage_key", flat=True))
    assert all(recording_store().get(key) for key in keys)

    assert tenant.client.delete(tenant.url("session_recordings/s1/")).status_code == 204
    assert not Recording.objects.exists() and not SnapshotBlock.objects.exists()
    assert not any(recording_store().get(key) for key in keys)
    assert tenant.client.get(tenant.url("session_recordings/s1/")).status_code == 404


def test_scopes_read_and_write(tenant, key_client):
    record(tenant.team, "s1")
    reader = key_client(["session_recording:read"])
    assert reader.get(tenant.url("session_recordings/s1/")).status_code == 200
    assert reader.delete(tenant.url("session_recordings/s1/")).status_code == 403
    assert key_client(["insight:read"]).get(tenant.url("session_recordings/")).status_code == 403


def test_retention_removes_old_recordings_with_their_blocks(tenant, settings):
    settings.RECORDINGS_RETENTION_DAYS = 30
    record(tenant.team, "ancient", start_ms=BASE_MS)
    record(tenant.team, "recent")
    old_keys = list(
        SnapshotBlock.objects.filter(recording__session_id="ancient").values_list("storage_key", flat=True)
    )

    assert sweep_expired() == 1
    assert list(Recording.objects.values_list("session_id", flat=True)) == ["recent"]
    assert recording_store().get(old_keys[0]) is None


def share(tenant, session_id: str, **settings) -> str:
    url = tenant.url(f"session_recordings/{session_id}/sharing")
    response = tenant.client.patch(url, {"enabled": True, **settings}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def test_a_sharing_token_reads_exactly_its_recording(tenant):
    record(tenant.team, "shared")
    record(tenant.team, "private")
    token = share(tenant, "shared")
    anonymous = Client()

    own = anonymous.get(tenant.url(f"session_recordings/shared/?sharing_access_token={token}"))
    assert own.status_code == 200 and own.json()["id"] == "shared"
    sources = anonymous.get(tenant.url(f"session_recordings/shared/snapshots/?sharing_access_token={token}"))
    assert sources.status_code == 200 and len(sources.json()["sources"]) == 1
    assert (
        anonymous.get(tenant.url(f"session_recordings/private/?sharing_access_token={token}")).status_code
        == 403
    )
    assert anonymous.get(tenant.url(f"session_recordings/?sharing_access_token={token}")).status_code == 403
    refused = anonymous.delete(tenant.url(f"session_recordings/shared/?sharing_access_token={token}"))
    assert refused.status_code == 401


def test_the_share_page_serves_its_recordings_snapshots(tenant):
    record(tenant.team, "shared", batches=2)
    token = share(tenant, "shared")
    anonymous = Client()

    page = anonymous.get(f"/shared/{token}")
    assert page.status_code == 200
    assert f'data-replay-snapshots="/shared/{token}/snapshots"' in page.content.decode()
    assert "style-src 'self' 'unsafe-inline'" in page["Content-Security-Policy"]
    assert "script-src 'self';" in page["Content-Security-Policy"]
    sources = anonymous.get(f"/shared/{token}/snapshots").json()["sources"]
    assert len(sources) == 2
    content = anonymous.get(f"/shared/{token}/snapshots?source=blob_v2&start_blob_key=0&end_blob_key=1")
    assert len(b"".join(content.streaming_content).splitlines()) == 2 * len(rrweb_session())
    assert (sources_response := anonymous.get(f"/shared/{token}/snapshots"))["Cache-Control"] == "no-store"
    assert sources_response["Referrer-Policy"] == "no-referrer"
    refused(anonymous.get("/shared/not-a-token/snapshots"), 404, "invalid_request", "not_found", "Not found.")


def test_a_shared_recordings_json_is_the_recording_as_the_api_shows_it(tenant):
    token = share(tenant, "later")  # shared before anything arrived
    anonymous = Client()
    nothing = anonymous.get(f"/shared/{token}/snapshots")
    refused(nothing, 404, "invalid_request", "not_found", "This recording has no data.")
    empty = anonymous.get(f"/shared/{token}.json").json()["recording"]
    assert (empty["id"], empty["has_data"], "start_time" in empty) == ("later", False, False)
    assert empty["created_at"].endswith("Z")
    record(tenant.team, "later")
    shown = anonymous.get(f"/shared/{token}.json").json()["recording"]
    api = tenant.client.get(tenant.url("session_recordings/later/")).json()
    assert shown["has_data"] is True and shown["created_at"] == empty["created_at"]
    assert {k: shown[k] for k in api if k not in ("created_at",)} == {
        k: v for k, v in api.items() if k != "created_at"
    }


def test_a_password_share_serves_snapshots_only_to_an_opened_session(tenant):
    record(tenant.team, "secret")
    token = share(tenant, "secret", password_required=True)
    created = tenant.client.post(tenant.url("session_recordings/secret/sharing/passwords"), {}, format="json")
    password = created.json()["password"]
    visitor = Client()

    assert visitor.get(f"/shared/{token}/snapshots").status_code == 401
    opened = visitor.post(f"/shared/{token}", {"password": password})
    assert opened.status_code == 303
    assert visitor.get(f"/shared/{token}/snapshots").status_code == 200


def test_a_recording_shared_before_it_has_data_says_so(tenant):
    token = share(tenant, "not-yet")
    page = Client().get(f"/shared/{token}")
    assert page.status_code == 200
    assert "This recording has no data yet." in page.content.decode()
    assert Client().get(f"/shared/{token}/snapshots").status_code == 404
    assert Client().get(f"/shared/{token}.json").json()["recording"]["has_data"] is False


def test_the_member_replay_page_plays_from_the_api(tenant, other_tenant):
    record(tenant.team, "watched")
    member = Client()
    member.force_login(tenant.user)

    page = member.get(f"/project/{tenant.team.id}/replay/watched")
    assert page.status_code == 200
    snapshots = f"/api/environments/{tenant.team.id}/session_recordings/watched/snapshots/"
    assert f'data-replay-snapshots="{snapshots}"' in page.content.decode()
    assert "'unsafe-inline'" in page["Content-Security-Policy"]
    assert len(member.get(snapshots).json()["sources"]) == 1

    outsider = Client()
    outsider.force_login(other_tenant.user)
    refused = outsider.get(f"/project/{tenant.team.id}/replay/watched")
    assert refused.status_code == 404
    assert "watched" not in refused.content.decode()
    assert Client().get(f"/project/{tenant.team.id}/replay/watched").status_code == 302  # to /login


def test_the_embedded_page_plays_from_its_own_snapshots_path(tenant):
    record(tenant.team, "framed")
    token = share(tenant, "framed")
    page = Client().get(f"/embedded/{token}")
    assert page.status_code == 200
    assert f'data-replay-snapshots="/embedded/{token}/snapshots"' in page.content.decode()
    assert "frame-ancestors *" in page["Content-Security-Policy"]
    assert len(Client().get(f"/embedded/{token}/snapshots").json()["sources"]) == 1


def test_a_recording_deleted_while_someone_watches_answers_404_not_500(tenant):
    record(tenant.team, "going", batches=2)
    token = share(tenant, "going")
    viewer = Client()
    assert len(viewer.get(f"/shared/{token}/snapshots").json()["sources"]) == 2  # the player has its sources

    assert tenant.client.delete(tenant.url("session_recordings/going/")).status_code == 204
    content = viewer.get(f"/shared/{token}/snapshots?source=blob_v2&start_blob_key=0&end_blob_key=1")
    assert content.status_code == 404
    assert content.json()["detail"] == "This recording has no data."
    assert "This recording has no data yet." in viewer.get(f"/shared/{token}").content.decode()


def test_a_password_protected_recordings_snapshots_need_the_share_session(tenant):
    record(tenant.team, "guarded")
    token = share(tenant, "guarded", password_required=True)
    url = tenant.url("session_recordings/guarded/sharing/passwords/")
    assert tenant.client.post(url, {"raw_password": "correct horse"}).status_code == 201
    anonymous = Client()
    without = anonymous.get(f"/shared/{token}/snapshots")
    refused(without, 401, "authentication_error", "not_authenticated", "This share needs its password.")
    opened = anonymous.post(
        f"/shared/{token}", "password=correct+horse", content_type="application/x-www-form-urlencoded"
    )
    assert opened.status_code == 303
    assert len(anonymous.get(f"/shared/{token}/snapshots").json()["sources"]) == 1


def test_a_share_shows_its_own_projects_recording_of_that_id(tenant, other_tenant):
    """Session ids come from browsers: another project may hold one alike, and the project's other
    recordings are not this one."""
    record(other_tenant.team, "same-id", start_ms=RECENT_MS - 3_600_000)
    record(tenant.team, "first", start_ms=RECENT_MS - 7_200_000)
    record(tenant.team, "same-id")
    token = share(tenant, "same-id")
    shown = Client().get(f"/shared/{token}.json").json()["recording"]
    api = tenant.client.get(tenant.url("session_recordings/same-id/")).json()
    assert (shown["id"], shown["start_time"]) == ("same-id", api["start_time"])
    sources = Client().get(f"/shared/{token}/snapshots").json()["sources"]
    assert sources == tenant.client.get(tenant.url("session_recordings/same-id/snapshots/")).json()["sources"]
