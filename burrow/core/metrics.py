"""Prometheus metrics, gathered across every Burrow process (gunicorn workers, schedulers, workers) with
prometheus-client's multiprocess mode: each process writes its samples under `$BURROW_DATA_DIR/metrics`
(PROMETHEUS_MULTIPROC_DIR, set in burrow/settings.py before the client is imported), and `/_metrics` adds
them up. Names follow Prometheus's conventions: `burrow_` prefix, base units, `_total` for counters."""

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

# Each process writes its samples into files there from its first metric on (these, below).
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# A delivery is late by seconds (the scheduler's tick) to minutes (retries, slow providers).
LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)

http_requests = Counter(
    "burrow_http_requests_total", "HTTP requests answered, by route template", ["route", "method", "status"]
)
http_duration = Histogram(
    "burrow_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
scheduler_tick = Histogram(
    "burrow_scheduler_tick_duration_seconds", "Time a scheduler tick took", buckets=LATENCY_BUCKETS
)
scheduler_due = Gauge(
    "burrow_scheduler_due", "Subscriptions due at the last tick", multiprocess_mode="mostrecent"
)
scheduler_claimed = Counter("burrow_scheduler_claimed_total", "Scheduled slots claimed by schedulers")
delivery_lag = Histogram(
    "burrow_delivery_lag_seconds",
    "From a delivery's scheduled slot to its last recipient sent",
    ["target_type"],
    buckets=LAG_BUCKETS,
)
deliveries = Counter("burrow_deliveries_total", "Deliveries finished", ["status", "target_type"])
delivery_retries = Counter(
    "burrow_delivery_retries_total", "Deliveries put back for a retry", ["target_type"]
)
auto_disabled = Counter(
    "burrow_subscriptions_auto_disabled_total", "Subscriptions disabled after repeated failures"
)
provider_calls = Counter(
    "burrow_provider_calls_total",
    "Calls to outside services (SMTP, Slack, webhooks, integrations, data sources)",
    ["provider", "outcome"],
)
provider_duration = Histogram(
    "burrow_provider_call_duration_seconds",
    "Time a call to an outside service took",
    ["provider"],
    buckets=LATENCY_BUCKETS,
)
query_duration = Histogram(
    "burrow_query_duration_seconds", "Time a query took on its data source", ["kind"], buckets=LATENCY_BUCKETS
)
query_cache = Counter("burrow_query_cache_total", "Query answers looked up in the cache", ["result"])


@contextmanager
def provider_call(provider: str) -> Iterator[None]:
    """Times a call to an outside service and counts it as `ok` or `error` (it raised)."""
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        provider_calls.labels(provider, "error").inc()
        raise
    else:
        provider_calls.labels(provider, "ok").inc()
    finally:
        provider_duration.labels(provider).observe(time.perf_counter() - started)


def exposition() -> bytes:
    """Every process's samples, added up, in Prometheus's text format."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def route_of(request) -> str:
    """The route template that answered (`api/projects/{project_id}/dashboards/{pk}`), so the label's values
    are as few as the routes; `unmatched` for a request no route took."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return "unmatched"
    return _template(match.route)


@lru_cache(maxsize=1024)  # one entry per route pattern: worked out once, not on every request
def _template(pattern: str) -> str:
    route = _GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern)
    return route.replace("^", "").replace("$", "").replace("/?", "/").replace("\\", "")


_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


class MetricsMiddleware:
    """Counts and times every request by route template, method and status."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        http_requests.labels(route, request.method, str(response.status_code)).inc()
        http_duration.labels(route, request.method).observe(time.perf_counter() - started)
        return response
