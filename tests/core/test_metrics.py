"""`/_metrics` as Prometheus scrapes it: the exposition parses, requests are counted by route template, a
scheduled delivery moves the delivery counters and is observed in the lag histogram, provider calls are
counted by outcome; and only the metrics token or this machine may read it."""

import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from burrow.analytics.models import Insight
from burrow.commands.processes import _fresh_metrics
from tests.factories import make_subscription
from tests.helpers import deliver_due
from tests.subscriptions.delivery.conftest import SERIES


def scrape(client: Client | None = None, **headers) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/_metrics", **headers)
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_template(tenant):
    before = scrape()
    tenant.client.get(tenant.url("dashboards/"))
    tenant.client.get(tenant.url("dashboards/"))
    after = scrape()
    route = "api/projects/{project_id}/dashboards/"
    labels = {"route": route, "method": "GET", "status": "200"}
    assert (
        value(after, "burrow_http_requests_total", **labels)
        - value(before, "burrow_http_requests_total", **labels)
        == 2
    )
    count = value(after, "burrow_http_request_duration_seconds_count", route=route, method="GET")
    assert count >= 2
    routes = {dict(labels).get("route", "") for _, labels in after}
    assert not [route for route in routes if re.search(r"/\d+(/|$)", route)]  # ids never become labels


@pytest.mark.django_db(transaction=True)  # the delivery runs in a thread of its own
def test_a_scheduled_delivery_moves_the_delivery_metrics(tenant, smtp_server):
    before = scrape()
    insight = Insight.objects.create(team=tenant.team, name="Revenue", result=SERIES)
    subscription = make_subscription(tenant, insight=insight, target_value="cfo@example.com")

    delivery = deliver_due(subscription)  # its slot a second ago
    assert delivery.status == "completed", delivery.error
    after = scrape()

    sent = {"status": "completed", "target_type": "email"}
    assert (
        value(after, "burrow_deliveries_total", **sent) - value(before, "burrow_deliveries_total", **sent)
        == 1
    )
    lags = value(after, "burrow_delivery_lag_seconds_count", target_type="email")
    assert lags - value(before, "burrow_delivery_lag_seconds_count", target_type="email") == 1
    lag_sum = value(after, "burrow_delivery_lag_seconds_sum", target_type="email")
    assert lag_sum - value(before, "burrow_delivery_lag_seconds_sum", target_type="email") >= 1
    smtp_ok = value(after, "burrow_provider_calls_total", provider="smtp", outcome="ok")
    assert smtp_ok - value(before, "burrow_provider_calls_total", provider="smtp", outcome="ok") >= 1


def test_metrics_need_the_token_or_this_machine(db, settings):
    assert Client().get("/_metrics").status_code == 200  # the test client comes from 127.0.0.1
    outsider = Client(REMOTE_ADDR="203.0.113.9")
    refused = outsider.get("/_metrics")
    assert refused.status_code == 403
    assert refused.json()["type"] == "authentication_error"
    assert "burrow_" not in refused.content.decode()

    settings.METRICS_TOKEN = "scrape-me"
    assert outsider.get("/_metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert outsider.get("/_metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200
    settings.METRICS_TOKEN = ""
    assert outsider.get("/_metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403  # no token: none works


@pytest.mark.parametrize("kind", ["duckdb"])
def test_queries_are_timed_and_cache_lookups_counted(tenant, kind):
    before = scrape()
    body = {"query": {"kind": "HogQLQuery", "query": "SELECT 1 AS one"}}
    assert tenant.client.post(tenant.url("query/"), body, format="json").status_code == 200
    assert tenant.client.post(tenant.url("query/"), body, format="json").status_code == 200
    after = scrape()
    runs = value(after, "burrow_query_duration_seconds_count", kind=kind)
    assert runs - value(before, "burrow_query_duration_seconds_count", kind=kind) == 1
    hits = value(after, "burrow_query_cache_total", result="hit")
    assert hits - value(before, "burrow_query_cache_total", result="hit") == 1


def test_a_server_starting_keeps_the_samples_of_processes_still_running(settings):
    """`burrow serve` clears the samples an earlier run left, not those of a `burrow worker` still running."""
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    ended = settings.METRICS_DIR / f"counter_{int(finished.stdout)}.db"
    running = settings.METRICS_DIR / f"counter_{os.getppid()}.db"  # the process that started these tests
    settings.METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for sample in (ended, running):
        sample.write_bytes(b"")
    try:
        _fresh_metrics()
        assert not ended.exists() and running.exists()
    finally:
        running.unlink(missing_ok=True)
