"""Security paths exercised for real: a revoked key over HTTP, signed picture links that expire, a webhook
sent to the address that passed the SSRF check (not to a fresh DNS answer), and the one summary rule a
planted bug once slipped past."""

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from burrow.analytics.assets import asset_url
from burrow.analytics.models import ExportedAsset, Insight
from burrow.core import urlsafety
from burrow.core.keys import create_personal_api_key
from burrow.subscriptions.models import SubscriptionDelivery
from burrow.subscriptions.schedule import summary
from tests.conftest import client_for
from tests.factories import make_subscription
from tests.fakes.smtp import free_port
from tests.helpers import deliver_due

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.django_db
def test_a_revoked_key_is_refused_over_http(tenant):
    from burrow.cli import main

    key, value = create_personal_api_key(tenant.user, "to revoke", ["*"])
    client = client_for(value)
    assert client.get(tenant.url("dashboards/")).status_code == 200
    assert main(["keys", "revoke", str(key.id)]) == 0
    response = client.get(tenant.url("dashboards/"))
    assert response.status_code == 401
    assert response.json()["detail"] == "Personal API key found in request Authorization header is invalid."


@pytest.mark.django_db
def test_signed_picture_links_expire(tenant, settings, monkeypatch):
    insight = Insight.objects.create(team=tenant.team, name="Revenue")
    asset = ExportedAsset.objects.create(team=tenant.team, insight=insight, content_hash="x", content=PNG)
    path = asset_url(asset.id).removeprefix(settings.SITE_URL)
    anonymous = client_for(None)
    fresh = anonymous.get(path)
    assert fresh.status_code == 200 and fresh.content == PNG
    later = time.time() + settings.ASSET_URL_MAX_AGE + 5
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert anonymous.get(path).status_code == 404
    tampered = path.replace(".png", "x.png")
    assert anonymous.get(tampered).status_code == 404


def test_five_days_that_are_not_the_working_week_are_not_called_weekday():
    days = ["monday", "tuesday", "wednesday", "thursday", "saturday"]
    assert summary("monthly", 1, days, 1) == "sent every month on the first day"
    week = ["friday", "thursday", "wednesday", "tuesday", "monday"]
    assert summary("monthly", 1, week, 1) == "sent every month on the first weekday"


class _Recorder(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        _Recorder.received.append((self.server.server_address[0], self.headers.get("Host"), self.path))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.mark.django_db(transaction=True)
def test_webhooks_go_to_the_checked_address_with_the_original_host_header(
    tenant, fake_dns, settings, monkeypatch
):
    """Private targets stay disallowed; only the loopback alias this test serves on is accepted as "public".
    The name resolves to it through the fake DNS; a send that looked the name up again (or used the raw
    URL) would not reach it: the name exists nowhere else."""
    alias = "127.0.0.2"
    settings.WEBHOOK_ALLOW_PRIVATE = False
    checked = urlsafety.is_public_address
    monkeypatch.setattr(urlsafety, "is_public_address", lambda ip: str(ip) == alias or checked(ip))
    port = free_port()
    server = HTTPServer((alias, port), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.received.clear()
    try:
        fake_dns.add("hooks.burrow-test.example", "A", alias)
        url = f"http://hooks.burrow-test.example:{port}/hook?x=1"
        subscription = make_subscription(tenant, target_type="webhook", target_value=url)
        deliver_due(subscription)
        delivery = SubscriptionDelivery.objects.get(subscription=subscription)
        assert delivery.status == "completed", delivery.error
        assert _Recorder.received == [(alias, f"hooks.burrow-test.example:{port}", "/hook?x=1")]
        # A private address for the same kind of name is still refused at send time.
        fake_dns.add("inside.burrow-test.example", "A", "10.0.0.7")
        other = make_subscription(
            tenant, target_type="webhook", target_value=f"http://inside.burrow-test.example:{port}/hook"
        )
        deliver_due(other)
        refused = SubscriptionDelivery.objects.get(subscription=other)
        assert refused.status == "failed" and "10.0.0.7" in refused.error["message"]
        assert len(_Recorder.received) == 1
    finally:
        server.shutdown()
        server.server_close()
