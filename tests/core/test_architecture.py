"""Dependencies point one way (docs/architecture.md): `core` knows no app, `analytics`, the base that sharing
and subscriptions build on, knows none of the apps above it, and no module of `burrow` takes part in an
import cycle. Read from the source with `ast`, so an import inside a function or behind TYPE_CHECKING counts
as much as one at the top of a module."""

import ast
from fnmatch import fnmatch
from pathlib import Path

import pytest

import burrow

BURROW = Path(burrow.__file__).parent
ABOVE_ANALYTICS = ("sharing", "subscriptions", "domains", "integrations", "recordings")
# Each app, and the apps none of its modules may import.
FORBIDDEN = {
    "core": ("analytics", "queries", *ABOVE_ANALYTICS),
    "analytics": ABOVE_ANALYTICS,
    "queries": ("analytics", *ABOVE_ANALYTICS),  # the query engine knows no insight, report or page
    # Recordings are what sharing shows: they know no share, report or integration.
    "recordings": ("queries", *(app for app in ABOVE_ANALYTICS if app != "recordings")),
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


def module_name(path: Path) -> str:
    parts = path.relative_to(BURROW.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each module of `burrow` and the modules of `burrow` it imports (`from m import f` is an edge to `m`,
    `from package import module` one to the module)."""
    paths = {module_name(path): path for path in BURROW.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        for _, imported in imported_modules(path):
            while imported and imported not in paths:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                graph[name].add(imported)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as one cycle through its
    first module; `tangles` names all their modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(_cycle_through(graph, set(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_through(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One import path that leaves the component's first module and comes back to it (breadth-first)."""
    start = min(component)
    came_from: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & component):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = node
                queue.append(target)
    raise AssertionError(f"no cycle through {start}")


def tangles(graph: dict[str, set[str]]) -> list[str]:
    """Each cycle, with every module caught in it."""
    reaches = {node: _reachable(graph, node) for node in graph}
    found = []
    for cycle in cycles(graph):
        caught = sorted(node for node in graph if cycle[0] in reaches[node] and node in reaches[cycle[0]])
        found.append(f"{' → '.join(cycle)}  (caught in it: {', '.join(caught)})")
    return found


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_no_module_takes_part_in_an_import_cycle():
    found = tangles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(found)


def test_the_cycle_finder_reports_a_cycle_behind_a_lazy_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# burrow/subscriptions in layers, lowest first (docs/architecture.md): a module imports only modules of its own
# layer or of those below. Every module of the app is in one.
SUBSCRIPTIONS_LAYERS = (
    (
        "rules and data",
        ("", "rules", "models", "schedule", "wakeup", "unsubscribe", "activity", "migrations*"),
    ),
    ("channels", ("delivery", "delivery.base", "delivery.channels*", "delivery.registry")),
    ("claims and the engine", ("claims", "delivery.engine", "delivery.content", "delivery.notices")),
    ("hand-out", ("delivery.dispatch", "tasks")),
    ("requests and the tick", ("triggers", "scheduler")),
    ("services, API and pages", ("services", "serializers", "filters", "views", "pages", "urls", "apps")),
)


def subscriptions_layer(module: str) -> int | None:
    name = module.removeprefix("burrow.subscriptions").removeprefix(".")
    for index, (_, patterns) in enumerate(SUBSCRIPTIONS_LAYERS):
        if any(fnmatch(name, pattern) for pattern in patterns):
            return index
    return None


def test_subscriptions_modules_import_only_their_layer_and_below():
    graph = import_graph()
    app = {m for m in graph if m == "burrow.subscriptions" or m.startswith("burrow.subscriptions.")}
    unplaced = sorted(m for m in app if subscriptions_layer(m) is None)
    assert not unplaced, f"not in SUBSCRIPTIONS_LAYERS: {unplaced}"
    upward = [
        f"{module} ({SUBSCRIPTIONS_LAYERS[subscriptions_layer(module)][0]}) imports {target} "
        f"({SUBSCRIPTIONS_LAYERS[subscriptions_layer(target)][0]})"
        for module in sorted(app)
        for target in sorted(graph[module] & app)
        if subscriptions_layer(target) > subscriptions_layer(module)
    ]
    assert not upward, "\n".join(upward)
