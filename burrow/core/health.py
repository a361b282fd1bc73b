"""What the probes check (`/_readyz?role=web|scheduler|worker`, `/_health`) and `burrow status` reports:
each check a boolean, none of them revealing data. A role's checks are the web's plus its own heartbeat."""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from burrow.core import heartbeats

logger = logging.getLogger("burrow.health")

ROLES = ("web", "scheduler", "worker")
BROKER_TIMEOUT_SECONDS = 2.0


def database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def migrations_applied() -> bool:
    try:
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        return False


def broker_reachable(timeout: float = BROKER_TIMEOUT_SECONDS) -> bool:
    """True without a broker (nothing to reach); else whether a connection opens within `timeout`."""
    if not settings.BROKER_URL:
        return True
    from kombu import Connection  # Celery's transport library: only processes that have a broker load it

    try:
        with Connection(settings.BROKER_URL, connect_timeout=timeout) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        return True
    except Exception as error:
        logger.warning("broker unreachable", extra={"error": str(error)})
        return False


def cache_works() -> bool:
    """The shared cache (Redis with a Redis broker, else this process's memory) answers a write and read."""
    probe = f"burrow-probe-{uuid.uuid4().hex}"
    try:
        cache.set(probe, 1, timeout=5)
        found = cache.get(probe) == 1
        cache.delete(probe)
        return found
    except Exception:
        return False


def checks_for(role: str) -> dict[str, bool]:
    """The role's checks, in a stable order; later ones need the database and are false without it."""
    checks = {"database": database_reachable()}
    checks["migrations"] = checks["database"] and migrations_applied()
    if settings.BROKER_URL:
        checks["broker"] = broker_reachable()
    checks["cache"] = cache_works()
    if role in ("scheduler", "worker"):
        checks[role] = checks["migrations"] and bool(heartbeats.live(role))
    return checks
