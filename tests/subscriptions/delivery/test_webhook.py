"""Webhook deliveries against a local HTTP server: signed per Standard Webhooks, which answers are final and
which are retried, and private addresses blocked when the report is sent."""

import pytest
from standardwebhooks.webhooks import Webhook
from werkzeug.wrappers import Response

from burrow.analytics.models import Insight
from burrow.subscriptions.services import rotate_secret
from tests.factories import make_subscription
from tests.helpers import deliver_due
from tests.subscriptions.delivery.conftest import SERIES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_retries")]


def test_webhook_delivery_is_signed_per_standard_webhooks(tenant, httpserver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    received = []

    def handler(request):
        received.append((dict(request.headers), request.get_data(as_text=True)))
        return Response("", status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    insight = Insight.objects.create(team=tenant.team, name="Revenue", result=SERIES)
    sub = make_subscription(
        tenant, insight=insight, target_type="webhook", target_value=httpserver.url_for("/hook")
    )
    secret = rotate_secret(sub)

    delivery = deliver_due(sub)

    assert delivery.status == "completed", delivery.error
    headers, body = received[0]
    document = Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})
    assert document["delivery_id"] == str(delivery.id) and document["subscription"]["id"] == sub.id
    assert document["resource"] == {
        "kind": "insight",
        "name": "Revenue",
        "id": insight.id,
        "url": f"{settings.SITE_URL}/project/{tenant.team.id}/insights/{insight.short_id}",
    }
    assert document["insights"][0]["result"] == SERIES and document["insights"][0]["image_url"].endswith(
        ".png"
    )
    assert document["scheduled_at"] == delivery.scheduled_at.isoformat()


def test_webhook_4xx_and_redirects_are_permanent_5xx_is_retried(tenant, httpserver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    httpserver.expect_request("/gone").respond_with_data("no", status=410)
    httpserver.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": "http://10.0.0.1/"}
    )
    httpserver.expect_request("/down").respond_with_data("oops", status=503)
    outcomes = {}
    for path in ("/gone", "/moved", "/down"):
        sub = make_subscription(tenant, target_type="webhook", target_value=httpserver.url_for(path))
        outcomes[path] = deliver_due(sub).recipient_results[0]
    assert outcomes["/gone"]["permanent"] and outcomes["/gone"]["attempts"] == 1
    assert "redirects are not followed" in outcomes["/moved"]["error"]
    assert not outcomes["/down"]["permanent"] and outcomes["/down"]["attempts"] == 3
    assert len([r for r, _ in httpserver.log if r.path == "/moved"]) == 1


def test_webhook_to_a_private_address_is_blocked_at_send_time(tenant, httpserver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    httpserver.expect_request("/hook").respond_with_data("", status=204)
    sub = make_subscription(tenant, target_type="webhook", target_value=httpserver.url_for("/hook"))
    delivery = deliver_due(sub)
    assert delivery.status == "failed" and "not allowed" in delivery.error["message"]
    assert httpserver.log == []
