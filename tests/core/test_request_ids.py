"""Request ids: every response carries `X-Request-ID` (the client's when it is a sane token, else a new one),
and every log line of that request, and of a delivery it asked for, carries it."""

import io
import json
import logging

import pytest
from django.test import Client
from werkzeug.wrappers import Response

from burrow.analytics.models import Insight
from burrow.core.logs import StructuredFormatter
from burrow.subscriptions.delivery.engine import run_delivery
from burrow.subscriptions.models import SubscriptionDelivery
from tests.factories import make_subscription
from tests.recordings.helpers import gzip_json, rrweb_session, snapshot_event


@pytest.fixture
def json_logs():
    """Log lines as Burrow writes them (StructuredFormatter), parsed, at DEBUG and above."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(StructuredFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


def test_a_sane_request_id_is_kept_and_others_are_replaced(db):
    client = Client()
    assert client.get("/_livez", HTTP_X_REQUEST_ID="lb-7f3a.42")["X-Request-ID"] == "lb-7f3a.42"
    made = client.get("/_livez")["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/_livez")["X-Request-ID"]
    for hostile in ("x" * 129, "two words", 'quote"d', "line\\nbreak", "-starts-with-dash", "é"):
        answered = client.get("/_livez", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"]
        assert answered != hostile and len(answered) == 32


def test_log_lines_of_a_request_carry_its_id(tenant, json_logs):
    body = gzip_json([snapshot_event(tenant.team.api_token, "s1", rrweb_session())])
    response = Client().post("/s/", data=body, content_type="text/plain", HTTP_X_REQUEST_ID="trace-1")
    assert response.status_code == 200
    lines = [line for line in json_logs() if line["event"] == "snapshots"]
    assert lines and all(line["request_id"] == "trace-1" for line in lines)


def test_a_delivery_carries_the_id_of_the_request_that_asked_for_it(tenant, httpserver, settings, json_logs):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    httpserver.expect_request("/hook", method="POST").respond_with_response(Response("", status=204))
    insight = Insight.objects.create(team=tenant.team, name="Revenue", result=[])
    sub = make_subscription(
        tenant, insight=insight, target_type="webhook", target_value=httpserver.url_for("/hook")
    )
    url = tenant.url(f"subscriptions/{sub.id}/test-delivery/")
    assert tenant.client.post(url, HTTP_X_REQUEST_ID="ask-9").status_code == 202
    delivery = SubscriptionDelivery.objects.get(subscription=sub)
    assert delivery.request_id == "ask-9"

    # However the delivery is run (here: directly), its lines carry the id of the request that asked.
    SubscriptionDelivery.objects.filter(id=delivery.id).update(queued_at=None, claimable=True)
    run_delivery(str(delivery.id))
    finished = [line for line in json_logs() if line["event"] == "delivery finished"]
    assert [line["request_id"] for line in finished] == ["ask-9"]
