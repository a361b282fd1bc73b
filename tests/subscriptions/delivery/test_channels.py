"""A delivery channel is one module in burrow/subscriptions/delivery/channels/: a module dropped there is
delivered through, shown on the pages and stored, however long its target type, with no change elsewhere; and
which of a channel's failures are final (no retry can fix them) and which are retried."""

import smtplib
import sys
from types import SimpleNamespace

import httpx
import pytest
from django.test import Client

from burrow.subscriptions.delivery import channels as channel_modules
from burrow.subscriptions.delivery.base import PermanentError, TransientError
from burrow.subscriptions.delivery.engine import _send, run_delivery
from burrow.subscriptions.delivery.registry import all_channels, channel_for
from burrow.subscriptions.models import SubscriptionDelivery
from tests.factories import make_delivery, make_subscription
from tests.helpers import deliver_due

pytestmark = pytest.mark.django_db(transaction=True)

PIGEON_MODULE = """
from burrow.subscriptions.delivery.base import Channel

SENT = []


class PigeonChannel(Channel):
    target_type = "carrier_pigeon"
    label = "Carrier pigeon"

    def recipients(self, delivery):
        return [delivery.target_value]

    def send(self, recipient, report):
        SENT.append((recipient, report.name))


CHANNEL = PigeonChannel()
"""


@pytest.fixture
def pigeon_post(tmp_path):
    """A channel module of its own, found beside the real ones (and forgotten again afterwards)."""
    (tmp_path / "pigeon_post.py").write_text(PIGEON_MODULE)
    real = list(channel_modules.__path__)
    channel_modules.__path__.append(str(tmp_path))
    all_channels.cache_clear()
    try:
        yield sys.modules[type(channel_for("carrier_pigeon")).__module__]
    finally:
        channel_modules.__path__[:] = real
        all_channels.cache_clear()
        sys.modules.pop(f"{channel_modules.__name__}.pigeon_post", None)


def test_a_channel_module_dropped_in_is_delivered_through_and_shown(tenant, pigeon_post):
    subscription = make_subscription(
        tenant, target_type="carrier_pigeon", target_value="Loft 7", title="By air"
    )
    delivery = deliver_due(subscription)
    assert delivery.status == "completed", delivery.error
    assert (delivery.target_type, pigeon_post.SENT) == (
        "carrier_pigeon",
        [("Loft 7", subscription.resource_name)],
    )
    client = Client()
    client.force_login(tenant.user)
    page = client.get(f"/project/{tenant.team.id}/subscriptions").content.decode()
    assert "<td>Carrier pigeon</td>" in page


def test_the_real_channels_are_registered_under_their_target_types():
    assert {t: c.label for t, c in all_channels().items()} == {
        "email": "Email",
        "slack": "Slack",
        "webhook": "Webhook",
    }


def raised(error: BaseException, cause: BaseException | None = None) -> BaseException:
    """`error` as `raise error from cause` leaves it."""
    error.__cause__ = cause
    return error


class FailingChannel:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def send(self, recipient, report):
        raise self.error


@pytest.mark.parametrize(
    "error, permanent",
    [
        (TransientError("451 busy"), False),
        (PermanentError("550 no such mailbox"), True),
        # A channel calls it transient, but what caused it cannot get better, however deep it lies.
        (raised(TransientError("post failed"), httpx.InvalidURL("bad port")), True),
        (
            raised(
                TransientError("send failed"), raised(OSError("wrapped"), smtplib.SMTPNotSupportedError())
            ),
            True,
        ),
        (raised(TransientError("post failed"), raised(OSError("wrapped"), ConnectionError("reset"))), False),
        (ValueError("bad data"), True),  # an unexpected fault of the data
        (raised(RuntimeError("boom"), UnicodeEncodeError("ascii", "é", 0, 1, "no")), True),
        (UnicodeEncodeError("ascii", "é", 0, 1, "no"), True),
        (RuntimeError("anything else"), False),
    ],
)
def test_a_failed_attempt_is_final_only_when_no_retry_can_fix_it(error, permanent):
    report = SimpleNamespace(delivery=SimpleNamespace(id="d1"))
    result = _send(FailingChannel(error), "ann@example.com", report, attempt=2)
    assert result["permanent"] is permanent
    assert (result["recipient"], result["status"], result["attempts"]) == ("ann@example.com", "failed", 2)
    expected = (
        str(error)
        if isinstance(error, TransientError | PermanentError)
        else f"{type(error).__name__}: {error}"
    )
    assert result["error"] == expected


def test_a_delivery_to_a_channel_no_module_provides_is_skipped_saying_so(tenant):
    delivery = make_delivery(tenant, target_type="fax", target_value="+15555550100", claimable=True)
    assert run_delivery(str(delivery.id)) == "skipped"
    assert SubscriptionDelivery.objects.get(pk=delivery.pk).error == {
        "message": "Unsupported delivery channel 'fax'.",
        "type": "skipped",
    }
