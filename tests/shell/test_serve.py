"""`burrow serve` end to end, as an installation runs it: gunicorn answers the API while the scheduler it
supervises delivers a report that fell due, by SMTP, with nothing in the test reaching into the process."""

import json
from datetime import UTC, datetime, timedelta

import httpx

from tests.fakes.smtp import start_sink
from tests.helpers import wait_for


def test_serve_runs_the_scheduler_that_delivers_a_due_report_by_email(serve_burrow):
    sink, controller = start_sink()
    try:
        served = serve_burrow(scheduler=True, BURROW_EMAIL_URL=sink.url, BURROW_SCHEDULER_INTERVAL="0.5")
        boot = served.burrow(
            "bootstrap",
            "--email",
            "owner@example.com",
            "--organization",
            "Acme",
            "--project",
            "Web",
            "--json",
        )
        assert boot.returncode == 0, boot.stderr
        tenant = json.loads(boot.stdout.strip().splitlines()[-1])
        api = httpx.Client(
            base_url=f"{served.url}/api/projects/{tenant['project_id']}",
            headers={"Authorization": f"Bearer {tenant['personal_api_key']}"},
            timeout=20,
        )
        insight = api.post(
            "/insights/",
            json={
                "name": "Signups",
                "query": {"kind": "TrendsQuery", "display": "ActionsLineGraph"},
                "result": [{"label": "Signups", "labels": ["Mon", "Tue", "Wed"], "data": [3, 5, 8]}],
            },
        )
        assert insight.status_code == 201, insight.text
        # Daily from two seconds from now: the first slot falls due while the test waits.
        due = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
        subscription = api.post(
            "/subscriptions/",
            json={
                "insight": insight.json()["id"],
                "target_type": "email",
                "target_value": "reader@example.com",
                "frequency": "daily",
                "interval": 1,
                "start_date": due.isoformat(),
                "title": "Daily signups",
            },
        )
        assert subscription.status_code == 201, subscription.text
        assert subscription.json()["next_delivery_date"].startswith(due.strftime("%Y-%m-%dT%H:%M:%S"))

        report = wait_for(
            lambda: [
                m for m in sink.to("reader@example.com") if m["Subject"] == "Burrow Insight report - Signups"
            ],
            what="the scheduled report in the SMTP sink",
        )[0]
        assert "Signups" in report.get_body(("html",)).get_content()

        deliveries = f"/subscriptions/{subscription.json()['id']}/deliveries/"
        scheduled = wait_for(
            lambda: [
                d
                for d in api.get(deliveries).json()["results"]
                if d["trigger_type"] == "scheduled" and d["status"] == "completed"
            ],
            what="the scheduled delivery to be recorded as completed",
        )
        assert scheduled[0]["scheduled_at"].startswith(due.strftime("%Y-%m-%dT%H:%M:%S"))
        after = api.get(f"/subscriptions/{subscription.json()['id']}/").json()["next_delivery_date"]
        assert datetime.fromisoformat(after) == due + timedelta(days=1)
    finally:
        controller.stop()
