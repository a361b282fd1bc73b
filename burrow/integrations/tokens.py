"""Using a stored connection: its token, refreshed when due and refused once a refresh failed, and the
look-ups made with it. Slack delivery takes its token through `usable` too, so a rotating token is
refreshed one way wherever it is used."""

import logging
import time

from django.db import transaction
from rest_framework.exceptions import ValidationError

from burrow.core.models import User
from burrow.integrations.models import ERROR_TOKEN_REFRESH_FAILED, Integration
from burrow.integrations.provider_errors import as_api_errors, provider_failed
from burrow.integrations.providers import lookups
from burrow.integrations.providers.base import LookupRequest, Provider
from burrow.integrations.providers.errors import ProviderError, ProviderUnavailable

logger = logging.getLogger(__name__)

REFRESH_FAILED = (
    "This integration's authentication token could not be refreshed. Please reconnect or disconnect this "
    "integration and connect a different account."
)


def usable(integration: Integration, provider: Provider) -> Integration:
    """The integration with a token the provider still takes: refused without calling the provider when
    a refresh already failed, refreshed when past half its lifetime."""
    if integration.errors == ERROR_TOKEN_REFRESH_FAILED:
        raise ValidationError(REFRESH_FAILED)
    if not provider.needs_refresh(integration, time.time()):
        return integration
    failed = False
    with transaction.atomic():
        # One refresh at a time per row: whoever waited finds the token fresh and uses it (providers that
        # rotate refresh tokens would refuse a second refresh with the spent one).
        current = Integration.objects.select_for_update().get(pk=integration.pk)
        if current.errors == ERROR_TOKEN_REFRESH_FAILED:
            failed = True
        elif provider.needs_refresh(current, time.time()):
            try:
                update = provider.refresh(current)
            except ProviderUnavailable as exc:
                raise provider_failed(exc) from None  # nothing is marked: trying later may work
            except ProviderError:
                current.errors = ERROR_TOKEN_REFRESH_FAILED
                current.save(update_fields=["errors"])
                logger.info("token refresh failed", extra={"integration": current.pk, "kind": current.kind})
                failed = True
            else:
                current.config = {**(current.config or {}), **update.config}
                current.sensitive_config = {**(current.sensitive_config or {}), **update.sensitive_config}
                current.save(update_fields=["config", "sensitive_config"])
    if failed:
        raise ValidationError(REFRESH_FAILED)
    return current


def run_lookup(integration: Integration, name: str, query, user: User) -> dict:
    provider, lookup = lookups()[name]
    if integration.kind != provider.kind:
        raise ValidationError(f"{name} endpoint is only supported for {provider.label} integrations")
    integration = usable(integration, provider)
    with as_api_errors(integration):
        return lookup.run(integration, LookupRequest(query, user.id))
