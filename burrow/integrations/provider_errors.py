"""Provider failures leave as API errors, never as 500s: unreachable, slow or 5xx → 502 naming
the provider; the provider's 401 → the integration is marked `TOKEN_REFRESH_FAILED` and the answer is 400
asking to reconnect (later calls get that 400 without calling the provider); 403 → 400 about permissions.
Every call to a provider on an integration's behalf goes through here, so each failure reads the same."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from burrow.integrations.models import ERROR_TOKEN_REFRESH_FAILED, Integration
from burrow.integrations.providers.errors import (
    ProviderForbidden,
    ProviderRejected,
    ProviderUnauthorized,
    ProviderUnavailable,
)

logger = logging.getLogger(__name__)

AUTH_NO_LONGER_VALID = (
    "This integration's authentication is no longer valid. Please reconnect or disconnect this integration "
    "and connect a different account."
)
NO_PERMISSION = (
    "This integration does not have permission to access this resource. Please check the account "
    "permissions on the provider side."
)


class ProviderFailed(APIException):
    """502: the provider could not give an answer; the detail names it and says to try again."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "provider_unavailable"
    default_type = "server_error"


@contextmanager
def as_api_errors(integration: Integration | None = None) -> Iterator[None]:
    """Provider errors as API errors. With `integration` (a look-up or refresh), a 401 marks it."""
    try:
        yield
    except ProviderUnavailable as exc:
        raise provider_failed(exc) from None
    except ProviderUnauthorized as exc:
        if integration is None:
            raise ValidationError(
                f"{exc.provider} refused the connection while Burrow confirmed the account. "
                "Please try connecting again."
            ) from None
        Integration.objects.filter(pk=integration.pk).update(errors=ERROR_TOKEN_REFRESH_FAILED)
        logger.info(
            "integration needs reconnecting", extra={"integration": integration.pk, "kind": integration.kind}
        )
        raise ValidationError(AUTH_NO_LONGER_VALID) from None
    except ProviderForbidden:
        raise ValidationError(NO_PERMISSION) from None
    except ProviderRejected as exc:
        raise ValidationError(str(exc)) from None


def provider_failed(exc: ProviderUnavailable) -> ProviderFailed:
    return ProviderFailed(f"{exc.provider} {exc.message}. Try again in a few minutes.")
