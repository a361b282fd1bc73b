"""Insights whose query is SQL: which stored queries Burrow computes, and how a query answer becomes the
`Insight.result` that charts.py draws.

Two shapes of the reference are computed: a bare `{"kind": "HogQLQuery", "query": SQL}` (drawn as a table)
and `{"kind": "DataVisualizationNode", "source": {"kind": "HogQLQuery", "query": SQL}, "display": ...,
"chartSettings": {"xAxis": {"column": ...}, "yAxis": [{"column": ...}, ...]}}`. Any other query (trends,
funnels, …) keeps the result a client stored.

Which columns become the x axis and the series is decided once, by `_chart_layout`, so the picture and the
text beside it (summaries.py) always describe the same numbers."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DISPLAYS = ("ActionsLineGraph", "ActionsBar", "ActionsAreaGraph", "BoldNumber", "ActionsTable")
SERIES_DISPLAYS = ("ActionsLineGraph", "ActionsBar", "ActionsAreaGraph")
DEFAULT_DISPLAY = "ActionsTable"
MISSING_LABEL = "–"  # an x value that is NULL

# Type names (lower case, Nullable(...)/LowCardinality(...) removed) that hold numbers: DuckDB, ClickHouse,
# PostgreSQL. "interval", "boolean" and "bool" are deliberately not numbers.
_NUMERIC_TYPE = re.compile(
    r"^(u?int(8|16|32|64|128|256)?|int[248]|integer|uinteger|u?bigint|u?smallint|u?tinyint|u?hugeint"
    r"|float(4|8|32|64)?|double( precision)?|real|decimal(32|64|128|256)?|numeric|number"
    r"|smallserial|serial|bigserial)(\s*\(.*\))?$"
)
_TYPE_WRAPPER = re.compile(r"^(nullable|lowcardinality)\((.*)\)$")
# A number written as text, as some drivers send DECIMAL/NUMERIC values.
_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_INTEGER_TEXT = re.compile(r"^[-+]?\d+$")
_NOT_A_NUMBER = object()


class InsightQueryError(Exception):
    """An insight query Burrow cannot compute; `attr` is the path into the request body (DRF style,
    e.g. "query__source__query")."""

    def __init__(self, message: str, attr: str) -> None:
        super().__init__(message)
        self.message = message
        self.attr = attr


@dataclass(frozen=True)
class InsightQuery:
    """A SQL insight: the SQL to run, how to draw it, and the chart settings' columns (None / () when the
    settings name none, meaning the defaults)."""

    sql: str
    display: str
    x_column: str | None = None
    y_columns: tuple[str, ...] = ()


def parse_insight_query(query: object) -> InsightQuery | None:
    """The SQL insight `query` describes, or None when it is not one Burrow computes (it keeps its stored
    result). Raises InsightQueryError when it is a SQL insight that cannot be computed as stored."""
    if not isinstance(query, dict):
        return None
    kind = query.get("kind")
    if kind == "HogQLQuery":
        return InsightQuery(sql=_sql(query.get("query"), "query__query"), display=DEFAULT_DISPLAY)
    if kind != "DataVisualizationNode":
        return None
    source = query.get("source")
    if not isinstance(source, dict):
        raise InsightQueryError("A data visualization needs a source: a HogQLQuery.", "query__source")
    if source.get("kind") != "HogQLQuery":
        raise InsightQueryError(
            f"The source of a data visualization must be a HogQLQuery, not {source.get('kind')!r}.",
            "query__source__kind",
        )
    x_column, y_columns = _chart_settings(query.get("chartSettings"))
    return InsightQuery(
        sql=_sql(source.get("query"), "query__source__query"),
        display=_display(query.get("display")),
        x_column=x_column,
        y_columns=y_columns,
    )


def chart_result(spec: InsightQuery, columns: list[str], types: list[list[str]], rows: list[list]) -> list:
    """The query answer as `Insight.result`: series `[{"label", "data", "labels"}]` for line, bar and area
    charts, one series with `aggregated_value` for BoldNumber, and one dict per row (keyed by column name,
    in column order) for tables and for answers without a numeric column to draw. NULL numbers count as 0
    in series. Raises InsightQueryError when the chart settings name a column the answer lacks."""
    layout = _chart_layout(spec, columns, types, rows)
    if layout.kind == "empty":
        return []
    if layout.kind == "table":
        keys = _unique_names(columns)
        return [{key: _cell(row, index) for index, key in enumerate(keys)} for row in rows]
    if layout.kind == "number":
        value = _zero_if_none(layout.series[0][1][0])
        return [{"label": layout.series[0][0], "data": [value], "labels": [], "aggregated_value": value}]
    return [
        {"label": label, "data": [_zero_if_none(v) for v in values], "labels": list(layout.x_labels)}
        for label, values in layout.series
    ]


@dataclass(frozen=True)
class _ChartLayout:
    """What an answer draws as. `kind` is "empty", "table", "number" or "series"; `series` holds
    (label, numbers with None for NULL) and `x_labels` the x values as text (series only)."""

    kind: str
    x_labels: tuple[str, ...] = ()
    series: tuple[tuple[str, tuple[float | int | None, ...]], ...] = ()
    x_is_time: bool = False  # x holds dates or times (a trend), not categories


def _chart_layout(
    spec: InsightQuery,
    columns: Sequence[str],
    types: Sequence[Sequence[str]] | None,
    rows: Sequence[Sequence],
) -> _ChartLayout:
    """The one place that picks the x column and the series columns of an answer (charts and summaries both
    use it). Defaults: x is the first column; series are every other numeric column; BoldNumber shows the
    first numeric column. Without a numeric column to draw, the answer is a table."""
    if not rows or not columns:
        return _ChartLayout("empty")
    if spec.display not in SERIES_DISPLAYS and spec.display != "BoldNumber":
        return _ChartLayout("table")
    numbers_of = {}  # column index -> its values as numbers, for numeric columns

    def numbers(index: int) -> tuple | None:
        if index not in numbers_of:
            numbers_of[index] = _numeric_values(rows, index, _column_type(columns, types, index))
        return numbers_of[index]

    if spec.y_columns:
        y_indexes = [_column_index(columns, name) for name in spec.y_columns]
        for name, index in zip(spec.y_columns, y_indexes, strict=True):
            if numbers(index) is None:
                raise InsightQueryError(
                    f"Column '{name}' does not hold numbers, so it cannot be drawn on the y axis.",
                    "query__chartSettings__yAxis",
                )
    if spec.display == "BoldNumber":
        if not spec.y_columns:
            y_indexes = [index for index in range(len(columns)) if numbers(index) is not None][:1]
        if not y_indexes:
            return _ChartLayout("table")
        index = y_indexes[0]
        return _ChartLayout("number", series=((columns[index], numbers(index)[:1]),))
    x_index = _column_index(columns, spec.x_column) if spec.x_column is not None else 0
    if not spec.y_columns:
        y_indexes = [i for i in range(len(columns)) if i != x_index and numbers(i) is not None]
    if not y_indexes:
        return _ChartLayout("table")
    x_labels = tuple(_label(_cell(row, x_index)) for row in rows)
    x_type = (_column_type(columns, types, x_index) or "").lower()
    x_is_time = "date" in x_type or "time" in x_type or all(_ISO_DATE.match(label) for label in x_labels)
    return _ChartLayout("series", x_labels, tuple((columns[i], numbers(i)) for i in y_indexes), x_is_time)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}.*)?$")


def _sql(value: object, attr: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InsightQueryError("The SQL query must be a non-empty string.", attr)
    return value


def _display(value: object) -> str:
    if value is None:
        return DEFAULT_DISPLAY
    if value not in DISPLAYS:
        raise InsightQueryError(
            f"Unknown display {value!r}; use one of {', '.join(DISPLAYS)}.", "query__display"
        )
    return value


def _chart_settings(settings: object) -> tuple[str | None, tuple[str, ...]]:
    """The x column and y columns named by a DataVisualizationNode's chartSettings (other keys ignored)."""
    if settings is None:
        return None, ()
    if not isinstance(settings, dict):
        raise InsightQueryError("chartSettings must be an object.", "query__chartSettings")
    x_axis = settings.get("xAxis")
    x_column = None
    if x_axis is not None:
        if not isinstance(x_axis, dict) or not _is_name(x_axis.get("column")):
            raise InsightQueryError(
                'xAxis must be an object with a column name, like {"column": "day"}.',
                "query__chartSettings__xAxis",
            )
        x_column = x_axis["column"]
    y_axis = settings.get("yAxis")
    if y_axis is None:
        return x_column, ()
    if not isinstance(y_axis, list):
        raise InsightQueryError(
            'yAxis must be a list of objects with a column name, like [{"column": "signups"}].',
            "query__chartSettings__yAxis",
        )
    y_columns = []
    for position, item in enumerate(y_axis, start=1):
        if not isinstance(item, dict) or not _is_name(item.get("column")):
            raise InsightQueryError(
                f"yAxis item {position} must be an object with a column name.", "query__chartSettings__yAxis"
            )
        y_columns.append(item["column"])
    return x_column, tuple(y_columns)


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _column_index(columns: Sequence[str], name: str) -> int:
    try:
        return list(columns).index(name)
    except ValueError:
        raise InsightQueryError(
            f"The chart settings name column '{name}', which the query no longer returns.",
            "query__chartSettings",
        ) from None


def _column_type(columns: Sequence[str], types: Sequence[Sequence[str]] | None, index: int) -> str | None:
    """The database's type name for column `index` (types are [name, type] pairs in column order)."""
    pairs = [pair for pair in types or () if isinstance(pair, list | tuple) and len(pair) >= 2]
    if index < len(pairs) and pairs[index][0] == columns[index]:
        type_name = pairs[index][1]
    else:  # not in column order: look it up by name
        type_name = next((pair[1] for pair in pairs if pair[0] == columns[index]), None)
    return type_name if isinstance(type_name, str) else None


def _is_numeric_type(type_name: str | None) -> bool:
    if type_name is None:
        return False
    name = type_name.strip().lower()
    while match := _TYPE_WRAPPER.match(name):
        name = match.group(2).strip()
    return bool(_NUMERIC_TYPE.match(name))


def _numeric_values(rows: Sequence[Sequence], index: int, type_name: str | None) -> tuple | None:
    """Column `index` as numbers (None for NULL), or None when it is not a numeric column. A column whose
    type is numeric may carry numbers as text (DECIMAL); without such a type every value must be a number or
    NULL, and at least one a number."""
    typed = _is_numeric_type(type_name)
    values = []
    for row in rows:
        value = _as_number(_cell(row, index), text_allowed=typed)
        if value is _NOT_A_NUMBER:
            return None
        values.append(value)
    if not typed and all(value is None for value in values):
        return None
    return tuple(values)


def _as_number(value: Any, text_allowed: bool) -> Any:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if text_allowed and isinstance(value, str) and _NUMBER_TEXT.match(value):
        text = value.strip()
        return int(text) if _INTEGER_TEXT.match(text) else float(text)
    return _NOT_A_NUMBER


def _cell(row: Sequence, index: int) -> Any:
    return row[index] if index < len(row) else None


def _label(value: Any) -> str:
    return MISSING_LABEL if value is None else str(value)


def _zero_if_none(value: float | int | None) -> float | int:
    return 0 if value is None else value


def _unique_names(columns: Sequence[str]) -> list[str]:
    """Column names as table keys: a repeated name gets " (2)", " (3)"… so no column is lost."""
    keys: list[str] = []
    for name in columns:
        key, count = str(name), 1
        while key in keys:
            count += 1
            key = f"{name} ({count})"
        keys.append(key)
    return keys
