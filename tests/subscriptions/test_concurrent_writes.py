"""Every acknowledged change is kept when writes race, against a real `burrow serve` (several workers and
threads) on the test database: parallel PATCHes of different fields, an unsubscribe racing a PATCH, and a
webhook secret rotation racing a PATCH."""

import os
import subprocess
import sys
import threading

import httpx
import pytest

from burrow.subscriptions.delivery.channels.webhook import stored_secret
from burrow.subscriptions.models import Subscription
from burrow.subscriptions.unsubscribe import make_unsubscribe_token
from tests.factories import make_subscription
from tests.fakes.smtp import free_port
from tests.helpers import wait_for
from tests.subscriptions.processes import database_url

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 4


@pytest.fixture(scope="module")
def server(django_db_setup):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url(), BURROW_LOG_LEVEL="WARNING")
    env.pop("BURROW_BROKER_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "burrow.cli", "serve", "--port", str(port), "--no-scheduler"]
        + ["--workers", "2", "--threads", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, "burrow serve exited"
        try:
            return httpx.get(f"{base}/_health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy)
    yield base
    process.terminate()
    process.wait(timeout=30)


def race(*calls) -> list:
    """Runs the calls at once (released together by a barrier); every thread must finish."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def test_parallel_patches_of_different_fields_all_stick(tenant, server):
    headers = {"Authorization": f"Bearer {tenant.key}"}
    subscription = make_subscription(tenant, title="Start", frequency="weekly", interval=1)
    url = f"{server}/api/projects/{tenant.project.id}/subscriptions/{subscription.id}/"
    with httpx.Client(headers=headers, timeout=30) as client:
        for trial in range(TRIALS):
            changes = [
                {"title": f"Title {trial}"},
                {"interval": trial + 2},
                {
                    "frequency": "monthly" if trial % 2 else "daily",
                    "byweekday": ["friday"] if trial % 2 else None,
                },
            ]
            responses = race(*(lambda body=body: client.patch(url, json=body) for body in changes))
            assert [r.status_code for r in responses] == [200, 200, 200], [r.text for r in responses]
            current = client.get(url).json()
            for body in changes:
                for name, value in body.items():
                    assert current[name] == value, (trial, name, current[name], value)


def test_an_unsubscribe_racing_a_patch_keeps_both(tenant, server):
    headers = {"Authorization": f"Bearer {tenant.key}"}
    for trial in range(TRIALS):
        subscription = make_subscription(tenant, target_value="a@example.com,b@example.com")
        url = f"{server}/api/projects/{tenant.project.id}/subscriptions/{subscription.id}/"
        token = make_unsubscribe_token(subscription.id, "a@example.com")
        with httpx.Client(timeout=30) as client:
            patched, unsubscribed = race(
                lambda url=url, trial=trial: client.patch(
                    url, json={"title": f"Renamed {trial}"}, headers=headers
                ),
                lambda token=token: client.get(
                    f"{server}/unsubscribe", params={"token": token}, headers={"Accept": "application/json"}
                ),
            )
        assert patched.status_code == 200 and unsubscribed.json() == {"success": True}
        current = Subscription.objects.get(id=subscription.id)
        assert (current.title, current.target_value) == (f"Renamed {trial}", "b@example.com")


def test_a_rotated_webhook_secret_racing_a_patch_is_the_one_stored(tenant, server, settings):
    headers = {"Authorization": f"Bearer {tenant.key}"}
    for trial in range(TRIALS):
        subscription = make_subscription(
            tenant, target_type="webhook", target_value="https://93.184.216.34/hook"
        )
        url = f"{server}/api/projects/{tenant.project.id}/subscriptions/{subscription.id}/"
        with httpx.Client(headers=headers, timeout=30) as client:
            patched, rotated = race(
                lambda url=url, trial=trial: client.patch(url, json={"title": f"Hook {trial}"}),
                lambda url=url: client.post(f"{url}rotate-webhook-secret/"),
            )
        assert patched.status_code == 200 and rotated.status_code == 200, (patched.text, rotated.text)
        current = Subscription.objects.get(id=subscription.id)
        assert current.title == f"Hook {trial}"
        assert stored_secret(current) == rotated.json()["webhook_secret"]


def test_parallel_patches_of_an_insight_keep_both_changes(tenant, server):
    """The same rule in the analytics app: a write saves only what it changes."""
    from tests.factories import make_insight

    headers = {"Authorization": f"Bearer {tenant.key}"}
    insight = make_insight(tenant, name="Start")
    url = f"{server}/api/projects/{tenant.project.id}/insights/{insight.id}/"
    with httpx.Client(headers=headers, timeout=30) as client:
        for trial in range(TRIALS):
            changes = [{"name": f"Name {trial}"}, {"description": f"Description {trial}"}]
            responses = race(*(lambda body=body: client.patch(url, json=body) for body in changes))
            assert [r.status_code for r in responses] == [200, 200]
            current = client.get(url).json()
            assert (current["name"], current["description"]) == (f"Name {trial}", f"Description {trial}")
