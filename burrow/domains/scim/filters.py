"""SCIM filters (RFC 7644 §3.4.2.2) on users, turned into one database query.

scim2-models parses and checks the filter against the published User schema (an unknown attribute or an
operator its type cannot take is already an `invalidFilter`); this module walks the tree it builds and writes
the matching `Q`. Attributes Burrow derives rather than stores (`emails.type`, `emails.primary`) compare as
the constants they always are, so `emails[type eq "work"]` matches everyone. `externalId` and
`meta.lastModified` are the annotations `services.visible_users` takes from the domain's `ScimUser` record;
`externalId` is case-exact (RFC 7643 §3.1)."""

from datetime import UTC, datetime
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from scim2_models import InvalidFilterException
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from burrow.core.addresses import InvalidAddress, address_key
from burrow.domains.scim.resources import ROLES, USER_SCHEMA

NOTHING = Q(pk__in=[])
EVERYTHING = ~NOTHING

# Attribute path (lower-cased) → the user's column; `scim_level` is the membership level the user queryset
# is annotated with (None: not a member).
COLUMNS = {
    "username": "email",
    "emails": "email",
    "emails.value": "email",
    "name.givenname": "first_name",
    "name.familyname": "last_name",
    "meta.created": "date_joined",
    "meta.lastmodified": "scim_modified",
    "externalid": "scim_external_id",
}
DATETIME_COLUMNS = {"date_joined", "scim_modified"}
CASE_EXACT_COLUMNS = {"scim_external_id"}
CASE_EXACT_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
}
CONSTANTS: dict[str, Any] = {"emails.type": "work", "emails.primary": True}
STRING_LOOKUPS = {
    CompareOperator.eq: "iexact",
    CompareOperator.co: "icontains",
    CompareOperator.sw: "istartswith",
    CompareOperator.ew: "iendswith",
}
ORDER_LOOKUPS = {
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}


def user_filter(node: FilterNode) -> Q:
    """The `Q` selecting the users `node` (a parsed, schema-checked filter) matches."""
    return _UserFilter().visit(node)


class _UserFilter(FilterVisitor[Q]):
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def _key(self, node: Comparison | Present) -> str:
        path = node.attr_path
        if path.uri and path.uri.lower() != USER_SCHEMA.lower():
            raise InvalidFilterException(detail=f"Unknown schema in filter: {path.uri}")
        parts = [self.prefix, path.attr, path.sub_attr or ""]
        return ".".join(part for part in parts if part).lower()

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        terms = [self.visit(term) for term in node.terms]
        return reduce(and_ if node.op == LogicalOperator.and_ else or_, terms)

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_value_path(self, node: ValuePath) -> Q:
        return _UserFilter(prefix=node.attr_path.attr).visit(node.val_filter)

    def visit_present(self, node: Present) -> Q:
        key = self._key(node)
        if key in CONSTANTS:
            return EVERYTHING if CONSTANTS[key] is not None else NOTHING
        if key in ("active", "id"):
            return EVERYTHING
        if key in ("groups", "groups.value", "groups.display"):
            return Q(scim_level__isnull=False)
        column = self._column(key)
        if column in DATETIME_COLUMNS:  # always set
            return EVERYTHING
        return ~Q(**{column: ""}) & Q(**{f"{column}__isnull": False})

    def visit_comparison(self, node: Comparison) -> Q:
        key, op, value = self._key(node), node.op, node.value
        if key in CONSTANTS:
            return EVERYTHING if _compare_constant(CONSTANTS[key], op, value) else NOTHING
        if key == "active":
            matches = Q(scim_level__isnull=not value)
            return matches if op == CompareOperator.eq else ~matches
        if key == "id":
            return self._by_id(op, value)
        if key in ("groups", "groups.value", "groups.display"):
            return self._by_role(op, value)
        column = self._column(key)
        if column == "email" and op in (CompareOperator.eq, CompareOperator.ne):
            matches = _by_address(value)
            return ~matches if op == CompareOperator.ne else matches
        if column in DATETIME_COLUMNS:
            value = _datetime(value)
            if op in ORDER_LOOKUPS:
                return Q(**{f"{column}__{ORDER_LOOKUPS[op]}": value})
            matches = Q(**{column: value})
        else:
            if op in ORDER_LOOKUPS:
                return Q(**{f"{column}__{ORDER_LOOKUPS[op]}": value})
            lookups = CASE_EXACT_LOOKUPS if column in CASE_EXACT_COLUMNS else STRING_LOOKUPS
            matches = Q(**{f"{column}__{lookups.get(op, lookups[CompareOperator.eq])}": value})
            if op == CompareOperator.ne:  # an unassigned value is not equal to anything
                return ~matches | Q(**{f"{column}__isnull": True})
        return ~matches if op == CompareOperator.ne else matches

    def _column(self, key: str) -> str:
        if key not in COLUMNS:
            raise InvalidFilterException(detail=f"Filtering on '{key}' is not supported.")
        return COLUMNS[key]

    @staticmethod
    def _by_id(op: CompareOperator, value: Any) -> Q:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="Only 'eq' and 'ne' compare ids.")
        try:
            matches = Q(pk=int(str(value)))
        except ValueError:
            matches = NOTHING
        return ~matches if op == CompareOperator.ne else matches

    @staticmethod
    def _by_role(op: CompareOperator, value: Any) -> Q:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="Only 'eq' and 'ne' compare groups.")
        level = ROLES.get(str(value).lower())
        matches = Q(scim_level=level) if level is not None else NOTHING
        if op == CompareOperator.ne:
            # Someone in no group has no value equal to it; SQL's NOT would drop them with their NULL level.
            return ~matches | Q(scim_level__isnull=True)
        return matches


def _by_address(value: Any) -> Q:
    """Equality of addresses is equality of their one stored spelling, as everywhere else in Burrow."""
    try:
        return Q(email_key=address_key(str(value)))
    except InvalidAddress:
        return NOTHING


def _compare_constant(constant: Any, op: CompareOperator, value: Any) -> bool:
    if constant is None:
        return op == CompareOperator.ne
    if isinstance(constant, str) and isinstance(value, str):
        constant, value = constant.lower(), value.lower()
    if op == CompareOperator.eq:
        return constant == value
    if op == CompareOperator.ne:
        return constant != value
    if isinstance(constant, str) and isinstance(value, str):
        return {
            CompareOperator.co: value in constant,
            CompareOperator.sw: constant.startswith(value),
            CompareOperator.ew: constant.endswith(value),
        }.get(op, False)
    return False


def _datetime(value: Any) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime):
        raise InvalidFilterException(detail=f"'{value}' is not a date and time (RFC 3339).")
    # RFC 3339 times carry an offset; one without is read as UTC rather than the server's zone.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
