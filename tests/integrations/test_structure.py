"""Integrations stand on their own: the apps built on them (subscriptions) register what they need (an
in-use hook), so nothing here imports them or reads their rows through a reverse relation."""

from pathlib import Path

import burrow.integrations
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
