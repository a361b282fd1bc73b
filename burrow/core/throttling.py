"""Rate limits for personal-API-key traffic; off unless BURROW_THROTTLE_BURST/_SUSTAINED is set."""

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from burrow.core.models import PersonalAPIKey


class PersonalApiKeyRateThrottle(SimpleRateThrottle):
    reference_rate = ""

    def get_rate(self) -> str | None:
        # Read at request time (not import time) so settings overrides apply.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return None
        return self.reference_rate if rate == "on" else rate  # settings.env_rate gives "on" or N/period

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
