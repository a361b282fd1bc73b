"""What ends a share session besides deleting its password or refreshing the link (tests/sharing/test_public.py):
switching password protection off and on, and replacing every password; and how a session cookie asks for
JSON."""

import pytest

from tests.sharing.test_public import login

pytestmark = pytest.mark.django_db


def test_switching_password_protection_off_and_on_ends_every_session(share, client):
    shared = share("dashboard", password="correct horse")
    session = login(client, shared.token, "correct horse").json()["shareToken"]
    assert b"Chart 0" in client.get(f"/shared/{shared.token}").content  # by cookie
    shared.patch({"password_required": False})
    assert b"Chart 0" in client.get(f"/shared/{shared.token}").content  # open to anyone meanwhile
    shared.patch({"password_required": True})
    assert b"unlock-form" in client.get(f"/shared/{shared.token}").content
    bearer = client.get(f"/shared/{shared.token}", HTTP_AUTHORIZATION=f"Bearer {session}")
    assert b"unlock-form" in bearer.content
    # The password itself still opens the share, with a new session.
    assert login(client, shared.token, "correct horse").status_code == 200
    assert b"Chart 0" in client.get(f"/shared/{shared.token}").content


def test_a_patch_that_keeps_password_protection_on_keeps_sessions(share, client):
    shared = share("dashboard", password="correct horse")
    login(client, shared.token, "correct horse")
    assert shared.patch({"password_required": True, "settings": {"legend": True}}).status_code == 200
    assert b"Chart 0" in client.get(f"/shared/{shared.token}").content


def test_replacing_every_password_ends_every_session(tenant, share, client):
    shared = share("dashboard", password="first password")
    shared.add_password("second password")
    first = login(client, shared.token, "first password").json()["shareToken"]
    second = login(client, shared.token, "second password").json()["shareToken"]
    client.cookies.clear()
    old_ids = [password["id"] for password in shared.get()["share_passwords"]]
    shared.add_password("third password")
    for password_id in old_ids:
        assert tenant.client.delete(tenant.url(f"{shared.path}passwords/{password_id}/")).status_code == 204
    for session in (first, second):
        page = client.get(f"/shared/{shared.token}", HTTP_AUTHORIZATION=f"Bearer {session}")
        assert b"unlock-form" in page.content
    assert login(client, shared.token, "third password").status_code == 200


def test_a_session_cookie_answers_json_when_json_is_asked_for(share, client):
    shared = share("insight", name="Signups", password="correct horse")
    client.post(f"/shared/{shared.token}", {"password": "correct horse"})  # the unlock form sets the cookie
    assert client.cookies["posthog_sharing_token"].value
    as_json = client.get(f"/shared/{shared.token}", HTTP_ACCEPT="application/json")
    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    assert as_json.json()["insight"]["name"] == "Signups"
    axios = client.get(f"/shared/{shared.token}", HTTP_ACCEPT="application/json, text/plain, */*")
    assert axios.json()["insight"]["name"] == "Signups"
    # A browser asking for HTML gets the page.
    browser = client.get(f"/shared/{shared.token}", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser["Content-Type"].startswith("text/html") and b"Signups" in browser.content
    # Without the cookie, asking for JSON still gets only the unlock page.
    client.cookies.clear()
    locked = client.get(f"/shared/{shared.token}", HTTP_ACCEPT="application/json")
    assert locked["Content-Type"].startswith("text/html") and b"unlock-form" in locked.content
