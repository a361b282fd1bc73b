"""Every delivery channel, found in delivery/channels/ (each module there defines `CHANNEL`). The API's choices
of `target_type`, its filter, the serializer's checks, the services' secrets, the pages and the engine all
read channels from here, so adding a channel is adding its module."""

import functools
import importlib
import pkgutil

from django.core.exceptions import ImproperlyConfigured

from burrow.integrations.models import Integration
from burrow.subscriptions.delivery import channels as channel_modules
from burrow.subscriptions.delivery.base import Channel
from burrow.subscriptions.models import Subscription, SubscriptionDelivery


@functools.cache
def all_channels() -> dict[str, Channel]:
    """Target type → channel, in target type order."""
    found: dict[str, Channel] = {}
    longest = min(
        model._meta.get_field("target_type").max_length for model in (Subscription, SubscriptionDelivery)
    )
    for module in pkgutil.iter_modules(channel_modules.__path__):
        channel = importlib.import_module(f"{channel_modules.__name__}.{module.name}").CHANNEL
        if channel.target_type in found or len(channel.target_type) > longest:
            raise ImproperlyConfigured(
                f"{module.name}: target type {channel.target_type!r} is taken or longer than {longest}"
            )
        found[channel.target_type] = channel
    return dict(sorted(found.items()))


def channel_for(target_type: str) -> Channel | None:
    return all_channels().get(target_type)


def target_type_choices() -> list[tuple[str, str]]:
    return [(target_type, channel.label) for target_type, channel in all_channels().items()]


def subscriptions_using(integration: Integration, limit: int) -> list[str]:
    """The names of up to `limit` enabled subscriptions that send through `integration` (integrations'
    in-use hook: it is not disconnected while they do)."""
    users = [
        s for channel in all_channels().values() for s in channel.subscriptions_using(integration, limit)
    ]
    return [f'"{s.title}" (id {s.id})' if s.title else f"untitled (id {s.id})" for s in users[:limit]]
