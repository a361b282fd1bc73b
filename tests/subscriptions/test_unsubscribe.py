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
    response = client_for(None).get(path, {"token": token})
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
    assert Subscription.objects.get(id=subscription.id).target_value == "a@example.com,b@example.com"

    done = browser.post(
        f"/unsubscribe?token={token}", {"token": token}, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*"
    )
    assert done.status_code == 200 and b"You are unsubscribed" in done.content
    assert Subscription.objects.get(id=subscription.id).target_value == "b@example.com"


def test_a_browser_with_a_bad_token_is_told_the_link_no_longer_works(tenant):
    page = client_for(None).get("/unsubscribe", {"token": "nonsense"}, HTTP_ACCEPT="text/html")
    assert page.status_code == 400 and b"no longer works" in page.content
