"""Querysets compiled to SQL once per process, for the small reads every API request makes.

Django compiles a queryset each time it is evaluated: resolving lookups, joins, columns and converters
costs more CPU than the database spends on an indexed read of one row. The reads on every request
(the key, the project and the caller's membership, the object in the URL) always have the same shape,
so a `PreparedQuery` compiles its queryset once per database and afterwards only binds new values,
building model instances, `select_related` objects and annotations exactly as Django's own iterator does.

    KEY_BY_HASH = PreparedQuery(
        lambda p: Key.objects.select_related("user").filter(secure_value=p.secure_value)[:1],
        secure_value=str,
    )
    key = KEY_BY_HASH.first(secure_value=digest)

The builder receives stand-ins for the named values; each must reach the SQL unchanged as one parameter
(a plain `int` or `str` compared with a column), which is checked when the query is compiled. Values that
change the SQL's shape (lists for `__in`, `None`, slices) cannot be parameters."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators

# Stand-ins are chosen so that no real value of the query is likely to equal them, inside the 32-bit range
# (Django turns an out-of-range integer lookup into "no rows" without any SQL).
_INT_STAND_IN_BASE = -2_000_000_000
_STR_STAND_IN_PREFIX = "\x00burrow-prepared-"


class _StandIns:
    def __init__(self, types: dict[str, type]) -> None:
        self.values: dict[str, Any] = {}
        for index, (name, kind) in enumerate(types.items()):
            if kind is int:
                self.values[name] = _INT_STAND_IN_BASE - index
            elif kind is str:
                self.values[name] = f"{_STR_STAND_IN_PREFIX}{name}"
            else:
                raise TypeError(f"prepared query parameter {name!r}: only int and str are supported")

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(f"prepared query has no parameter {name!r}") from None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    # (position in params, parameter name, the type the backend wraps it in, e.g. psycopg's Int8, or None)
    slots: tuple[tuple[int, str, type | None], ...]
    converters: tuple
    build_row: Callable[[str, list], Any]


def _instance_builder(compiler) -> Callable[[str, list], Model]:
    """A row to a model instance with its select_related objects and annotations, as Django's
    ModelIterable builds it."""
    klass_info, select = compiler.klass_info, compiler.select
    columns = klass_info["select_fields"]
    model, model_columns = klass_info["model"], slice(columns[0], columns[-1] + 1)
    init_list = [column[0].target.attname for column in select[model_columns]]
    related_populators = get_related_populators(klass_info, select, compiler.using)
    annotation_columns = list(compiler.annotation_col_map.items())

    def build(using: str, row: list) -> Model:
        obj = model.from_db(using, init_list, row[model_columns])
        for populator in related_populators:
            populator.populate(row, obj)
        for name, position in annotation_columns:
            setattr(obj, name, row[position])
        return obj

    return build


def _dict_builder(query) -> Callable[[str, list], dict]:
    """A row to a dict, as Django's ValuesIterable builds it (for a `.values()` queryset)."""
    names = (
        list(query.selected)
        if query.selected
        else [*query.extra_select, *query.values_select, *query.annotation_select]
    )
    return lambda using, row: dict(zip(names, row, strict=True))


class PreparedQuery:
    def __init__(self, build: Callable[[Any], QuerySet], **types: type) -> None:
        self._build = build
        self._types = types
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, alias: str) -> _Compiled:
        stand_ins = _StandIns(self._types)
        queryset = self._build(stand_ins)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise TypeError("a prepared query cannot prefetch; prefetch from its results instead")
        if queryset._iterable_class not in (ModelIterable, ValuesIterable):
            raise TypeError("a prepared query gives model instances or, from .values(), dicts")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = []
        for name, stand_in in stand_ins.values.items():
            positions = [
                i for i, value in enumerate(params) if isinstance(value, type(stand_in)) and value == stand_in
            ]
            if len(positions) != 1:
                raise TypeError(f"prepared query parameter {name!r} must reach the SQL once, unchanged")
            wrapper = type(params[positions[0]])
            slots.append((positions[0], name, None if wrapper is type(stand_in) else wrapper))
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            converters=tuple(
                compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]]).items()
            ),
            build_row=_instance_builder(compiler)
            if queryset._iterable_class is ModelIterable
            else _dict_builder(queryset.query),
        )

    def all(self, using: str = "default", **values: Any) -> list:
        """Model instances, or dicts for a `.values()` queryset, in the queryset's order."""
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        params = list(compiled.params)
        for position, name, wrapper in compiled.slots:
            params[position] = values[name] if wrapper is None else wrapper(values[name])
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        results = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in compiled.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            results.append(compiled.build_row(using, row))
        return results

    def first(self, using: str = "default", **values: Any) -> Any:
        results = self.all(using, **values)
        return results[0] if results else None
