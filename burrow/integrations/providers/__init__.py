"""One module per provider (Slack, Linear, …), each defining `provider`, an instance of a `base.Provider`
subclass. The registry finds them by walking this package, so adding a provider is adding a file."""

import importlib
import pkgutil
from functools import cache

from burrow.integrations.providers.base import Lookup, Provider


@cache
def registry() -> dict[str, Provider]:
    found: dict[str, Provider] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        provider = getattr(module, "provider", None)
        if isinstance(provider, Provider):
            if provider.kind in found:
                raise RuntimeError(f"two provider modules claim the kind {provider.kind!r}")
            found[provider.kind] = provider
    return found


def get_provider(kind: str) -> Provider | None:
    return registry().get(kind)


@cache
def lookups() -> dict[str, tuple[Provider, Lookup]]:
    """Every look-up by its route name, with the provider that offers it."""
    found: dict[str, tuple[Provider, Lookup]] = {}
    for provider in registry().values():
        for lookup in provider.lookups:
            if lookup.name in found:
                raise RuntimeError(f"two providers offer the look-up {lookup.name!r}")
            found[lookup.name] = (provider, lookup)
    return found


def display_name(integration) -> str:
    """What people call the connected account: the workspace, organization or e-mail the provider gave,
    else "ID: <integration_id>" (PostHog's rule)."""
    provider = get_provider(integration.kind)
    if provider is None:
        return f"ID: {integration.integration_id}"
    return provider.display_name(integration)
