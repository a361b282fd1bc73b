"""List filters shared by every app: query parameters parsed by django-filter, with PostHog's messages, and
an ordering that never repeats or skips a row between offset pages."""

import django_filters
from django import forms
from rest_framework.filters import OrderingFilter

from burrow.core.ids import parse_id


class _IdField(forms.Field):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_id(value)
        if number is None:
            raise forms.ValidationError("A valid integer is required.", code="invalid")
        return number


class _StrictChoiceField(forms.CharField):
    def __init__(self, *, choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.allowed = [value for value, _ in choices]

    def to_python(self, value):
        value = super().to_python(value)
        if value and value not in self.allowed:
            raise forms.ValidationError(f"Must be one of: {', '.join(self.allowed)}.", code="invalid")
        return value or None


class IdFilter(django_filters.Filter):
    """An object id: anything that cannot be one is a 400 naming the parameter, never a database error."""

    field_class = _IdField


class StrictChoiceFilter(django_filters.Filter):
    """One of `choices` (sorted in the message), else a 400 listing them."""

    field_class = _StrictChoiceField

    def __init__(self, *, choices: list[str], **kwargs) -> None:
        # (value, label) pairs, as django-filter's own choice filters and the OpenAPI generator expect.
        super().__init__(choices=[(value, value) for value in sorted(choices)], **kwargs)


class UUIDFilter(django_filters.UUIDFilter):
    def __init__(self, **kwargs) -> None:
        super().__init__(error_messages={"invalid": "Not a valid UUID."}, **kwargs)


class StableOrderingFilter(OrderingFilter):
    """Ties broken by id, newest first, so offset pages never repeat or skip a row."""

    def get_ordering(self, request, queryset, view) -> list[str]:
        ordering = super().get_ordering(request, queryset, view) or []
        return [*ordering, "-id"]
