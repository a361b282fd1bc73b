"""Integrations stand on their own: the apps built on them (subscriptions) register what they need (an
in-use hook), so nothing here imports them or reads their rows through a reverse relation."""

import pkgutil
from pathlib import Path

import burrow.integrations
from burrow.integrations import providers
from tests.core.test_architecture import imported_modules

INTEGRATIONS = Path(burrow.integrations.__file__).parent
APPS_ABOVE = ("burrow.subscriptions", "burrow.sharing")


def test_integrations_import_no_app_built_on_them():
    found = [
        f"{path.relative_to(INTEGRATIONS.parent)}:{line} imports {name}"
        for path in sorted(INTEGRATIONS.rglob("*.py"))
        for line, name in imported_modules(path)
        if name.startswith(APPS_ABOVE)
    ]
    assert not found, "\n".join(found)


def test_integrations_read_no_subscription_through_a_reverse_relation():
    found = [
        f"{path.relative_to(INTEGRATIONS.parent)}:{number}"
        for path in sorted(INTEGRATIONS.rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ".subscriptions" in line
    ]
    assert not found, "\n".join(found)


GENERIC_FLOW = ("services", "consent", "views", "serializers", "tokens", "pages", "oauth", "in_use")


def test_the_generic_flow_names_no_provider_so_a_provider_is_one_module():
    """A provider's special cases (GitHub's install flow, a sender domain's keys) are hooks of its own
    module: the modules every connection goes through import only the provider machinery (the registry,
    `base`, `errors`, `http`)."""
    machinery = {"base", "errors", "http"}
    provider_modules = [m.name for m in pkgutil.iter_modules(providers.__path__) if m.name not in machinery]
    assert {"email", "github", "slack"} <= set(provider_modules)
    found = [
        f"{name}.py:{line} imports {imported}"
        for name in GENERIC_FLOW
        for line, imported in imported_modules(INTEGRATIONS / f"{name}.py")
        if any(imported.startswith(f"{providers.__name__}.{module}") for module in provider_modules)
    ]
    assert not found, "\n".join(found)
