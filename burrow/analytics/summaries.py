"""Short plain-text lines that describe a SQL insight's answer, for readers who do not get the picture:
email text, Slack, screen readers, phone notifications. They describe the same columns the chart draws
(the choice is insight_queries._chart_layout's), with NULL shown as "–" rather than the chart's 0."""

import json
from collections.abc import Sequence
from typing import Any

from burrow.analytics.insight_queries import InsightQuery, _chart_layout

MAX_LINE_CHARS = 199  # every line stays under 200 characters
MAX_SERIES_LINES = 5
MAX_CATEGORIES = 5
SEPARATOR = " · "
NO_DATA = "No data"
NULL_TEXT = "–"


def text_summary(
    spec: InsightQuery, columns: list[str], types: list[list[str]], rows: list[list], max_rows: int = 3
) -> list[str]:
    """Lines describing the answer: per series over time its last value and the change against the previous
    point; per series over categories its first values;
    for BoldNumber the number; for a table a header line and the first `max_rows` rows. Raises
    InsightQueryError as chart_result does (the chart settings name a column the answer lacks)."""
    layout = _chart_layout(spec, columns, types, rows)
    if layout.kind == "empty":
        return [NO_DATA]
    if layout.kind == "number":
        label, values = layout.series[0]
        lines = [f"{label}: {_format_value(values[0])}"]
    elif layout.kind == "series":
        describe = _series_line if layout.x_is_time else _categories_line
        lines = [describe(label, values, layout.x_labels) for label, values in layout.series]
        if len(lines) > MAX_SERIES_LINES:
            lines = lines[:MAX_SERIES_LINES] + [f"… and {len(lines) - MAX_SERIES_LINES} more series"]
    else:
        lines = _table_lines(columns, rows, max(max_rows, 0))
    return [_fit(line) for line in lines]


def _format_value(value: Any) -> str:
    """A cell as one line of text: integers with thousands separators, floats with at most two decimals,
    NULL as "–", lists and objects as JSON, line breaks as spaces."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, default=str, ensure_ascii=False)
    return " ".join(str(value).split())


def format_number(value: float | int, decimals: int = 2) -> str:
    """1234567 → "1,234,567"; 1234.5 → "1,234.5"; 0.125 → "0.13" (at most `decimals` decimals): as text and
    as a big-number chart show a number."""
    if isinstance(value, int):
        return f"{value:,}"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _series_line(label: str, values: Sequence[float | int | None], x_labels: Sequence[str]) -> str:
    """ "signups: 1,234 on 2024-01-03 (▲ +12.5% vs 2024-01-02)"; no comparison with a single point or NULL."""
    line = f"{label}: {_format_value(values[-1])} on {x_labels[-1]}"
    if len(values) < 2 or values[-1] is None or values[-2] is None:
        return line
    previous, last = values[-2], values[-1]
    if last == previous:
        return f"{line} (= 0% vs {x_labels[-2]})"
    if previous == 0:
        return f"{line} (previous 0)"  # no percentage of nothing
    percent = (last - previous) / abs(previous) * 100
    arrow, sign = ("▲", "+") if percent > 0 else ("▼", "-")
    amount = format_number(round(abs(percent), 1), decimals=1)
    return f"{line} ({arrow} {sign}{'<0.1' if amount == '0' else amount}% vs {x_labels[-2]})"


def _categories_line(label: str, values: Sequence[float | int | None], x_labels: Sequence[str]) -> str:
    """ "pageviews: Chrome 4,932 · Safari 1,608 · Firefox 828": categories have no "previous point"."""
    pairs = zip(x_labels[:MAX_CATEGORIES], values[:MAX_CATEGORIES], strict=True)
    shown = SEPARATOR.join(f"{x} {_format_value(v)}" for x, v in pairs)
    more = f" … and {len(values) - MAX_CATEGORIES} more" if len(values) > MAX_CATEGORIES else ""
    return f"{label}: {shown}{more}"


def _table_lines(columns: Sequence[str], rows: Sequence[Sequence], max_rows: int) -> list[str]:
    lines = [SEPARATOR.join(_format_value(name) for name in columns)]
    for row in rows[:max_rows]:
        lines.append(
            SEPARATOR.join(_format_value(row[i] if i < len(row) else None) for i in range(len(columns)))
        )
    if len(rows) > max_rows:
        hidden = len(rows) - max_rows
        lines.append(f"… {hidden} more {'row' if hidden == 1 else 'rows'}")
    return lines


def _fit(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"
