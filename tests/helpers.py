"""Shared by test modules: PostHog's error envelope, waiting for something a process does, a request on a
thread of its own that another transaction holds up, and a new project on a running `burrow serve`."""

import json
import time

ERROR_KEYS = {"type", "code", "detail", "attr"}


def error_envelope(response) -> dict:
    """The body of an error response, after checking it has exactly PostHog's four keys."""
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    return body


def error(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    return error_envelope(response)


def wait_for(condition, timeout: float = 60.0, what: str = "condition"):
    """Polls `condition` until it gives something true (returned), failing after `timeout` seconds: for what
    another process or thread does, which no event in the test can await."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def in_thread(call):
    """Starts `call` on a thread of its own (and so a database connection of its own); returns a function that
    waits for it and gives its result, or raises what it raised (the test client raises a server error)."""
    import threading

    from django.db import connections

    result = []

    def run() -> None:
        try:
            result.append(call())
        except Exception as exc:
            result.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()

    def finish():
        thread.join(timeout=60)
        assert not thread.is_alive(), "the call never finished"
        if isinstance(result[0], Exception):
            raise result[0]
        return result[0]

    return finish


def another_session_waits_for_a_lock() -> bool:
    """Whether some other PostgreSQL session is waiting for a lock (a row, a unique index entry)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0] > 0


def new_project(served, email: str, organization: str, project: str):
    """A new project on a running server: (its API as its owner, an httpx client; what `burrow bootstrap
    --json` printed)."""
    import httpx

    boot = served.burrow(
        "bootstrap", "--email", email, "--organization", organization, "--project", project, "--json"
    )
    assert boot.returncode == 0, boot.stderr
    info = json.loads(boot.stdout.strip().splitlines()[-1])
    client = httpx.Client(
        base_url=f"{served.url}/api/projects/{info['project_id']}/",
        headers={"Authorization": f"Bearer {info['personal_api_key']}"},
        timeout=60,
    )
    return client, info


def deliver_due(subscription):
    """Makes `subscription` due, runs one scheduler tick and waits for its deliveries; returns the scheduled
    delivery."""
    from datetime import timedelta

    from django.utils import timezone

    from burrow.subscriptions.delivery.dispatch import local_pool
    from burrow.subscriptions.models import Subscription, SubscriptionDelivery
    from burrow.subscriptions.scheduler import tick

    Subscription.objects.filter(id=subscription.id).update(
        next_delivery_date=timezone.now() - timedelta(seconds=1)
    )
    tick()
    local_pool().drain(timeout=30)
    return SubscriptionDelivery.objects.get(subscription=subscription, trigger_type="scheduled")
