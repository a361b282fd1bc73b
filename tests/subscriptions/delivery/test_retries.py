"""Retries are rescheduled, never slept in a delivery thread: one tenant's unreachable recipients do not hold
up another tenant's reports, a re-run never mails a recipient it already served, errors no retry can fix
are final at once, and the auto-disable notice is never silently dropped."""

import asyncio
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from werkzeug.wrappers import Response

from burrow.subscriptions.delivery import notices
from burrow.subscriptions.delivery.dispatch import local_pool
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.scheduler import tick
from burrow.subscriptions.wakeup import wake_scheduler
from tests.factories import make_subscription
from tests.fakes.smtp import SmtpSink, free_port
from tests.helpers import wait_for
from tests.subscriptions.delivery.test_slack import slack_dashboard_subscription
from tests.subscriptions.processes import burrow_process
from tests.subscriptions.test_scheduler import make_due

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Mailboxes(SmtpSink):
    """The fake SMTP server with trouble per mailbox: a `busy` mailbox answers 451 ("try again later") at RCPT
    as many times as its count says; while `hold` is set, a message to a `held` mailbox hangs in DATA."""

    busy: dict[str, int] = field(default_factory=dict)
    refusals: list[tuple[str, float]] = field(default_factory=list)  # (address, time.monotonic())
    refused: threading.Event = field(default_factory=threading.Event)
    held: set[str] = field(default_factory=set)
    hold: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            left = self.busy.get(address, 0)
            if left:
                self.busy[address] = left - 1
                self.refusals.append((address, time.monotonic()))
        if left:
            self.refused.set()
            return "451 4.2.1 Mailbox busy, try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        if self.hold.is_set() and self.held.intersection(envelope.rcpt_tos):
            self.holding.set()
            while self.hold.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Timed out"  # its client is long gone
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def mailboxes(settings):
    sink = Mailboxes(port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    settings.EMAIL_URL = sink.url
    yield sink
    controller.stop()


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, and SIGKILL for a process that does not stop (a delivery thread stuck in a retry)."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def run_tick() -> None:
    tick()
    local_pool().drain(timeout=30)


def delivery_of(subscription: Subscription) -> SubscriptionDelivery:
    return SubscriptionDelivery.objects.get(subscription=subscription)


def outcomes(delivery: SubscriptionDelivery) -> dict[str, tuple[str, int]]:
    return {r["recipient"]: (r["status"], r["attempts"]) for r in delivery.recipient_results}


def test_unreachable_recipients_of_one_tenant_do_not_hold_up_another_tenants_test_delivery(
    tenant, other_tenant, mailboxes, settings
):
    """One delivery thread, an hour of back-off and a 10-minute interval: a retry slept in the thread would
    hold the other tenant's test delivery for hours, and one left to the interval for minutes."""
    busy = [f"busy{n}@example.com" for n in range(10)]
    mailboxes.busy = dict.fromkeys(busy, 1_000)
    [stuck] = make_due(tenant, 1, target_value=",".join(busy))
    healthy = make_subscription(other_tenant, target_value="ok@example.com")
    scheduler = burrow_process(
        ["scheduler", "--interval", "600"],
        settings,
        mailboxes,
        BURROW_DELIVERY_THREADS="1",
        BURROW_DELIVERY_RETRY_DELAY="3600",
    )
    try:
        wait_for(mailboxes.refused.is_set)  # the stuck delivery has the only delivery thread
        wait_for(wake_scheduler)
        url = other_tenant.url(f"subscriptions/{healthy.id}/test-delivery/")
        assert other_tenant.client.post(url).status_code == 202
        wait_for(lambda: delivery_of(healthy).status == "completed")
        waiting = delivery_of(stuck)
    finally:
        stop(scheduler)
    assert [m["To"] for m in mailboxes.messages] == ["ok@example.com"]
    # Served while every busy mailbox had had its first attempt only, and waits for its second.
    assert outcomes(waiting) == {address: ("failed", 1) for address in busy}
    assert waiting.retry_at > timezone.now() and not any(r["permanent"] for r in waiting.recipient_results)
    shown = tenant.client.get(tenant.url(f"subscriptions/{stuck.id}/deliveries/{waiting.id}/")).json()
    assert (
        shown["status"] == "starting"
        and "retry_at" not in shown
        and "451" in shown["recipient_results"][0]["error"]
    )


def test_transient_failures_are_retried_later_with_back_off_and_nobody_gets_a_second_mail(
    tenant, mailboxes, settings
):
    settings.DELIVERY_RETRY_DELAY = 0.05
    mailboxes.busy = {"later@example.com": 2, "never@example.com": 1_000}
    [sub] = make_due(tenant, 1, target_value="now@example.com,later@example.com,never@example.com")
    run_tick()
    delivery = delivery_of(sub)
    assert outcomes(delivery) == {
        "now@example.com": ("success", 1),
        "later@example.com": ("success", 3),
        "never@example.com": ("failed", 3),
    }
    assert delivery.status == "completed" and delivery.retry_at is None and delivery.attempts == 3
    assert delivery.error["message"].startswith("1 of 3 recipients failed: ")
    assert sorted(m["To"] for m in mailboxes.messages) == ["later@example.com", "now@example.com"]
    refused = [at for address, at in mailboxes.refusals if address == "never@example.com"]
    assert refused[1] - refused[0] >= 0.05 and refused[2] - refused[1] >= 0.1  # the back-off doubles


def test_errors_no_retry_can_fix_are_final_at_once(tenant, mailboxes, settings):
    settings.DELIVERY_RETRY_DELAY = 3600  # a retry would leave the deliveries waiting
    settings.WEBHOOK_ALLOW_PRIVATE = True
    mailboxes.rejected.add("gone@example.com")  # 550
    [mail] = make_due(tenant, 1, target_value="josé@example.com,gone@example.com,ok@example.com")
    [hook] = make_due(tenant, 1, target_type="webhook", target_value="http://127.0.0.1:99999/hook")
    run_tick()
    mailed, hooked = delivery_of(mail), delivery_of(hook)
    assert mailed.status == "completed" and hooked.status == "failed"
    for delivery in (mailed, hooked):
        failed = [r for r in delivery.recipient_results if r["status"] == "failed"]
        assert failed and all(r["permanent"] and r["attempts"] == 1 for r in failed)
        assert delivery.retry_at is None
    assert [m["To"] for m in mailboxes.messages] == ["ok@example.com"]


def _scheduler(sink, settings, lease: int) -> subprocess.Popen:
    return burrow_process(
        ["scheduler", "--interval", "0.2"], settings, sink, BURROW_DELIVERY_LEASE_SECONDS=str(lease)
    )


def test_a_killed_delivery_re_run_mails_only_the_recipient_it_had_not_served(tenant, mailboxes, settings):
    mailboxes.held = {"second@example.com"}
    mailboxes.hold.set()
    [sub] = make_due(tenant, 1, target_value="first@example.com,second@example.com")
    first = _scheduler(mailboxes, settings, lease=3)  # soon taken over once it is dead
    try:
        wait_for(mailboxes.holding.is_set)  # the second mail is being sent when the process dies
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed = delivery_of(sub)
        assert killed.status == "starting" and outcomes(killed) == {"first@example.com": ("success", 1)}
        mailboxes.hold.clear()
        second = _scheduler(mailboxes, settings, lease=60)  # its run is not taken over while alive
        try:
            wait_for(lambda: delivery_of(sub).status != "starting")
        finally:
            stop(second)
    finally:
        if first.poll() is None:
            first.kill()
    delivery = delivery_of(sub)
    # At least two runs: a run whose slow start outlives its short lease is taken over by its own process.
    assert delivery.status == "completed" and delivery.attempts >= 2
    assert sorted(m["To"] for m in mailboxes.messages) == ["first@example.com", "second@example.com"]


def left_by_a_dead_worker(progress: dict[Subscription, dict]) -> None:
    """Deliveries of these subscriptions as a worker killed mid-run leaves them: `starting` with the
    progress it had saved, their lease run out."""
    Subscription.objects.filter(id__in=[s.id for s in progress]).update(next_delivery_date=timezone.now())
    tick(dispatcher=lambda ids: len(ids))  # handed to a worker that dies
    expired = timezone.now() - timedelta(seconds=1)
    for subscription, fields in progress.items():
        SubscriptionDelivery.objects.filter(subscription=subscription).update(
            attempts=1, claimable=False, lease_expires_at=expired, **fields
        )


def make_due_now(subscription: Subscription) -> None:
    Subscription.objects.filter(id=subscription.id).update(next_delivery_date=timezone.now())


def test_a_re_run_continues_the_slack_thread_it_had_started(tenant, fake_slack):
    sub = slack_dashboard_subscription(tenant, tiles=3)
    failed = {
        "recipient": "C123",
        "status": "failed",
        "attempts": 1,
        "error": "ratelimited",
        "permanent": False,
    }
    thread = {"C123": {"ts": "1700000000.000042", "posted": 1}}  # the main message is in the channel
    left_by_a_dead_worker({sub: {"recipient_results": [failed], "channel_state": thread}})
    run_tick()
    delivery = delivery_of(sub)
    assert delivery.status == "completed" and outcomes(delivery) == {"C123": ("success", 2)}
    assert [(c["text"], c.get("thread_ts")) for c in fake_slack.calls] == [
        ("KPI 1", "1700000000.000042"),
        ("KPI 2", "1700000000.000042"),
    ]


def test_a_re_run_posts_nothing_to_a_slack_channel_or_webhook_already_served(
    tenant, fake_slack, httpserver, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    httpserver.expect_request("/hook", method="POST").respond_with_handler(lambda r: Response("", status=204))
    url = httpserver.url_for("/hook")
    slack = slack_dashboard_subscription(tenant, tiles=2)
    hook = make_subscription(tenant, target_type="webhook", target_value=url)
    served = {
        sub: {"recipient_results": [{"recipient": recipient, "status": "success", "attempts": 1}]}
        for sub, recipient in ((slack, "C123"), (hook, url))
    }
    left_by_a_dead_worker(served)
    run_tick()
    for sub, recipient in ((slack, "C123"), (hook, url)):
        delivery = delivery_of(sub)
        assert delivery.status == "completed" and outcomes(delivery) == {recipient: ("success", 1)}
    assert fake_slack.calls == [] and [r for r, _ in httpserver.log if r.path == "/hook"] == []


def test_a_title_with_a_line_break_does_not_lose_the_auto_disable_notice(tenant, smtp_server, settings):
    smtp_server.rejected.add("gone@example.com")
    sub = make_subscription(tenant, target_value="gone@example.com", title="Daily\r\nBcc: spy@example.com")
    for _ in range(settings.DELIVERY_AUTO_DISABLE_AFTER):
        make_due_now(sub)
        run_tick()
    sub.refresh_from_db()
    assert not sub.enabled
    notices = [m for m in smtp_server.messages if m["To"] == tenant.user.email]
    # Sent (its headers cannot be injected) or, if it could not be built, still due: never dropped.
    assert len(notices) == 1 or (notices == [] and sub.disabled_notice_due)
    assert all(m["Bcc"] is None and "spy@" not in m["To"] for m in smtp_server.messages)


def test_a_notice_that_cannot_be_built_stays_due_and_does_not_hold_up_the_others(
    tenant, smtp_server, monkeypatch
):
    broken, fine = (make_subscription(tenant, title=title) for title in ("Broken", "Fine"))
    Subscription.objects.filter(id__in=[broken.id, fine.id]).update(enabled=False, disabled_notice_due=True)
    build = notices.send_disabled_notice

    def fails_for_broken(subscription, failures):
        if subscription.id == broken.id:
            raise ValueError("cannot build this notice")
        build(subscription, failures)

    monkeypatch.setattr(notices, "send_disabled_notice", fails_for_broken)
    assert tick().notices == 1
    assert Subscription.objects.get(id=broken.id).disabled_notice_due
    assert not Subscription.objects.get(id=fine.id).disabled_notice_due
    assert [m["Subject"] for m in smtp_server.messages] == [
        'Burrow subscription "Fine" has been automatically disabled'
    ]
