"""Domain verification over DNS: the organization publishes its challenge in a TXT record at
`_posthog-challenge.<domain>` (PostHog's name, so instructions written for PostHog work unchanged), and
Burrow looks it up through `burrow.core.dns` (`BURROW_DNS_NAMESERVERS` when set).

Any DNS failure — no such name, no TXT record, SERVFAIL, a timeout — means "not verified", never an error
(PostHog answers 500): the organization fixes its record and tries again."""

import logging

import dns.exception
import dns.resolver

from burrow.core.dns import make_resolver

logger = logging.getLogger(__name__)

CHALLENGE_PREFIX = "_posthog-challenge"
LOOKUP_LIFETIME_SECONDS = 3.0


def challenge_name(domain: str) -> str:
    return f"{CHALLENGE_PREFIX}.{domain}"


def txt_values(name: str, lifetime: float = LOOKUP_LIFETIME_SECONDS) -> list[str]:
    """The first string of each TXT record at `name`; empty when there is none or DNS fails."""
    try:
        answer = make_resolver(lifetime).resolve(name, "TXT", lifetime=lifetime)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, ValueError) as exc:
        logger.info(
            "domain verification look-up failed", extra={"dns_name": name, "error": type(exc).__name__}
        )
        return []
    values = []
    for record in answer:
        strings = getattr(record, "strings", None) or []
        if strings:
            values.append(strings[0].decode("utf-8", "replace"))
    return values


def challenge_published(domain: str, challenge: str) -> bool:
    """True when a TXT record at the challenge name holds exactly `challenge`."""
    return challenge in txt_values(challenge_name(domain))
