"""Rate limits for personal-API-key traffic; off unless BURROW_THROTTLE_BURST/_SUSTAINED is set.

Every DRF throttle of Burrow derives from `BurrowRateThrottle`, whose client (`get_ident`) is
`burrow.core.clients.client_address`: DRF's own reading of X-Forwarded-For (`NUM_PROXIES`) counts hops
rather than checking who wrote them, so it is not used."""

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from burrow.core.clients import client_address
from burrow.core.models import PersonalAPIKey


class BurrowRateThrottle(SimpleRateThrottle):
    """Rates read from settings at request time; a throttle keyed on the client (`get_ident`, as DRF's
    `AnonRateThrottle` is) sees the address `client_address` gives, the same one as every other throttle."""

    reference_rate = ""

    def get_rate(self) -> str | None:
        # Read at request time (not import time) so settings overrides apply.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return None
        return self.reference_rate if rate == "on" else rate  # settings.env_rate gives "on" or N/period

    def get_ident(self, request) -> str:
        return client_address(request)


class PersonalApiKeyRateThrottle(BurrowRateThrottle):
    """Keyed on the API key, not the client: one key's traffic counts the same from every address."""

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, PersonalAPIKey):
            return None  # only API-key traffic is limited, as in PostHog
        ident = hashlib.sha256(request.auth.secure_value.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class BurstRateThrottle(PersonalApiKeyRateThrottle):
    scope = "burst"
    reference_rate = "480/minute"


class SustainedRateThrottle(PersonalApiKeyRateThrottle):
    scope = "sustained"
    reference_rate = "4800/hour"
