"""A delivery channel is one module in burrow/subscriptions/delivery/channels/: a module dropped there is
delivered through, shown on the pages and stored, however long its target type, with no change elsewhere."""

import sys

import pytest
from django.test import Client

from burrow.subscriptions.delivery import channels as channel_modules
from burrow.subscriptions.delivery.registry import all_channels, channel_for
from tests.factories import make_subscription
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
