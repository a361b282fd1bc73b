"""One-click unsubscribe links from report emails: `GET /unsubscribe?token=` without logging in."""

import time
from datetime import timedelta

import pytest

from burrow.subscriptions.models import Subscription
from burrow.subscriptions.unsubscribe import make_unsubscribe_token
from tests.conftest import client_for
from tests.factories import make_subscription

pytestmark = pytest.mark.django_db


def visit(token: str, path: str = "/unsubscribe") -> dict:
    """As PostHog's API clients do: a GET that asks for JSON."""
    response = client_for(None).get(path, {"token": token}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def test_unsubscribe_removes_only_that_address(tenant):
    subscription = make_subscription(tenant, target_value="a@example.com,b@example.com,c@example.com")
    assert visit(make_unsubscribe_token(subscription.id, "b@example.com")) == {"success": True}
    subscription.refresh_from_db()
    assert (subscription.target_value, subscription.deleted) == ("a@example.com,c@example.com", False)


def test_unsubscribe_deletes_subscription_if_last_subscriber(tenant):
    subscription = make_subscription(tenant, target_value="a@example.com")
    assert visit(make_unsubscribe_token(subscription.id, "a@example.com"), "/unsubscribe/") == {
        "success": True
    }
    subscription.refresh_from_db()
    assert subscription.deleted is True
    assert tenant.client.get(tenant.url("subscriptions/")).json()["results"] == []


def test_unsubscribe_does_nothing_if_already_unsubscribed(tenant):
    subscription = make_subscription(tenant, target_value="a@example.com,b@example.com")
    token = make_unsubscribe_token(subscription.id, "a@example.com")
    assert visit(token) == {"success": True}
    assert visit(token) == {"success": True}
    assert Subscription.objects.get(id=subscription.id).target_value == "b@example.com"


def test_unsubscribe_is_logged_as_a_change(tenant):
    subscription = make_subscription(tenant, target_value="a@example.com,b@example.com")
    visit(make_unsubscribe_token(subscription.id, "a@example.com"))
    entry = tenant.client.get(tenant.url("activity_log/") + "?scope=Subscription").json()["results"][0]
    assert entry["user"] is None
    assert entry["detail"]["changes"][0]["after"] == "b@example.com"


def test_unsubscribe_using_token_fails_if_too_old(tenant, monkeypatch):
    subscription = make_subscription(tenant, target_value="a@example.com")
    issued = time.time() - timedelta(days=31).total_seconds()
    monkeypatch.setattr("django.core.signing.time.time", lambda: issued)
    token = make_unsubscribe_token(subscription.id, "a@example.com")
    monkeypatch.undo()
    assert visit(token) == {"success": False}
    assert Subscription.objects.get(id=subscription.id).target_value == "a@example.com"


@pytest.mark.parametrize("token", ["", "garbage", "eyJpZCI6MX0:1tAmpered:signature"])
def test_bad_tokens_fail_without_changes(tenant, token):
    subscription = make_subscription(tenant, target_value="a@example.com")
    assert visit(token) == {"success": False}
    assert Subscription.objects.get(id=subscription.id).target_value == "a@example.com"


def test_token_of_a_missing_subscription_fails(db):
    assert visit(make_unsubscribe_token(987654, "a@example.com")) == {"success": False}


def test_token_signed_for_another_purpose_fails(tenant):
    from django.core import signing

    subscription = make_subscription(tenant, target_value="a@example.com")
    assert visit(signing.dumps({"id": subscription.id, "email": "a@example.com"})) == {"success": False}


def test_one_click_post_from_a_mail_client_unsubscribes(tenant):
    """RFC 8058: the client POSTs `List-Unsubscribe=One-Click` to the List-Unsubscribe URL."""
    subscription = make_subscription(tenant, target_value="a@example.com,b@example.com")
    token = make_unsubscribe_token(subscription.id, "a@example.com")
    response = client_for(None).post(
        f"/unsubscribe?token={token}",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    assert Subscription.objects.get(id=subscription.id).target_value == "b@example.com"


def test_a_browser_gets_a_confirmation_page_and_a_scanner_opening_the_link_unsubscribes_nobody(tenant):
    subscription = make_subscription(tenant, target_value="a@example.com,b@example.com")
    token = make_unsubscribe_token(subscription.id, "a@example.com")
    browser = client_for(None)
    page = browser.get("/unsubscribe", {"token": token}, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert b"a@example.com" in page.content and b'method="post"' in page.content
    insight_name = subscription.insight.display_name.encode()
    assert b"the insight report &ldquo;" + insight_name + b"&rdquo;" in page.content  # which report it is
    assert Subscription.objects.get(id=subscription.id).target_value == "a@example.com,b@example.com"

    done = browser.post(
        f"/unsubscribe?token={token}", {"token": token}, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*"
    )
    assert done.status_code == 200 and b"You are unsubscribed" in done.content
    assert Subscription.objects.get(id=subscription.id).target_value == "b@example.com"


def test_a_browser_with_a_bad_token_is_told_the_link_no_longer_works(tenant):
    page = client_for(None).get("/unsubscribe", {"token": "nonsense"}, HTTP_ACCEPT="text/html")
    assert page.status_code == 400 and b"no longer works" in page.content


@pytest.mark.parametrize(
    "method, accept",
    [
        ("head", "application/json"),
        ("head", None),
        ("get", None),
        ("get", "*/*"),
        ("get", "image/webp,*/*"),
        ("get", "text/*"),
        ("get", "TEXT/HTML"),
        ("get", "text/html, application/json"),
        ("get", "application/json;q=0, text/plain"),
    ],
)
def test_link_scanners_and_prefetchers_unsubscribe_nobody(tenant, method, accept):
    subscription = make_subscription(tenant, target_value="a@example.com")
    token = make_unsubscribe_token(subscription.id, "a@example.com")
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = getattr(client_for(None), method)("/unsubscribe", {"token": token}, **headers)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "no-store"
    current = Subscription.objects.get(id=subscription.id)
    assert (current.target_value, current.deleted) == ("a@example.com", False)


@pytest.mark.parametrize("accept", ["text/*", "*/*", "application/json"])
def test_a_bad_token_never_answers_success(db, accept):
    response = client_for(None).get("/unsubscribe", {"token": "garbage"}, HTTP_ACCEPT=accept)
    assert b"true" not in response.content.lower()
    assert response.status_code == 400 or response.json() == {"success": False}


def test_json_is_matched_case_insensitively(tenant):
    subscription = make_subscription(tenant, target_value="a@example.com,b@example.com")
    token = make_unsubscribe_token(subscription.id, "a@example.com")
    response = client_for(None).get("/unsubscribe", {"token": token}, HTTP_ACCEPT="Application/JSON")
    assert response.json() == {"success": True}


def test_a_spent_link_does_not_remove_an_address_added_back(tenant):
    subscription = make_subscription(tenant, target_value="a@example.com,b@example.com")
    url = tenant.url(f"subscriptions/{subscription.id}/")
    # Created over the API so the addition time of each address is recorded, as in real use.
    created = tenant.client.patch(url, {"target_value": "b@example.com"}, format="json")
    assert created.status_code == 200
    tenant.client.patch(url, {"target_value": "a@example.com,b@example.com"}, format="json")
    token = make_unsubscribe_token(subscription.id, "a@example.com")
    assert visit(token) == {"success": True}
    assert Subscription.objects.get(id=subscription.id).target_value == "b@example.com"

    readded = tenant.client.patch(url, {"target_value": "b@example.com,A@example.com"}, format="json")
    assert readded.status_code == 200
    assert visit(token) == {"success": True}  # idempotent answer …
    assert (
        Subscription.objects.get(id=subscription.id).target_value == "b@example.com,A@example.com"
    )  # … no change
    fresh = make_unsubscribe_token(subscription.id, "a@example.com")
    assert visit(fresh) == {"success": True}
    assert Subscription.objects.get(id=subscription.id).target_value == "b@example.com"


def test_a_token_with_one_flipped_signature_character_is_refused(tenant):
    subscription = make_subscription(tenant, target_value="a@example.com")
    token = make_unsubscribe_token(subscription.id, "a@example.com")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert visit(flipped) == {"success": False}
    assert Subscription.objects.get(id=subscription.id).target_value == "a@example.com"
