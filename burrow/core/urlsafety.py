"""SSRF guard for URLs Burrow will fetch or post to (webhook targets): only public http(s) hosts.

Checked when a URL is saved and again when it is used, because DNS can change in between.
`settings.WEBHOOK_ALLOW_PRIVATE` lifts the network checks for development setups."""

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from burrow.core.dns import IPAddress, resolve_addresses

METADATA_HOSTS = {"169.254.169.254", "metadata.google.internal", "metadata"}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
INTERNAL_DOMAIN_PATTERNS = (
    ".localhost",
    ".local",
    ".internal",
    ".consul",
    ".lan",
    ".home",
    ".corp",
    ".localdomain",
    ".home.arpa",
    ".intranet",
    ".priv",
)
# RFC 6598 shared address space: neither private nor global for `ipaddress`, yet routable inside VPCs.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


# IPv6 prefixes whose addresses carry an IPv4 address in their last 32 bits and reach it: NAT64 (RFC 6052
# well-known and RFC 8215 local-use prefixes) and the deprecated IPv4-compatible form ::a.b.c.d.
_IPV4_IN_LOW_BITS = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address reaches or carries: mapped (::ffff:a.b.c.d), 6to4 (2002::/16),
    Teredo (2001::/32: server and client), NAT64 and IPv4-compatible forms."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if any(ip in network for network in _IPV4_IN_LOW_BITS) and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public_address(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner:
            # Refused exactly as the IPv4 addresses it embeds would be.
            return all(is_public_address(address) for address in inner)
    blocked = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in _CGNAT
    )
    return not blocked and ip.is_global


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # HTTP clients hand hosts such as "2130706433" or "0x7f.1" to inet_aton, which reads them as IPv4.
    if host and all(c in "0123456789abcdefx." for c in host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _canonical_host(host: str) -> str:
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return host.lower().rstrip(".")


def _shape_reason(url: str) -> tuple[str | None, str]:
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        # CR/LF would smuggle headers; spaces and other controls are never part of a valid URL.
        return "Invalid URL: contains whitespace or control characters", ""
    if "\\" in url or "%5c" in url.lower():
        return "Invalid URL: ambiguous authority", ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return "Invalid URL", ""
    if parts.scheme not in ("http", "https"):
        return "URL must start with http:// or https://", ""
    if not parts.netloc or not host:
        return "Missing host", ""
    return None, _canonical_host(host)


def _name_reason(host: str) -> str | None:
    if host in METADATA_HOSTS:
        return "Local/metadata host"
    if host in LOOPBACK_HOSTS:
        return "Local/Loopback host not allowed"
    for pattern in INTERNAL_DOMAIN_PATTERNS:
        if host.endswith(pattern):
            return f"Internal domain pattern blocked: {pattern}"
    return None


@dataclass(frozen=True)
class PinnedTarget:
    """Where to send a request so that it reaches the address that was checked: the URL with its host
    replaced by that address, plus the Host header and TLS server name of the original host."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


def _checked_address(url: str) -> tuple[str | None, IPAddress | None]:
    """(why `url` must not be fetched, None) or (None, the public address to connect to; None when
    `WEBHOOK_ALLOW_PRIVATE` lifts the network checks)."""
    if not isinstance(url, str):
        return "Invalid URL", None
    reason, host = _shape_reason(url.strip())
    if reason:
        return reason, None
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return None, None
    reason = _name_reason(host)
    if reason:
        return reason, None
    literal = _ip_literal(host)
    if literal is not None:
        return (None, literal) if is_public_address(literal) else ("Private IP address not allowed", None)
    addresses = resolve_addresses(host)
    if not addresses:
        return "Could not resolve host", None
    ordered = sorted(addresses, key=str)
    for address in ordered:
        if not is_public_address(address):
            return f"Disallowed target IP: {address}", None
    return None, ordered[0]


def check_url_allowed(url: str) -> str | None:
    """Why `url` must not be fetched, or None when it is safe: http(s), a host that is not internal by
    name, and (for host names) every resolved address public."""
    return _checked_address(url)[0]


def pinned_target(url: str) -> tuple[str | None, PinnedTarget | None]:
    """Checks `url` and pins the request to the address just checked, so a DNS answer that changes
    between the check and the connection (DNS rebinding) cannot redirect it to a private host."""
    reason, address = _checked_address(url)
    if reason:
        return reason, None
    parts = urlsplit(url.strip())
    if address is None or _ip_literal(parts.hostname or "") is not None:
        return None, PinnedTarget(url.strip())
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = literal + (f":{parts.port}" if parts.port else "")
    host_header = parts.hostname + (f":{parts.port}" if parts.port else "")
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return None, PinnedTarget(urlunsplit(parts._replace(netloc=netloc)), {"host": host_header}, extensions)
