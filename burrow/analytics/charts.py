"""Server-side pictures of insights (PNG), drawn from the insight's stored `result`.

`Insight.result` format (PostHog trends style): a list of series
`[{"label": str, "data": [numbers], "labels": [x labels]}]` (`labels` optional; `days` accepted as
x labels too). The insight's `query.display` (or `query.source.display`) picks the chart: a value
containing "Bar" draws bars, "BoldNumber" the first value as a big number, anything else lines. Any other non-empty result is drawn as a table;
an empty or missing result draws an explicit "No data yet" picture."""

import hashlib
import io
import json
import threading
from typing import Any

from burrow.analytics.summaries import format_number as number_text

WIDTH_IN, HEIGHT_IN, DPI = 8, 4.5, 100
# The pages' palette (static/analytics/charts.js): a report's picture and its page look alike.
PALETTE = ["#1d4aff", "#f04f58", "#16a34a", "#f59e0b", "#9333ea", "#0891b2", "#db2777", "#65a30d"]
TEXT_COLOR, GRID_COLOR = "#1d1f27", "#dcdfe6"
TICK_FONT_SIZE = 10
MAX_X_LABELS = 8
X_LABEL_CHARS = 64  # about what fits level across the picture at TICK_FONT_SIZE
MAX_TABLE_ROWS = 12
# Agg and its font cache are not safe to share between threads; rendering is CPU-bound anyway.
_render_lock = threading.Lock()


def chart_kind(result: Any, display: str | None) -> str:
    if not result:
        return "empty"
    if _is_series(result):
        if not any(series["data"] for series in result):
            return "empty"  # series without a single point: "no data yet", not blank axes
        if display == "BoldNumber":
            return "number"
        return "bar" if display and "bar" in display.lower() else "line"
    return "table"


def display_of(query: Any) -> str | None:
    if not isinstance(query, dict):
        return None
    source = query.get("source") if isinstance(query.get("source"), dict) else {}
    for holder in (query, source, query.get("trendsFilter") or {}, source.get("trendsFilter") or {}):
        if isinstance(holder, dict) and isinstance(holder.get("display"), str):
            return holder["display"]
    return None


def content_hash(title: str, result: Any, display: str | None) -> str:
    payload = json.dumps([title, result, display], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def render_png(title: str, result: Any, display: str | None = None) -> bytes:
    """A PNG of `result`; never raises for odd data (it becomes a table). The title is not drawn: every
    place that shows the picture (a mail, Slack, a page) names the insight beside it, and `title` is only
    part of what identifies the picture (`content_hash`)."""
    with _render_lock:
        figure = draw(result, display)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()


def draw(result: Any, display: str | None = None):
    """The matplotlib figure of `result`, by the rules the pages' charts follow: the pages' palette, a legend
    whenever there are two or more series, y from 0 unless the data goes below it, readable ticks."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    kind = chart_kind(result, display)
    if kind == "empty":
        _draw_message(axes, "No data yet")
    elif kind == "number":
        _draw_message(axes, number_text(result[0]["data"][0]), fontsize=48, color=TEXT_COLOR)
    elif kind == "table":
        _draw_table(axes, result)
    else:
        _draw_series(axes, result, bars=kind == "bar")
    figure.tight_layout()
    return figure


def _is_series(result: Any) -> bool:
    return (
        isinstance(result, list)
        and all(isinstance(s, dict) and isinstance(s.get("data"), list) for s in result)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for s in result for v in s["data"])
    )


def _draw_message(axes, text: str, fontsize: int = 20, color: str = "#747ea1") -> None:
    axes.axis("off")
    axes.text(0.5, 0.5, text, ha="center", va="center", fontsize=fontsize, color=color)


def _draw_series(axes, series: list[dict], bars: bool) -> None:
    count = len(series)
    width = 0.8 / max(count, 1)
    labels: list[str] = []
    for index, item in enumerate(series):
        data = item["data"]
        x_labels = item.get("labels") or item.get("days") or []
        if len(x_labels) >= len(data) and len(x_labels) > len(labels):
            labels = [str(v) for v in x_labels[: len(data)]]
        xs = range(len(data))
        name = str(item.get("label") or f"Series {index + 1}")
        color = PALETTE[index % len(PALETTE)]
        if bars:
            xs_shifted = [x + index * width - 0.4 + width / 2 for x in xs]
            axes.bar(xs_shifted, data, width=width, label=name, color=color)
        else:
            axes.plot(list(xs), data, marker="o", markersize=3, label=name, color=color, linewidth=2)
    lowest = min((value for item in series for value in item["data"]), default=0)
    axes.set_ylim(bottom=min(0, lowest))
    if labels:
        step = -(-len(labels) // MAX_X_LABELS)  # at most MAX_X_LABELS labels, evenly spaced
        shown = labels[::step]
        crowded = sum(len(label) for label in shown) > X_LABEL_CHARS  # level labels would overlap
        axes.set_xticks(
            range(0, len(labels), step),
            shown,
            rotation=30 if crowded else 0,
            ha="right" if crowded else "center",
        )
    axes.tick_params(labelsize=TICK_FONT_SIZE, colors=TEXT_COLOR)
    axes.grid(axis="y", color=GRID_COLOR)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if count > 1:
        axes.legend(fontsize=TICK_FONT_SIZE, frameon=False)


def _draw_table(axes, result: Any) -> None:
    axes.axis("off")
    rows = table_rows(result)
    if not rows:
        _draw_message(axes, "No data yet")
        return
    shown = [[str(cell)[:40] for cell in row] for row in rows[:MAX_TABLE_ROWS]]
    width = max(len(r) for r in shown)
    shown = [r + [""] * (width - len(r)) for r in shown]
    table = axes.table(cellText=shown, loc="center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    if len(rows) > MAX_TABLE_ROWS:
        axes.text(
            0.5, 0.02, f"… {len(rows) - MAX_TABLE_ROWS} more rows", ha="center", transform=axes.transAxes
        )


def table_rows(result: Any) -> list[list[Any]]:
    if isinstance(result, dict):
        if isinstance(result.get("results"), list):
            return table_rows(result["results"])
        return [
            [k, json.dumps(v, default=str) if isinstance(v, dict | list) else v] for k, v in result.items()
        ]
    if isinstance(result, list):
        rows: list[list[Any]] = []
        for item in result:
            if isinstance(item, dict):
                if not rows:
                    rows.append(list(item.keys()))
                rows.append([item.get(k) for k in rows[0]])
            elif isinstance(item, list | tuple):
                rows.append(list(item))
            else:
                rows.append([item])
        return rows
    return [[result]]
