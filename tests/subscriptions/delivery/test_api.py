"""The delivery log API and the test-delivery / rotate-webhook-secret actions."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from standardwebhooks.webhooks import Webhook

from burrow.subscriptions.delivery.channels.webhook import stored_secret
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.triggers import request_target_change_delivery
from tests.factories import make_delivery, make_subscription

pytestmark = pytest.mark.django_db


def deliveries_url(tenant, sub, rest: str = "", route: str = "projects") -> str:
    return tenant.url(f"subscriptions/{sub.id}/deliveries/{rest}", route=route)


def test_delivery_log_lists_newest_first_under_projects_and_environments(tenant):
    sub = make_subscription(tenant)
    first = make_delivery(tenant, subscription=sub, status="completed")
    second = make_delivery(tenant, subscription=sub, status="failed")
    make_delivery(tenant)  # another subscription's delivery
    for url in (
        deliveries_url(tenant, sub),
        f"/api/environments/{tenant.team.id}/subscriptions/{sub.id}/deliveries/",
    ):
        body = tenant.client.get(url).json()
        assert [d["id"] for d in body["results"]] == [str(second.id), str(first.id)]
    detail = tenant.client.get(deliveries_url(tenant, sub, f"{first.id}/"))
    assert detail.status_code == 200
    assert detail.json()["status"] == "completed" and detail.json()["subscription"] == sub.id


def test_delivery_log_filters_by_status_and_rejects_unknown_status(tenant):
    sub = make_subscription(tenant)
    make_delivery(tenant, subscription=sub, status="completed")
    failed = make_delivery(tenant, subscription=sub, status="failed")
    body = tenant.client.get(deliveries_url(tenant, sub), {"status": "failed"}).json()
    assert [d["id"] for d in body["results"]] == [str(failed.id)]
    bad = tenant.client.get(deliveries_url(tenant, sub), {"status": "sent"})
    assert bad.status_code == 400
    assert bad.json()["attr"] == "status"
    assert bad.json()["detail"] == "Must be one of: completed, failed, skipped, starting."


def test_delivery_log_of_unknown_or_foreign_subscription_is_404(tenant, other_tenant):
    foreign = make_subscription(other_tenant)
    assert tenant.client.get(tenant.url(f"subscriptions/{foreign.id}/deliveries/")).status_code == 404
    assert tenant.client.get(tenant.url("subscriptions/999999/deliveries/")).status_code == 404
    sub = make_subscription(tenant)
    assert tenant.client.get(deliveries_url(tenant, sub, f"{uuid.uuid4()}/")).status_code == 404
    assert tenant.client.post(deliveries_url(tenant, sub), {}).status_code == 405


def test_delivery_log_list_query_count_is_constant(tenant):
    sub = make_subscription(tenant)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert tenant.client.get(deliveries_url(tenant, sub)).status_code == 200
        return len(ctx.captured_queries)

    make_delivery(tenant, subscription=sub)
    count()  # warm-up: the key's first use is recorded once
    few = count()
    for _ in range(10):
        make_delivery(tenant, subscription=sub)
    assert count() == few


def test_delivery_log_needs_subscription_read_scope(tenant, key_client):
    sub = make_subscription(tenant)
    assert key_client(["subscription:read"]).get(deliveries_url(tenant, sub)).status_code == 200
    assert key_client(["insight:read"]).get(deliveries_url(tenant, sub)).status_code == 403


def test_test_delivery_records_a_manual_delivery_and_refuses_while_one_is_in_flight(tenant, key_client):
    sub = make_subscription(tenant)
    url = tenant.url(f"subscriptions/{sub.id}/test-delivery/")
    assert key_client(["subscription:read"]).post(url).status_code == 403
    response = tenant.client.post(url)
    assert response.status_code == 202
    delivery = SubscriptionDelivery.objects.get(subscription=sub)
    assert delivery.trigger_type == "manual" and delivery.status == "starting" and delivery.lease_expires_at
    again = tenant.client.post(url)
    assert again.status_code == 409 and again.json()["detail"] == "Delivery already in progress"


def test_test_delivery_of_disabled_or_deleted_subscription(tenant, other_tenant):
    disabled = make_subscription(tenant, enabled=False)
    response = tenant.client.post(tenant.url(f"subscriptions/{disabled.id}/test-delivery/"))
    assert response.status_code == 409
    assert (
        response.json()["detail"] == "Subscription is disabled. Re-enable it before sending a test delivery."
    )
    deleted = make_subscription(tenant, deleted=True)
    assert tenant.client.post(tenant.url(f"subscriptions/{deleted.id}/test-delivery/")).status_code == 404
    foreign = make_subscription(other_tenant)
    assert tenant.client.post(tenant.url(f"subscriptions/{foreign.id}/test-delivery/")).status_code == 404
    assert not SubscriptionDelivery.objects.exists()


def test_test_delivery_with_an_unreachable_broker_is_503_and_queues_nothing(tenant, settings):
    settings.BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    sub = make_subscription(tenant)
    response = tenant.client.post(tenant.url(f"subscriptions/{sub.id}/test-delivery/"))
    assert response.status_code == 503
    assert response.json()["type"] == "server_error"
    assert "broker (BURROW_BROKER_URL) is unreachable" in response.json()["detail"]
    assert not SubscriptionDelivery.objects.exists()


def test_rotate_webhook_secret_returns_a_new_secret_once(tenant, key_client):
    sub = make_subscription(tenant, target_type="webhook", target_value="https://example.com/hook")
    url = tenant.url(f"subscriptions/{sub.id}/rotate-webhook-secret/")
    assert key_client(["subscription:read"]).post(url).status_code == 403
    first = tenant.client.post(url).json()["webhook_secret"]
    second = tenant.client.post(url).json()["webhook_secret"]
    assert first.startswith("whsec_") and first != second
    stored = stored_secret(Subscription.objects.get(id=sub.id))
    assert stored == second
    Webhook(stored)  # a valid Standard Webhooks secret
    assert second not in tenant.client.get(tenant.url(f"subscriptions/{sub.id}/")).content.decode()


def test_an_invite_for_the_same_new_addresses_is_recorded_once(tenant):
    """Racing requests that saved the same change (or a callback run twice) ask for the same invite."""
    sub = make_subscription(tenant, target_value="a@example.com,New@example.com,b@example.com")
    first = request_target_change_delivery(sub, "a@example.com", "Hello")
    assert request_target_change_delivery(sub, "A@example.com", None) is None  # the same addresses, any case
    assert first.previous_value == "a@example.com" and first.invite_message == "Hello"
    another = request_target_change_delivery(sub, "a@example.com,b@example.com", None)  # only New: a new set
    assert another is not None and another.idempotency_key != first.idempotency_key
    sub.target_value = "a@example.com"
    assert request_target_change_delivery(sub, "a@example.com,New@example.com", None) is None  # nobody new
    assert SubscriptionDelivery.objects.filter(subscription=sub).count() == 2
