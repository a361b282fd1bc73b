"""What still uses an integration. An app built on integrations registers an `InUseBy` in its
`AppConfig.ready()` (subscriptions: the enabled ones posting with a Slack integration), and disconnecting is
refused while any of them names something, so this app imports none of the apps that use it."""

from collections.abc import Callable
from dataclasses import dataclass

from rest_framework.exceptions import ValidationError

from burrow.integrations.models import Integration

SHOWN = 5  # names in a refusal; more are summed up as "and more"


@dataclass(frozen=True)
class InUseBy:
    # Up to `limit` names of the app's objects that use the integration (e.g. '"Weekly" (id 3)'), in order.
    users: Callable[[Integration, int], list[str]]
    refusal: str  # the 400's sentence, with `{names}` where the names go


_HOOKS: list[InUseBy] = []


def register(hook: InUseBy) -> None:
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def refuse_while_used(integration: Integration) -> None:
    """A 400 naming what still uses `integration`, from the first hook that names anything."""
    for hook in _HOOKS:
        names = hook.users(integration, SHOWN + 1)
        if names:
            shown = ", ".join(names[:SHOWN]) + (" and more" if len(names) > SHOWN else "")
            raise ValidationError(hook.refusal.format(names=shown))
