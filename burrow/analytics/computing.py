"""Insights whose query is SQL, computed from their data source by the query engine (burrow.queries). One
computation gives the chart, the text beside it and the rows, so a picture and its words never disagree.
An insight whose query is not SQL keeps the `result` a client stored."""

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection

from burrow.analytics.insight_queries import (
    InsightQuery,
    InsightQueryError,
    chart_result,
    parse_insight_query,
)
from burrow.analytics.models import Insight
from burrow.analytics.summaries import text_summary
from burrow.core.models import Team
from burrow.queries import execution
from burrow.queries.errors import QueryError, TooManyQueries

logger = logging.getLogger(__name__)
# As many at once as an environment may run (more would only wait for a slot, or be refused).
MAX_PARALLEL = execution.MAX_RUNNING_PER_ENVIRONMENT
COULD_NOT_COMPUTE = "This insight could not be computed: {reason}"


@dataclass
class Computed:
    """One computation of an insight: `result` is what charts draw; `columns`, `types` and `rows` what the
    query answered; `error` says why there is nothing (then the rest is empty)."""

    spec: InsightQuery | None
    result: Any = None
    columns: list[str] = field(default_factory=list)
    types: list[list[str]] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    last_refresh: str | None = None
    is_cached: bool = False
    query_status: dict | None = None
    error: str | None = None

    @property
    def has_answer(self) -> bool:
        return self.error is None and self.last_refresh is not None

    def answer_fields(self) -> dict[str, Any]:
        """The answer as the reference shows a SQL insight: the rows in `result`, their columns and types
        beside, when they were computed and whether from the cache."""
        return {
            "result": self.rows if self.has_answer else None,
            "columns": self.columns or None,
            "types": self.types or None,
            "last_refresh": self.last_refresh,
            "is_cached": self.is_cached,
        }

    @property
    def cache_target_age(self) -> str | None:
        """When the answer stops counting as fresh (BURROW_QUERY_CACHE_SECONDS after it was computed)."""
        if self.last_refresh is None:
            return None
        computed_at = datetime.fromisoformat(self.last_refresh)
        return (computed_at + timedelta(seconds=settings.QUERY_CACHE_SECONDS)).isoformat()


def is_computed(insight: Insight) -> bool:
    """Whether the insight's numbers come from its query (else from its stored `result`)."""
    try:
        return parse_insight_query(insight.query) is not None
    except InsightQueryError:
        return True  # a SQL query stored before it was validated: computing it says what is wrong


def compute(insight: Insight, refresh: str = "blocking", slot_wait: float = 0) -> Computed | None:
    """The insight computed per `refresh` (the query API's modes), or None when its query is not SQL;
    `slot_wait` as for the query API (background work waits for a slot, a page or API call does not)."""
    try:
        spec = parse_insight_query(insight.query)
    except InsightQueryError as error:
        return Computed(None, error=COULD_NOT_COMPUTE.format(reason=error.message))
    if spec is None:
        return None
    try:
        answer = execution.run_query(
            insight.team, spec.sql, source_id=insight.data_source_id, refresh=refresh, slot_wait=slot_wait
        )
        if "results" not in answer:  # a cache-only or background mode without an answer yet
            return Computed(spec, query_status=answer.get("query_status"))
        columns, types, rows = answer["columns"], answer["types"], answer["results"]
        return Computed(
            spec,
            result=chart_result(spec, columns, types, rows),
            columns=columns,
            types=types,
            rows=rows,
            summary=text_summary(spec, columns, types, rows),
            last_refresh=answer.get("last_refresh"),
            is_cached=bool(answer.get("is_cached")),
            query_status=answer.get("query_status"),
        )
    except (QueryError, InsightQueryError) as error:
        return Computed(spec, error=COULD_NOT_COMPUTE.format(reason=error.message))
    except TooManyQueries as busy:
        return Computed(spec, error=COULD_NOT_COMPUTE.format(reason=str(busy)))


def compute_all(
    insights: Sequence[Insight], refresh: str = "blocking", slot_wait: float = 0
) -> dict[int, Computed | None]:
    """Each insight whose query is SQL computed once (see `compute`), keyed by id, at most MAX_PARALLEL at a
    time; insights of other queries are left out. Inside a transaction they are computed one after the other
    in this thread: another thread's connection would not see what the transaction has not committed."""
    insights = [insight for insight in insights if is_computed(insight)]
    if not insights:
        return {}
    teams = Team.objects.in_bulk({insight.team_id for insight in insights})  # one query, not one per insight
    for insight in insights:
        insight.team = teams[insight.team_id]
    if len(insights) < 2 or connection.in_atomic_block:
        return {insight.id: compute(insight, refresh, slot_wait) for insight in insights}
    with ThreadPoolExecutor(
        max_workers=min(MAX_PARALLEL, len(insights)), thread_name_prefix="insight"
    ) as pool:
        computed = list(pool.map(lambda insight: _compute_in_thread(insight, refresh, slot_wait), insights))
    return {insight.id: item for insight, item in zip(insights, computed, strict=True)}


def _compute_in_thread(insight: Insight, refresh: str, slot_wait: float) -> Computed | None:
    try:
        return compute(insight, refresh, slot_wait)
    except Exception:  # one insight's surprise must not take the others' numbers with it
        logger.exception("insight computation crashed", extra={"insight_id": insight.id})
        return Computed(
            None, error=COULD_NOT_COMPUTE.format(reason="an unexpected error (see the server log)")
        )
    finally:
        connection.close()  # this thread's own
