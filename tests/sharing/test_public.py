"""Share links as someone without an account uses them: `/shared/<token>`, `/embedded/<token>` and
`<token>.json`, the unlock page of password-protected shares and the sessions a password opens."""

import re
import time
from datetime import timedelta

import pytest

from burrow.analytics.models import DashboardTile
from burrow.sharing.models import SharePassword

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def login(client, token: str, password: str, **extra):
    return client.post(f"/shared/{token}", {"password": password}, content_type="application/json", **extra)


def assert_share_headers(response, embedded: bool = False) -> None:
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    if embedded:
        assert response["Content-Security-Policy"] == CSP.replace("'none'", "*").replace(
            "default-src *", "default-src 'none'"
        ).replace("base-uri *", "base-uri 'none'")
        assert not response.has_header("X-Frame-Options")
    else:
        assert response["Content-Security-Policy"] == CSP
        assert response["X-Frame-Options"] == "DENY"


def test_a_shared_dashboard_shows_its_tiles_in_layout_order(share, anonymous):
    shared = share("dashboard", name="Growth")
    tiles = list(DashboardTile.objects.filter(dashboard=shared.resource).order_by("id"))
    # The first-created tile goes below the second one.
    tiles[0].layouts = {"sm": {"x": 0, "y": 5, "w": 6, "h": 5}}
    tiles[0].save()
    tiles[1].layouts = {"sm": {"x": 0, "y": 0, "w": 12, "h": 5}}
    tiles[1].save()
    response = anonymous.get(f"/shared/{shared.token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<h1 class="share-title">Growth</h1>' in html
    assert html.index("Chart 1") < html.index("Chart 0")
    assert html.count('class="chart chart-line"') == 2
    assert 'class="tile tile-wide"' in html  # the 12-wide tile spans the row
    assert "Shared with Burrow" in html


def test_the_json_of_a_share_is_exactly_the_shared_dashboard(tenant, share, anonymous):
    from tests.factories import make_dashboard

    make_dashboard(tenant, name="Not shared")
    shared = share("dashboard", name="Growth", settings={"legend": True, "noHeader": False})
    response = anonymous.get(f"/shared/{shared.token}.json")
    assert response.status_code == 200
    assert_share_headers(response)
    data = response.json()
    assert set(data) == {"type", "accessToken", "legend", "dashboard"}
    assert (data["type"], data["accessToken"], data["legend"]) == ("scene", shared.token, True)
    dashboard = data["dashboard"]
    assert (dashboard["id"], dashboard["name"]) == (shared.resource.id, "Growth")
    assert [tile["insight"]["name"] for tile in dashboard["tiles"]] == ["Chart 0", "Chart 1"]
    assert dashboard["tiles"][0]["insight"]["result"][0]["data"] == [3, 5, 8, 13]
    assert b"Not shared" not in response.content and tenant.user.email.encode() not in response.content
    assert anonymous.get(f"/embedded/{shared.token}.json").json()["type"] == "embed"


def test_a_shared_dashboard_shows_no_tile_of_another_dashboard_of_its_project(tenant, share, anonymous):
    from tests.factories import make_dashboard, make_insight

    other = make_dashboard(tenant, name="Board only")
    DashboardTile.objects.create(dashboard=other, insight=make_insight(tenant, name="Board chart"))
    shared = share("dashboard", name="Growth")
    tiles = anonymous.get(f"/shared/{shared.token}.json").json()["dashboard"]["tiles"]
    assert [tile["insight"]["name"] for tile in tiles] == ["Chart 0", "Chart 1"]
    assert b"Board chart" not in anonymous.get(f"/shared/{shared.token}").content


def test_an_insight_and_a_recording_share_show_only_themselves(share, anonymous):
    insight = share("insight", name="Signups")
    data = anonymous.get(f"/shared/{insight.token}.json").json()
    assert set(data) == {"type", "accessToken", "insight"}
    assert data["insight"]["name"] == "Signups" and data["insight"]["id"] == insight.resource.id
    assert "Signups" in anonymous.get(f"/shared/{insight.token}").content.decode()

    recording = share("recording", recording_id="0190c5b1-abc")
    data = anonymous.get(f"/shared/{recording.token}.json").json()
    assert data["recording"]["id"] == "0190c5b1-abc" and data["recording"]["metadata"] == {}
    assert "0190c5b1-abc" in anonymous.get(f"/shared/{recording.token}").content.decode()


def test_unknown_disabled_and_refreshed_links_get_one_identical_404_page(share, anonymous):
    disabled = share("dashboard")
    disabled.patch({"enabled": False})
    refreshed = share("insight")
    old = refreshed.token
    refreshed.refresh()
    deleted = share("dashboard")
    deleted.resource.deleted = True
    deleted.resource.save()
    pages = [
        anonymous.get(f"/shared/{token}")
        for token in ("nope", "x" * 500, disabled.token, old, deleted.token, f"{refreshed.token}.png")
    ]
    pages.append(anonymous.get(f"/embedded/{old}"))
    pages.append(anonymous.get(f"/shared/{old}.json"))
    pages.append(anonymous.post(f"/shared/{old}", {"password": "x"}, content_type="application/json"))
    for page in pages:
        assert page.status_code == 404
        assert page.content == pages[0].content
        assert page["Cache-Control"] == "no-store"
    assert b"This link doesn't work" in pages[0].content
    assert anonymous.get(f"/shared/{refreshed.token}").status_code == 200


def test_every_public_answer_carries_the_share_headers(share, anonymous):
    open_share = share("dashboard")
    locked = share("insight", password="correct horse")
    for response in (
        anonymous.get(f"/shared/{open_share.token}"),
        anonymous.get(f"/shared/{open_share.token}/"),
        anonymous.get(f"/shared/{open_share.token}.json"),
        anonymous.head(f"/shared/{open_share.token}"),
        anonymous.get("/shared/unknown"),
        anonymous.get(f"/shared/{locked.token}"),
        login(anonymous, locked.token, "wrong password"),
        login(anonymous, locked.token, "correct horse"),
        anonymous.post(f"/shared/{locked.token}", "{nope", content_type="application/json"),
        anonymous.put(f"/shared/{locked.token}"),
    ):
        assert_share_headers(response)
    for response in (
        anonymous.get(f"/embedded/{open_share.token}"),
        anonymous.get(f"/embedded/{locked.token}"),
        anonymous.get("/embedded/unknown"),
    ):
        assert_share_headers(response, embedded=True)


def test_pages_run_no_inline_script_or_style(share, anonymous):
    for shared in (
        share("dashboard", settings={"detailed": True}),
        share("insight", password="correct horse"),
    ):
        for path in (f"/shared/{shared.token}", f"/embedded/{shared.token}", "/shared/unknown"):
            html = anonymous.get(path).content.decode()
            scripts = re.findall(r"<script\b[^>]*>", html)
            assert all(" src=" in tag for tag in scripts), scripts
            assert re.search(r"\sstyle=", html) is None
            assert re.search(r"\son[a-z]+=", html) is None
            assert "<style" not in html
            assert "http://" not in html and "https://" not in html  # no CDN, no other host


def test_names_and_data_are_shown_as_text(tenant, share, anonymous):
    from tests.factories import make_insight

    shared = share(
        "dashboard", name="<script>alert(1)</script>", description='"><img src=x onerror=alert(2)>'
    )
    make_insight(
        tenant,
        name="<b>bold</b>",
        description="<i>desc</i>",
        result=[{"label": "</div><script>alert(3)</script>", "labels": ["<u>x</u>"], "data": [1]}],
    ).dashboards.add(shared.resource)
    html = anonymous.get(f"/shared/{shared.token}").content.decode()
    assert "<script>alert" not in html and "<img" not in html and "<b>" not in html and "<u>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;/div&gt;&lt;script&gt;alert(3)" in html  # inside data-chart, as text for JSON.parse


def test_the_page_holds_no_secrets(tenant, share, anonymous):
    other = share("insight", name="Elsewhere")
    shared = share("dashboard", password="correct horse")
    session = login(anonymous, shared.token, "correct horse").json()["shareToken"]
    password_hash = SharePassword.objects.get(sharing_configuration__dashboard=shared.resource).password_hash
    for path in (f"/shared/{shared.token}", f"/shared/{shared.token}.json"):
        for client_kwargs in ({}, {"HTTP_AUTHORIZATION": f"Bearer {session}"}):
            content = anonymous.get(path, **client_kwargs).content.decode()
            for secret in (
                password_hash,
                "correct horse",
                other.token,
                tenant.key,
                tenant.user.email,
                "pbkdf2",
            ):
                assert secret not in content


def test_a_password_protected_share_first_shows_the_unlock_page(share, anonymous):
    shared = share("dashboard", name="Board of secrets", password="correct horse")
    for path in (f"/shared/{shared.token}", f"/shared/{shared.token}.json", f"/embedded/{shared.token}"):
        response = anonymous.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert '<form class="unlock-form" method="post" action="">' in html
        assert 'name="password" type="password"' in html
        assert "Board of secrets" not in html and "Chart 0" not in html and "data-chart" not in html


def test_the_right_password_opens_a_session_cookie(share, anonymous, settings):
    shared = share("dashboard", password="correct horse")
    wrong = login(anonymous, shared.token, "wrong horse")
    assert wrong.status_code == 401 and wrong.json() == {"error": "Incorrect password"}
    assert "posthog_sharing_token" not in wrong.cookies
    assert login(anonymous, shared.token, "").status_code == 401
    no_password = anonymous.post(f"/shared/{shared.token}", {}, content_type="application/json")
    assert no_password.status_code == 401

    right = login(anonymous, shared.token, "correct horse")
    assert right.status_code == 200
    token = right.json()["shareToken"]
    assert set(right.json()) == {"shareToken"}
    cookie = right.cookies["posthog_sharing_token"]
    assert cookie.value == token
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert (cookie["path"], cookie["max-age"]) == (f"/shared/{shared.token}", 86400)

    page = anonymous.get(f"/shared/{shared.token}")  # the test client keeps the cookie
    assert page.status_code == 200 and b"Chart 0" in page.content and b"unlock-form" not in page.content

    settings.SITE_URL = "https://burrow.example.com"
    assert login(anonymous, shared.token, "correct horse").cookies["posthog_sharing_token"]["secure"]


def test_a_session_also_works_as_a_bearer_token(share, client):
    shared = share("insight", name="Signups", password="correct horse")
    token = login(client, shared.token, "correct horse").json()["shareToken"]
    client.cookies.clear()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert b"Signups" in client.get(f"/shared/{shared.token}", **bearer).content
    assert client.get(f"/shared/{shared.token}.json", **bearer).json()["insight"]["name"] == "Signups"
    as_json = client.get(f"/shared/{shared.token}", HTTP_ACCEPT="application/json", **bearer)
    assert as_json.json()["insight"]["name"] == "Signups"
    assert b"unlock-form" in client.get(f"/shared/{shared.token}", HTTP_AUTHORIZATION="Bearer forged").content


def test_the_unlock_form_posts_back_to_the_page(share, client):
    shared = share("dashboard", password="correct horse")
    wrong = client.post(f"/shared/{shared.token}", {"password": "wrong horse"})
    assert wrong.status_code == 401
    assert b"Incorrect password" in wrong.content and b"unlock-form" in wrong.content
    right = client.post(f"/shared/{shared.token}", {"password": "correct horse"})
    assert right.status_code == 303 and right["Location"] == f"/shared/{shared.token}"
    assert right.cookies["posthog_sharing_token"]["httponly"]
    assert b"Chart 0" in client.get(right["Location"]).content

    embedded = client.post(f"/embedded/{shared.token}", {"password": "correct horse"})
    assert embedded["Location"] == f"/embedded/{shared.token}"
    assert embedded.cookies["posthog_sharing_token"]["path"] == f"/embedded/{shared.token}"


def test_deleting_a_password_ends_its_sessions_at_once(tenant, share, client):
    shared = share("dashboard", password="first password")
    shared.add_password("second password")
    first = login(client, shared.token, "first password").json()["shareToken"]
    second = login(client, shared.token, "second password").json()["shareToken"]
    client.cookies.clear()
    first_id = shared.get()["share_passwords"][-1]["id"]  # newest first
    tenant.client.delete(tenant.url(f"{shared.path}passwords/{first_id}/"))
    assert (
        b"unlock-form" in client.get(f"/shared/{shared.token}", HTTP_AUTHORIZATION=f"Bearer {first}").content
    )
    assert b"Chart 0" in client.get(f"/shared/{shared.token}", HTTP_AUTHORIZATION=f"Bearer {second}").content
    assert login(client, shared.token, "first password").status_code == 401


def test_refreshing_the_link_ends_every_session_at_once(share, client):
    shared = share("dashboard", password="correct horse")
    old = shared.token
    session = login(client, old, "correct horse").json()["shareToken"]
    assert client.get(f"/shared/{old}").status_code == 200  # the cookie opens the page
    shared.refresh()
    assert client.get(f"/shared/{old}").status_code == 404
    # The old session does not open the new link either; the same password does.
    page = client.get(f"/shared/{shared.token}", HTTP_AUTHORIZATION=f"Bearer {session}")
    assert b"unlock-form" in page.content
    assert login(client, shared.token, "correct horse").status_code == 200


def test_disabling_sharing_or_its_password_changes_what_a_session_sees(share, client):
    shared = share("dashboard", password="correct horse")
    session = {
        "HTTP_AUTHORIZATION": f"Bearer {login(client, shared.token, 'correct horse').json()['shareToken']}"
    }
    shared.patch({"password_required": False})
    assert b"Chart 0" in client.get(f"/shared/{shared.token}").content  # open to anyone now
    shared.patch({"password_required": True})
    assert b"unlock-form" in client.get(f"/shared/{shared.token}", **session).content  # sessions ended
    shared.patch({"enabled": False})
    assert client.get(f"/shared/{shared.token}", **session).status_code == 404


def test_a_session_of_one_share_does_not_open_another(share, client):
    first = share("dashboard", password="correct horse")
    second = share("insight", password="correct horse")
    session = login(client, first.token, "correct horse").json()["shareToken"]
    page = client.get(f"/shared/{second.token}", HTTP_AUTHORIZATION=f"Bearer {session}")
    assert b"unlock-form" in page.content


def test_a_session_lasts_24_hours(share, client, monkeypatch):
    shared = share("insight", password="correct horse")
    issued = time.time() - timedelta(hours=24, seconds=5).total_seconds()
    monkeypatch.setattr("django.core.signing.time.time", lambda: issued)
    session = login(client, shared.token, "correct horse").json()["shareToken"]
    monkeypatch.undo()
    page = client.get(f"/shared/{shared.token}", HTTP_AUTHORIZATION=f"Bearer {session}")
    assert b"unlock-form" in page.content


def test_a_share_without_password_ignores_a_post(share, anonymous):
    shared = share("insight", name="Signups")
    response = anonymous.post(
        f"/shared/{shared.token}", {"password": "whatever"}, content_type="application/json"
    )
    assert response.status_code == 200 and b"Signups" in response.content


def test_bad_input_to_the_unlock_endpoint_is_a_4xx(share, anonymous):
    shared = share("insight", password="correct horse")
    malformed = anonymous.post(f"/shared/{shared.token}", "{nope", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["code"] == "parse_error"
    for body in ('"correct horse"', "[1]", '{"password": 12345678}', '{"password": null}'):
        response = anonymous.post(f"/shared/{shared.token}", body, content_type="application/json")
        assert response.status_code == 401, body
    huge = login(anonymous, shared.token, "x" * 100_000)
    assert huge.status_code == 401
    assert anonymous.delete(f"/shared/{shared.token}").status_code == 405


def test_logins_to_dashboard_shares_are_in_the_activity_log(tenant, share, anonymous):
    shared = share("dashboard", name="Growth", password="correct horse")
    noted = shared.add_password("battery staple", note="for the board")
    login(anonymous, shared.token, "wrong horse", REMOTE_ADDR="203.0.113.7")
    login(anonymous, shared.token, "battery staple", REMOTE_ADDR="203.0.113.8")
    entries = tenant.client.get(tenant.url("activity_log/?scope=Dashboard")).json()["results"]
    success, failure = entries[0], entries[1]
    assert (success["activity"], failure["activity"]) == ("share_login_success", "share_login_failed")
    attempt = failure["detail"]["changes"][0]
    assert {k: attempt[k] for k in ("action", "field", "before")} == {
        "action": "changed",
        "field": "authentication_attempt",
        "before": None,
    }
    assert attempt["after"] == {
        "access_token_suffix": shared.token[-4:],
        "client_ip": "203.0.113.7",
        "success": False,
        "resource_type": "dashboard",
        "password_id": None,
        "password_note": None,
    }
    assert success["detail"]["changes"][0]["after"] == {
        "access_token_suffix": shared.token[-4:],
        "client_ip": "203.0.113.8",
        "success": True,
        "resource_type": "dashboard",
        "password_id": noted["id"],
        "password_note": "for the board",
    }
    assert success["detail"]["name"] == failure["detail"]["name"] == "Growth"
    assert shared.token not in str(entries)
    assert success["user"] is None and success["item_id"] == str(shared.resource.id)


def test_a_post_to_an_open_shares_json_answers_its_json(share, anonymous):
    """Nothing to unlock: a POST (a client that always posts its password) reads the share as GET does."""
    shared = share("dashboard", name="Growth")
    response = anonymous.post(f"/shared/{shared.token}.json", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["dashboard"]["name"] == "Growth"
