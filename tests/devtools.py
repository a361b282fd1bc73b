"""The services the test suite uses beside Python (PostgreSQL, Redis), in one place for `make test` and pytest.
Test tooling, so it lives beside the tests and is not installed with the package; run it from the checkout.

Locally a missing service skips what needs it, with a line saying so. With BURROW_REQUIRE_SERVICES=1 (set by
`.ci/run`) a missing service is an error instead, so CI cannot pass by quietly skipping the PostgreSQL run or
the Celery tests.

    python -m tests.devtools pg-available     exit 0 when PostgreSQL answers on 127.0.0.1:5432, else 1
    python -m tests.devtools check-services   one line per service; exit 1 when one is missing but required
"""

import socket
import sys

from burrow.config import ConfigError, env_bool

# name → (host, port, what runs without it)
SERVICES = {
    "PostgreSQL": ("127.0.0.1", 5432, "the PostgreSQL run of `make test`"),
    "Redis": ("127.0.0.1", 6379, "the Celery delivery tests"),
}
REQUIRE_SERVICES = "BURROW_REQUIRE_SERVICES"


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def services_required() -> bool:
    return env_bool(REQUIRE_SERVICES)


def service_lines() -> tuple[list[str], list[str]]:
    """(a status line per service, the names of the missing ones)."""
    lines, missing = [], []
    for name, (host, port, needed_by) in SERVICES.items():
        if port_open(host, port):
            lines.append(f"{name} on {host}:{port}: found")
            continue
        missing.append(name)
        if services_required():
            lines.append(f"{name} on {host}:{port}: NOT REACHABLE, and {REQUIRE_SERVICES} is set: failing")
        else:
            lines.append(
                f"{name} on {host}:{port}: not reachable, {needed_by} skipped "
                f"(set {REQUIRE_SERVICES}=1 to make this an error, as CI does)"
            )
    return lines, missing


def missing_required_services() -> str | None:
    """What to tell the user when a service is missing while required; None when all is well."""
    if not services_required():
        return None
    lines, missing = service_lines()
    if not missing:
        return None
    return (
        f"{REQUIRE_SERVICES} is set but {' and '.join(missing)} cannot be reached:\n  "
        + "\n  ".join(lines)
        + "\nStart them (see .ci/run), or unset it to skip the tests that need them."
    )


def main(argv: list[str]) -> int:
    if argv == ["pg-available"]:
        host, port, _ = SERVICES["PostgreSQL"]
        return 0 if port_open(host, port) else 1
    if argv == ["check-services"]:
        try:
            problem = missing_required_services()
        except ConfigError as error:
            print(f"tests.devtools: {error}", file=sys.stderr)
            return 2
        if problem:
            print(f"tests.devtools: {problem}", file=sys.stderr)
            return 1
        print("\n".join(f"== {line}" for line in service_lines()[0]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
