"""Which hosts a data source may point at: BURROW_DATA_SOURCE_HOSTS (host names or CIDRs, comma-separated)
on top of every public address; unset, loopback is listed. A private range is reachable only when listed.
Checked when a source is saved and again at connect time, on the address actually connected to, so a DNS
answer that changes in between (DNS rebinding) cannot point a source at a private host."""

import ipaddress

from django.conf import settings

from burrow.core.dns import IPAddress, resolve_addresses
from burrow.core.urlsafety import is_public_address
from burrow.queries.errors import SourceRefused

DEFAULT_HOSTS = ("127.0.0.0/8", "::1/128", "localhost")
_LOCALHOST = {ipaddress.ip_address("127.0.0.1")}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _rule() -> tuple[set[str], list[Network]]:
    names: set[str] = set()
    networks: list[Network] = []
    for entry in settings.DATA_SOURCE_HOSTS or DEFAULT_HOSTS:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks


def addresses_of(host: str) -> set[IPAddress]:
    try:
        return {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        pass
    if host == "localhost":  # the resolver asks DNS servers, which do not know the hosts file's name
        return set(_LOCALHOST)
    return resolve_addresses(host)


def allowed_address(host: str) -> IPAddress:
    """The address to connect to for `host`, after checking every address it resolves to against the rule;
    SourceRefused naming the host otherwise."""
    host = host.lower().rstrip(".")
    names, networks = _rule()
    addresses = addresses_of(host)
    if not addresses:
        raise SourceRefused(f"Could not resolve host {host}.")
    if host not in names:
        for address in sorted(addresses, key=str):
            if not is_public_address(address) and not any(address in net for net in networks):
                raise SourceRefused(
                    f"Host {host} ({address}) is not allowed: private addresses must be listed in "
                    "BURROW_DATA_SOURCE_HOSTS."
                )
    return sorted(addresses, key=str)[0]
