"""DNS look-ups through dnspython, so tests and operators can point Burrow at chosen name servers
(`BURROW_DNS_NAMESERVERS=host:port,…`) instead of the system resolver."""

import ipaddress

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings

DEFAULT_LIFETIME_SECONDS = 3.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_nameserver(value: str) -> tuple[str, int]:
    """ "1.2.3.4", "1.2.3.4:5353", "[::1]:5353" or "::1" → (address, port)."""
    value = value.strip()
    if value.startswith("["):
        address, _, rest = value[1:].partition("]")
        return address, int(rest.lstrip(":") or 53)
    if value.count(":") == 1:
        address, port = value.split(":")
        return address, int(port)
    return value, 53


def make_resolver(lifetime: float = DEFAULT_LIFETIME_SECONDS) -> dns.resolver.Resolver:
    """A fresh resolver: the configured name servers when set, else the system's."""
    configured = list(getattr(settings, "DNS_NAMESERVERS", None) or [])
    if configured:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(*parse_nameserver(ns)) for ns in configured]
    else:
        resolver = dns.resolver.Resolver()
    resolver.lifetime = lifetime
    resolver.timeout = lifetime
    return resolver


def resolve_addresses(host: str, lifetime: float = DEFAULT_LIFETIME_SECONDS) -> set[IPAddress]:
    """Every A and AAAA address of `host`; empty when the name does not resolve or DNS fails."""
    try:
        answers = make_resolver(lifetime).resolve_name(host, lifetime=lifetime)
    except (dns.exception.DNSException, ValueError):
        return set()
    found: set[IPAddress] = set()
    for address in answers.addresses():
        try:
            found.add(ipaddress.ip_address(address))
        except ValueError:
            continue
    return found


class LookupFailed(Exception):
    """The name servers gave no usable answer (timeout, SERVFAIL, refused): the record may well exist."""


def txt_records(name: str, lifetime: float = DEFAULT_LIFETIME_SECONDS) -> list[str]:
    """Every TXT record at `name`, each with its strings joined: long values (a DKIM key) are published
    as several strings of at most 255 bytes that make up one value (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
    Empty when the name or the record does not exist; LookupFailed when DNS could not say."""
    try:
        answer = make_resolver(lifetime).resolve(name, "TXT", lifetime=lifetime)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, ValueError) as exc:
        raise LookupFailed(type(exc).__name__) from None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def cname_target(name: str, lifetime: float = DEFAULT_LIFETIME_SECONDS) -> str | None:
    """The name `name` is an alias of (its CNAME record), lower-case without the final dot; None when the
    name has no CNAME; LookupFailed when DNS could not say."""
    try:
        answer = make_resolver(lifetime).resolve(name, "CNAME", lifetime=lifetime)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    except (dns.exception.DNSException, ValueError) as exc:
        raise LookupFailed(type(exc).__name__) from None
    return str(answer[0].target).rstrip(".").lower()
