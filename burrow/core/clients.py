"""Who the client is: the one answer to "which address is at the other end of this request" that every
throttle (share-password guesses, sign-in attempts, DRF's rate limits) and every log line uses.

Behind a reverse proxy the connection's address (`REMOTE_ADDR`) is the proxy's, the same for every visitor;
the visitor's address is in `X-Forwarded-For`, which the visitor can also write. So the header is believed
only as far as `BURROW_TRUSTED_PROXIES` vouches for it. When the connection comes from a trusted proxy, the
header is read from the right (each proxy appends the address that connected to it), trusted proxies are
skipped, and the first address that is not one is the client. Whatever a visitor wrote sits to the left of
that address and is never read. An entry that is not an address ends the walk: the client is then the hop
that wrote it (the connection's peer when it is the last entry). Without trusted proxies (the default) the
header is ignored.

Throttles count a client by `client_network`: an IPv6 host is handed a whole /64 and may take any address of
it, so counting single IPv6 addresses would give one client a fresh window per guess."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "unknown"  # no peer address at all (not over TCP): such requests share one window
IPV6_CLIENT_PREFIX = 64  # the block one IPv6 subscriber (a home, a server) holds


def client_address(request: HttpRequest) -> str:
    """The client's address, normalised (`2001:db8::1`, IPv4-mapped IPv6 as IPv4), or "unknown"."""
    raw_peer = request.META.get("REMOTE_ADDR") or ""
    peer = parse_address(raw_peer)
    if peer is None:
        return raw_peer.strip() or UNKNOWN
    trusted: tuple[Network, ...] = settings.TRUSTED_PROXIES
    client = peer
    if _is_trusted(peer, trusted):
        for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            hop = parse_address(entry)
            if hop is None:
                break  # nothing to its left can be believed: the hop that wrote it is the best we know
            client = hop
            if not _is_trusted(hop, trusted):
                break
    return str(client)


def client_network(address: str) -> str:
    """What a throttle counts for the address `client_address` gave: an IPv4 address itself, an IPv6
    address's /64 (`2001:db8:5:7::/64`); anything else (`unknown`) as it is."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return address


def parse_address(text: str) -> Address | None:
    """An address as proxies write it: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`, with or without a
    `:port` (`192.0.2.1:4711`, `[2001:db8::1]:4711`); None for anything else."""
    text = text.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not _is_port(rest)):
            return None
        text = host
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not _is_port(":" + port):
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
    return address


def _is_port(text: str) -> bool:
    return text.startswith(":") and text[1:].isascii() and text[1:].isdigit() and len(text) <= 6


def _is_trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address in network for network in trusted)
