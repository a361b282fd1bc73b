"""Dashboard tiles as pages show them (share pages, members' pages): each insight's chart prepared for the
browser to draw, and the rendered tiles (`analytics/includes/tile.html`) kept per process.

A tile shows what its insight held when it was last saved, drawn with the page's flags, so each web worker
renders it once and reuses the HTML until the insight changes (`Insight.last_modified_at` moves on every
save). A share page then costs one small query for its tiles' places and versions, plus the insights whose
tiles are not rendered yet. Only HTML is kept, nothing about who may see it: a share or a member is
authorised before the page is built.

Charts are drawn in the browser (uPlot), never here: only the pure helpers of `analytics.charts` are used,
so a web worker never imports matplotlib."""

import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from burrow.analytics.charts import chart_kind, display_of, number_text, table_rows
from burrow.analytics.computing import Computed, compute_all
from burrow.analytics.models import INSIGHT_CONTENT_FIELDS, DashboardTile, Insight

# A page stays a page: beyond these a chart or table is cut (the JSON export keeps everything).
MAX_SERIES = 50
MAX_POINTS = 2000
MAX_TABLE_ROWS = 50
MAX_CELL_LENGTH = 200
TILE_TEMPLATE = "analytics/includes/tile.html"
CACHE_SIZE = 512  # tiles; a few MB at most, as larger tiles than MAX_CACHED_LENGTH are not kept
MAX_CACHED_LENGTH = 64 * 1024
# What a tile shows of its insight, and the version its rendered HTML is kept under.
INSIGHT_FIELDS = (*INSIGHT_CONTENT_FIELDS, "last_modified_at", "team", "data_source")


@dataclass(frozen=True)
class TileFlags:
    """The page settings a tile's HTML depends on."""

    legend: bool
    detailed: bool
    show_details: bool
    show_title: bool = True  # a shared insight's own page shows its title in its tile


_rendered: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()


def placed_insights(dashboard_id: int) -> list[tuple[Insight, bool]]:
    """A dashboard's live tiles in layout order (as the dashboard API orders them): each insight with only
    its id, version and query loaded (the query says whether it is computed), and whether the tile spans the
    row."""
    tiles = (
        DashboardTile.objects.filter(dashboard_id=dashboard_id, deleted=False, insight__deleted=False)
        .select_related("insight")
        .only(
            "id",
            "layouts",
            "insight",
            "insight__team",
            "insight__last_modified_at",
            "insight__query",
            "insight__data_source",
        )
        .order_by("id")  # tiles at the same place keep the order they were added in
    )
    return [(tile.insight, _is_wide(tile.layouts)) for tile in sorted(tiles, key=lambda t: t.layout_position)]


def rendered_tiles(
    placed: list[tuple[Insight, bool]], flags: TileFlags, refresh: str = "blocking"
) -> list[str]:
    """The HTML of each (insight, wide) in order. Insights whose query is SQL are computed per `refresh`
    (from the cache while it is fresh); the rest show their stored result. Insights whose tiles are not
    rendered yet are loaded in one query, unless they come fully loaded."""
    computed = compute_all([insight for insight, _ in placed], refresh)
    keys = [
        (insight.id, insight.last_modified_at, _answer_version(computed.get(insight.id)), wide, flags)
        for insight, wide in placed
    ]
    with _lock:
        found = {key: _rendered[key] for key in keys if key in _rendered}
        for key in found:
            _rendered.move_to_end(key)
    missing = {
        insight.id: insight for (insight, _), key in zip(placed, keys, strict=True) if key not in found
    }
    to_load = [insight_id for insight_id, insight in missing.items() if not _loaded(insight)]
    if to_load:
        missing.update({i.id: i for i in Insight.objects.filter(id__in=to_load).only(*INSIGHT_FIELDS)})
    for key in keys:
        if key in found:
            continue
        insight = missing.get(key[0])
        if insight is None or not _loaded(insight):
            found[key] = ""  # deleted since its tile was read
            continue
        answer = computed.get(insight.id)
        html = render_to_string(TILE_TEMPLATE, tile_context(insight, key[3], flags, answer))
        found[key] = html
        # Under the version just read: newer than the key's if the insight changed in between.
        _remember((insight.id, insight.last_modified_at, key[2], key[3], flags), html)
    return [found[key] for key in keys]


def _answer_version(answer: Computed | None) -> tuple:
    """What a computed tile's HTML depends on besides the insight: its answer and the minute its age is
    told in."""
    if answer is None:
        return ()
    return (answer.last_refresh, answer.error, _minutes_ago(answer))


def _minutes_ago(answer: Computed) -> int | None:
    if answer.last_refresh is None:
        return None
    age = timezone.now() - datetime.fromisoformat(answer.last_refresh)
    return max(0, int(age.total_seconds() // 60))


def forget_rendered_tiles() -> None:
    with _lock:
        _rendered.clear()


def tile_context(
    insight: Insight, wide: bool, flags: TileFlags, answer: Computed | None = None
) -> dict[str, Any]:
    """What the tile template shows: the stored result, or what the insight's query computed (`answer`):
    its chart, its numbers as text, how long ago it was computed, or why it could not be."""
    result = insight.result if answer is None else answer.result
    chart = chart_for(result, display_of(insight.query))
    return {
        "tile": {
            "title": insight.display_name,
            "description": insight.description,
            "chart": chart,
            "wide": wide,
            "computed": answer is not None,
            "minutes_ago": _minutes_ago(answer) if answer else None,
            "error": answer.error if answer else None,
            # A chart's numbers as text (a table or a big number already is text).
            "summary": answer.summary if answer and chart["kind"] in ("line", "bar") else [],
        },
        "legend": flags.legend,
        "detailed": flags.detailed,
        "show_details": flags.show_details,
        "show_title": flags.show_title,
    }


def chart_for(result: Any, display: str | None) -> dict[str, Any]:
    """What `analytics/includes/chart.html` draws: a line or bar chart (a JSON spec for the browser, plus
    the values for the detailed table), a big number, a table of a non-series result, or "No data yet"."""
    kind = chart_kind(result, display)
    if kind == "number":
        return {"kind": "number", "value": number_text(result[0]["data"][0]), "label": result[0].get("label")}
    if kind == "table":
        rows = table_rows(result)
        return {
            "kind": "table",
            "rows": [[cell(value) for value in row] for row in rows[:MAX_TABLE_ROWS]],
            "truncated": max(0, len(rows) - MAX_TABLE_ROWS),
        }
    if kind == "empty":
        return {"kind": "empty"}
    series = [
        {
            "label": str(item.get("label") or f"Series {index + 1}"),
            "data": [value if math.isfinite(value) else None for value in item["data"][:MAX_POINTS]],
        }
        for index, item in enumerate(result[:MAX_SERIES])
    ]
    labels = _x_labels(result[:MAX_SERIES], max(len(s["data"]) for s in series))
    spec = {"kind": kind, "labels": labels, "series": series}
    return {
        "kind": kind,
        "spec": json.dumps(spec, separators=(",", ":"), allow_nan=False),
        "labels": labels,
        "series": series,
    }


def cell(value: Any) -> str:
    """A value as one table cell shows it: nested values as JSON, cut at MAX_CELL_LENGTH."""
    text = json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
    return text if len(text) <= MAX_CELL_LENGTH else text[: MAX_CELL_LENGTH - 1] + "…"


def _x_labels(series: list[dict], length: int) -> list[str]:
    """The longest `labels` (or `days`) list that covers a series' points, else positions 1…n."""
    best: list[str] = []
    for item in series:
        labels = item.get("labels") or item.get("days") or []
        if isinstance(labels, list) and len(labels) >= len(item["data"]) and len(labels) > len(best):
            best = [str(label) for label in labels[: len(item["data"])]]
    best = best[:length]
    return best + [str(position) for position in range(len(best) + 1, length + 1)]


def _is_wide(layouts: Any) -> bool:
    """Tiles wider than half the 12-column grid span the page."""
    small = layouts.get("sm") if isinstance(layouts, dict) and isinstance(layouts.get("sm"), dict) else {}
    width = small.get("w")
    return isinstance(width, int | float) and not isinstance(width, bool) and width > 6


def _loaded(insight: Insight) -> bool:
    return not insight.get_deferred_fields() & set(INSIGHT_FIELDS)


def _remember(key: tuple, html: str) -> None:
    if len(html) > MAX_CACHED_LENGTH:
        return
    with _lock:
        _rendered[key] = html
        _rendered.move_to_end(key)
        while len(_rendered) > CACHE_SIZE:
            _rendered.popitem(last=False)
