"""Dependencies point one way (docs/architecture.md): `core` knows no app, and `analytics`, the base that sharing
and subscriptions build on, knows none of the apps above it. Read from the source with `ast`, so an import
inside a function or behind TYPE_CHECKING counts as much as one at the top of a module."""

import ast
from pathlib import Path

import pytest

import burrow

BURROW = Path(burrow.__file__).parent
ABOVE_ANALYTICS = ("sharing", "subscriptions", "domains", "integrations")
# Each app, and the apps none of its modules may import.
FORBIDDEN = {
    "core": ("analytics", *ABOVE_ANALYTICS),
    "analytics": ABOVE_ANALYTICS,
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, as an absolute dotted name (`from burrow import x` gives `burrow.x`)."""
    package = ".".join(path.relative_to(BURROW.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def forbidden_imports(app: str) -> list[str]:
    banned = tuple(f"burrow.{other}" for other in FORBIDDEN[app])
    modules = sorted((BURROW / app).rglob("*.py"))
    assert modules, f"no modules found under burrow/{app}"
    found: dict[str, str] = {}  # one entry per import statement: its first banned name
    for path in modules:
        for line, name in imported_modules(path):
            if any(name == prefix or name.startswith(f"{prefix}.") for prefix in banned):
                found.setdefault(f"{path.relative_to(BURROW.parent)}:{line}", name)
    return [f"{where} imports {name}" for where, name in found.items()]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_lower_apps_import_no_app_built_on_them(app):
    found = forbidden_imports(app)
    assert not found, "\n".join(found)
