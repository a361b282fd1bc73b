"""Two machines, as the README's "Running on several machines" sets them up: two `burrow serve` processes,
each with its own data directory and scheduler, sharing the secret key, one PostgreSQL database and a Redis
broker, with one `burrow worker`. A key made through one works on the other, a share link opens on either,
and each subscription due is delivered exactly once."""

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.devtools import port_open
from tests.fakes.smtp import start_sink
from tests.helpers import new_project, wait_for
from tests.workers import BROKER

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres") or not port_open("127.0.0.1", 6379),
    reason="needs the PostgreSQL run of the suite and Redis on 127.0.0.1:6379",
)


def test_two_servers_share_keys_links_and_deliver_each_subscription_once(serve_burrow, tmp_path):
    sink, controller = start_sink()
    shared = {
        "BURROW_SECRET_KEY": f"shared-{uuid.uuid4().hex}",
        "BURROW_BROKER_URL": BROKER,
        "BURROW_BROKER_QUEUE": f"burrow-machines-{uuid.uuid4().hex}",
        "BURROW_EMAIL_URL": sink.url,
        "BURROW_SCHEDULER_INTERVAL": "0.5",
    }
    worker = None
    try:
        first = serve_burrow(scheduler=True, **shared)
        second = serve_burrow(scheduler=True, DATABASE_URL=first.env["DATABASE_URL"], **shared)
        assert first.env["BURROW_DATA_DIR"] != second.env["BURROW_DATA_DIR"]
        worker = subprocess.Popen(
            [sys.executable, "-m", "burrow.cli", "worker", "--concurrency", "2"],
            env=first.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        on_first, info = new_project(first, "ops@example.com", "O", "P")
        # The same key, sent to the other machine.
        on_second = httpx.Client(
            base_url=f"{second.url}/api/projects/{info['project_id']}/", headers=on_first.headers, timeout=30
        )

        insight = on_second.post(
            "insights/", json={"name": "Signups", "result": [{"label": "a", "labels": ["x"], "data": [1]}]}
        )
        assert insight.status_code == 201, insight.text  # the key made through the first machine
        sharing = on_first.patch(f"insights/{insight.json()['id']}/sharing/", json={"enabled": True})
        token = sharing.json()["access_token"]
        for machine in (first, second):
            assert httpx.get(f"{machine.url}/shared/{token}.json").json()["insight"]["name"] == "Signups"

        due = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0).isoformat()
        readers = [f"reader{n}@example.com" for n in range(6)]
        subscriptions = []
        for n, reader in enumerate(readers):
            api = (on_first, on_second)[n % 2]
            created = api.post(
                "subscriptions/",
                json={
                    "insight": insight.json()["id"],
                    "target_type": "email",
                    "target_value": reader,
                    "frequency": "daily",
                    "start_date": due,
                },
            )
            assert created.status_code == 201, created.text
            subscriptions.append(created.json()["id"])

        def reports(reader: str) -> list:
            return [m for m in sink.to(reader) if m["Subject"].startswith("Burrow Insight report")]

        wait_for(lambda: all(reports(reader) for reader in readers), what="one report per subscription")
        for subscription in subscriptions:
            # Claimed (the next slot is tomorrow's) with one scheduled delivery: no other can come today.
            assert on_first.get(f"subscriptions/{subscription}/").json()["next_delivery_date"] > due
            log = on_second.get(f"subscriptions/{subscription}/deliveries/").json()["results"]
            scheduled = [d for d in log if d["trigger_type"] == "scheduled"]
            assert len(scheduled) == 1, log
        assert all(len(reports(reader)) == 1 for reader in readers)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        controller.stop()
