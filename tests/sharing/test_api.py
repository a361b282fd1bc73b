"""The sharing API of recordings, dashboards and insights: configuration, passwords and link refresh, with
PostHog's shapes and messages."""

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.test.utils import CaptureQueriesContext

from burrow.core.bootstrap import join_organization
from burrow.sharing.models import SessionRecording, SharePassword, SharingConfiguration
from tests.conftest import client_for
from tests.factories import make_dashboard, make_insight
from tests.helpers import error

pytestmark = pytest.mark.django_db

RECORDING = "session_recordings/0190c5b1-7f3a-7d1e-b0a5-3c1f0e2d9a41/sharing/"
CONFIG_KEYS = {"created_at", "enabled", "access_token", "settings", "password_required", "share_passwords"}


def test_reading_a_new_configuration_saves_nothing(tenant):
    first = tenant.client.get(tenant.url(RECORDING))
    second = tenant.client.get(tenant.url(RECORDING))
    assert first.status_code == 200
    body = first.json()
    assert set(body) == CONFIG_KEYS
    assert body["created_at"] is None
    assert (body["enabled"], body["password_required"], body["settings"], body["share_passwords"]) == (
        False,
        False,
        None,
        [],
    )
    assert len(body["access_token"]) >= 40
    assert body["access_token"] != second.json()["access_token"]  # an unsaved default, new each time
    assert SharingConfiguration.objects.count() == 0 and SessionRecording.objects.count() == 0


def test_patch_enables_sharing_and_saves_the_recording(tenant):
    response = tenant.client.patch(tenant.url(RECORDING), {"enabled": True}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["enabled"] is True and body["created_at"] is not None
    recording = SessionRecording.objects.get()
    assert (recording.team_id, recording.session_id) == (
        tenant.team.id,
        "0190c5b1-7f3a-7d1e-b0a5-3c1f0e2d9a41",
    )
    assert tenant.client.get(tenant.url(RECORDING)).json() == body
    # The environment route names the same configuration.
    assert tenant.client.get(tenant.url(RECORDING, route="environments")).json() == body
    assert tenant.client.get(tenant.url(RECORDING.rstrip("/"))).json() == body


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ({"whitelabel": True, "custom": 1}, {"whitelabel": True}),
        ({}, {}),
        (None, None),
        (
            {"noHeader": "true", "legend": 0, "detailed": "yes", "theme": "dark"},
            {
                "noHeader": True,
                "legend": False,
                "detailed": True,
                "theme": "dark",
            },
        ),
        ({"showInspector": None, "hideExtraDetails": True}, {"hideExtraDetails": True}),
        (
            {"legend": 1, "whitelabel": 1.0, "noHeader": 0.0},
            {"legend": True, "whitelabel": True, "noHeader": False},
        ),
    ],
)
def test_settings_keep_known_keys_only(tenant, sent, stored):
    response = tenant.client.patch(tenant.url(RECORDING), {"settings": sent}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["settings"] == stored
    assert SharingConfiguration.objects.get().settings == stored


@pytest.mark.parametrize(
    "sent",
    ["whitelabel", [1, 2], 5, {"theme": "sepia"}, {"legend": "maybe"}, {"legend": 2}, {"whitelabel": 0.5}],
)
def test_settings_of_the_wrong_shape_are_invalid_settings_format(tenant, sent):
    response = tenant.client.patch(tenant.url(RECORDING), {"settings": sent}, format="json")
    assert error(response) == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "Invalid settings format",
        "attr": "settings",
    }


def test_a_password_needs_password_protection_first(tenant):
    response = tenant.client.post(tenant.url(f"{RECORDING}passwords/"), {"raw_password": "long enough"})
    assert response.status_code == 400
    assert response.json() == {"error": "Password protection must be enabled before creating passwords"}
    assert SharingConfiguration.objects.count() == 0 and SharePassword.objects.count() == 0


def test_a_created_password_is_shown_once_and_listed_as_metadata(tenant):
    tenant.client.patch(tenant.url(RECORDING), {"password_required": True}, format="json")
    response = tenant.client.post(
        tenant.url(f"{RECORDING}passwords/"), {"raw_password": "correct horse", "note": "for Ana"}
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == {"id", "password", "note", "created_at", "created_by_email"}
    assert (created["password"], created["note"], created["created_by_email"]) == (
        "correct horse",
        "for Ana",
        tenant.user.email,
    )
    stored = SharePassword.objects.get()
    assert stored.password_hash.startswith("pbkdf2_sha256$") and "correct horse" not in stored.password_hash
    assert check_password("correct horse", stored.password_hash)

    listed = tenant.client.get(tenant.url(RECORDING))
    assert listed.json()["share_passwords"] == [
        {
            "id": created["id"],
            "created_at": created["created_at"],
            "note": "for Ana",
            "created_by_email": tenant.user.email,
            "is_active": True,
        }
    ]
    assert b"pbkdf2" not in listed.content and b"correct horse" not in listed.content


@pytest.mark.parametrize("body", [{}, {"raw_password": ""}, {"raw_password": None, "note": ""}])
def test_a_password_is_generated_when_none_is_given(tenant, body):
    tenant.client.patch(tenant.url(RECORDING), {"password_required": True}, format="json")
    created = tenant.client.post(tenant.url(f"{RECORDING}passwords/"), body, format="json").json()
    assert len(created["password"]) == 22
    assert check_password(created["password"], SharePassword.objects.get().password_hash)


def test_a_short_password_is_refused_naming_raw_password(tenant):
    tenant.client.patch(tenant.url(RECORDING), {"password_required": True}, format="json")
    response = tenant.client.post(tenant.url(f"{RECORDING}passwords/"), {"raw_password": "1234567"})
    assert error(response) == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "Password must be at least 8 characters long.",
        "attr": "raw_password",
    }
    long_note = tenant.client.post(tenant.url(f"{RECORDING}passwords/"), {"note": "n" * 101})
    assert error(long_note)["attr"] == "note"
    assert SharePassword.objects.count() == 0
    shortest = tenant.client.post(tenant.url(f"{RECORDING}passwords/"), {"raw_password": "12345678"})
    assert shortest.status_code == 201, shortest.content


def test_a_password_of_a_deleted_user_names_a_deleted_user(tenant, share):
    member = join_organization("member@example.com", tenant.organization, "member", ["*"])
    shared = share("recording", password="long enough")
    tenant.user.delete()
    assert SharePassword.objects.get().created_by is None
    listed = client_for(member.personal_api_key).get(tenant.url(shared.path)).json()
    assert listed["share_passwords"][0]["created_by_email"] == "deleted user"


def test_deleting_a_password_deactivates_it(tenant, share):
    shared = share("recording", password="long enough")
    password_id = shared.get()["share_passwords"][0]["id"]
    response = tenant.client.delete(tenant.url(f"{shared.path}passwords/{password_id}/"))
    assert response.status_code == 204 and response.content == b""
    assert SharePassword.objects.get(id=password_id).is_active is False  # soft delete
    assert shared.get()["share_passwords"] == []
    again = tenant.client.delete(tenant.url(f"{shared.path}passwords/{password_id}/"))
    assert error(again, 404)["detail"] == "Password not found"


@pytest.mark.parametrize("password_id", ["abc", "0", "-1", "9223372036854775808", "1.5", "424242"])
def test_deleting_an_unknown_password_is_404(tenant, share, password_id):
    shared = share("recording", password="long enough")
    response = tenant.client.delete(tenant.url(f"{shared.path}passwords/{password_id}/"))
    assert error(response, 404) == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Password not found",
        "attr": None,
    }


def test_a_password_of_another_resource_is_not_deleted_through_this_one(tenant, share):
    first = share("recording", password="long enough", recording_id="first")
    second = share("recording", password="long enough", recording_id="second")
    other_id = second.get()["share_passwords"][0]["id"]
    response = tenant.client.delete(tenant.url(f"{first.path}passwords/{other_id}/"))
    assert error(response, 404)["detail"] == "Password not found"
    assert SharePassword.objects.get(id=other_id).is_active


def test_refresh_issues_a_new_token_and_keeps_everything_else(tenant, share):
    shared = share("dashboard", password="long enough", settings={"legend": True})
    before = shared.get()
    old_token = shared.token
    response = tenant.client.post(tenant.url(f"{shared.path}refresh/"))
    assert response.status_code == 200
    after = response.json()
    assert after["access_token"] != old_token and len(after["access_token"]) >= 40
    assert {k: v for k, v in after.items() if k != "access_token"} == {
        k: v for k, v in before.items() if k != "access_token"
    }
    assert shared.get()["access_token"] == after["access_token"]


def test_refresh_of_a_never_shared_recording_creates_it_disabled(tenant):
    response = tenant.client.post(tenant.url(f"{RECORDING}refresh/"))
    assert response.status_code == 200
    assert response.json()["enabled"] is False and response.json()["created_at"] is not None
    assert SharingConfiguration.objects.get().recording.session_id.startswith("0190c5b1")


def test_re_enabling_a_disabled_share_issues_a_new_link(share):
    shared = share("insight")
    first = shared.token
    assert shared.patch({"enabled": False}).json()["access_token"] == first
    assert shared.patch({"enabled": True}).json()["access_token"] != first


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("dashboards/424242/sharing/", "Dashboard not found."),
        ("dashboards/abc/sharing/", "Dashboard not found."),
        ("insights/9223372036854775808/sharing/", "Insight not found."),
        (f"session_recordings/{'r' * 201}/sharing/", "Not found."),
        ("session_recordings/a%00b/sharing/", "Not found."),
    ],
)
def test_unknown_resources_are_404(tenant, path, detail):
    for method in ("get", "patch"):
        assert error(getattr(tenant.client, method)(tenant.url(path), {}, format="json"), 404) == {
            "type": "invalid_request",
            "code": "not_found",
            "detail": detail,
            "attr": None,
        }
    assert error(tenant.client.post(tenant.url(f"{path}refresh/")), 404)["detail"] == detail


def test_the_longest_recording_id_that_can_be_stored_is_shareable(tenant):
    response = tenant.client.patch(tenant.url(f"session_recordings/{'r' * 200}/sharing/"), {"enabled": True})
    assert response.status_code == 200, response.content
    assert SharingConfiguration.objects.get().recording.session_id == "r" * 200


def test_a_deleted_dashboard_cannot_be_shared(tenant):
    dashboard = make_dashboard(tenant, deleted=True)
    response = tenant.client.patch(tenant.url(f"dashboards/{dashboard.id}/sharing/"), {"enabled": True})
    assert error(response, 404)["detail"] == "Dashboard not found."


def test_malformed_json_is_a_parse_error(tenant):
    response = tenant.client.patch(tenant.url(RECORDING), "{nope", content_type="application/json")
    assert error(response)["code"] == "parse_error"


def test_methods_a_route_does_not_map_are_405(tenant):
    assert error(tenant.client.put(tenant.url(RECORDING), {}), 405)["code"] == "method_not_allowed"
    assert error(tenant.client.delete(tenant.url(RECORDING)), 405)["code"] == "method_not_allowed"
    # PATCH belongs to the configuration's route only: on refresh it changes nothing.
    response = tenant.client.patch(tenant.url(f"{RECORDING}refresh/"), {"enabled": True}, format="json")
    assert error(response, 405)["code"] == "method_not_allowed"
    assert SharingConfiguration.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "suffix", "scope"),
    [
        ("get", "", "sharing_configuration:read"),
        ("patch", "", "sharing_configuration:write"),
        ("post", "refresh/", "sharing_configuration:write"),
        ("post", "passwords/", "sharing_configuration:write"),
        ("delete", "passwords/1/", "sharing_configuration:write"),
    ],
)
def test_each_endpoint_needs_its_scope(tenant, key_client, method, suffix, scope):
    response = getattr(key_client(["dashboard:write"]), method)(
        tenant.url(RECORDING + suffix), {}, format="json"
    )
    assert error(response, 403) == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": f"API key missing required scope '{scope}'",
        "attr": None,
    }
    allowed = getattr(key_client([scope]), method)(tenant.url(RECORDING + suffix), {}, format="json")
    assert allowed.status_code in (200, 400, 404), allowed.content  # past the scope check


def test_write_scope_reads_too(tenant, key_client):
    assert key_client(["sharing_configuration:write"]).get(tenant.url(RECORDING)).status_code == 200


def test_another_tenants_project_is_403_and_unknown_project_404(tenant, other_tenant, share):
    shared = share("dashboard")
    response = other_tenant.client.get(tenant.url(shared.path))
    assert error(response, 403)["detail"] == "You don't have access to the project."
    assert shared.token.encode() not in response.content
    assert (
        error(tenant.client.get(f"/api/projects/999999/{RECORDING}"), 404)["detail"] == "Project not found."
    )


def test_another_tenants_dashboard_is_not_found_in_your_project(tenant, other_tenant, share):
    shared = share("dashboard")
    response = other_tenant.client.patch(other_tenant.url(shared.path), {"enabled": False}, format="json")
    assert error(response, 404)["detail"] == "Dashboard not found."
    assert SharingConfiguration.objects.get().enabled is True


def test_the_same_recording_id_in_two_projects_is_two_configurations(tenant, other_tenant, share):
    mine = share("recording", password="long enough")
    password_id = mine.get()["share_passwords"][0]["id"]
    theirs = other_tenant.client.get(other_tenant.url(mine.path)).json()
    assert theirs["enabled"] is False and theirs["access_token"] != mine.token
    # Their project, my recording id and my password id: not found, and my password still works.
    response = other_tenant.client.delete(other_tenant.url(f"{mine.path}passwords/{password_id}/"))
    assert error(response, 404)["detail"] == "Password not found"
    assert SharePassword.objects.get(id=password_id).is_active
    other_tenant.client.patch(other_tenant.url(mine.path), {"enabled": True}, format="json")
    assert SharingConfiguration.objects.count() == 2 and SessionRecording.objects.count() == 2


def test_dashboard_and_insight_sharing_is_in_the_activity_log(tenant, share):
    shared = share("dashboard", name="Growth")
    shared.patch({"enabled": False})
    shared.refresh()
    entries = tenant.client.get(tenant.url("activity_log/?scope=Dashboard")).json()["results"]
    assert [e["activity"] for e in entries] == [
        "access token refreshed",
        "sharing disabled",
        "sharing enabled",
    ]
    assert {e["item_id"] for e in entries} == {str(shared.resource.id)}
    assert {e["detail"]["name"] for e in entries} == {"Growth"}
    assert entries[2]["detail"]["changes"][0] | {"type": None} == {
        "type": None,
        "action": "changed",
        "field": "sharing",
        "before": False,
        "after": True,
    }
    assert [e["user"]["email"] for e in entries] == [tenant.user.email] * 3  # who changed it, every time
    for token in (shared.token,):
        assert token not in str(entries)
    share("insight")
    assert tenant.client.get(tenant.url("activity_log/?scope=Insight")).json()["results"][0]["activity"] == (
        "sharing enabled"
    )


def test_recording_sharing_is_not_in_the_activity_log(tenant, share):
    share("recording").refresh()
    assert tenant.client.get(tenant.url("activity_log/")).json()["results"] == []


def test_reading_a_configuration_costs_the_same_queries_for_any_number_of_passwords(tenant, share):
    shared = share("dashboard", password="long enough")

    def queries() -> int:
        shared.get()  # last_used_at of the key is written at most once a minute
        with CaptureQueriesContext(connection) as context:
            assert shared.get()["password_required"] is True
        return len(context.captured_queries)

    few = queries()
    for n in range(5):
        shared.add_password(note=f"n{n}")
    assert queries() == few


def test_insight_sharing_shows_the_insight_only(tenant, share):
    insight = make_insight(tenant, name="Other")
    shared = share("insight")
    assert shared.get()["enabled"] is True
    assert tenant.client.get(tenant.url(f"insights/{insight.id}/sharing/")).json()["enabled"] is False
