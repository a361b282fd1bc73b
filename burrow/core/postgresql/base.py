"""Django's PostgreSQL backend with a cheaper health check (settings.py names it as the ENGINE).

With `CONN_HEALTH_CHECKS` a persistent connection answers `SELECT 1` before the first query of each
request, so a connection PostgreSQL dropped (a restart, a failover) is replaced instead of failing the
request. That round trip is a fifth of the queries of a typical API read. A connection that finished a
request without a database error within the last second has just proven itself: it skips the check. A
connection dropped in that second fails one request (as any request in flight at the moment of a restart
does), and Django then closes it, so the next request reconnects."""

import time

from django.db.backends.postgresql import base

RECENTLY_HEALTHY_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    healthy_at = float("-inf")  # monotonic time of the last request it served without a database error

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and not self.health_check_done
            and time.monotonic() - self.healthy_at < RECENTLY_HEALTHY_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        # Called when a request starts and when it ends; `health_check_done` is set only if the request
        # used the connection (its first query checked or skipped the check).
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.healthy_at = time.monotonic()
        super().close_if_unusable_or_obsolete()
