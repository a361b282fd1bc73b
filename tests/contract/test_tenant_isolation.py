"""Tenant isolation matrix: walks every route in the URL conf (not a hand-written list) and proves that a
second tenant never reaches the first tenant's objects: 403/404 on every mapped method, no data leaked,
nothing changed."""

import re

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import make

pytestmark = pytest.mark.django_db

TENANT_KWARGS = {"project_id", "environment_id", "organization_id"}
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _walk(patterns, prefix=""):
    for entry in patterns:
        regex = prefix + str(entry.pattern.regex.pattern).lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, regex)
        elif isinstance(entry, URLPattern):
            yield regex, entry.callback


def tenant_routes() -> list[tuple[str, object]]:
    routes = []
    for regex, callback in _walk(get_resolver().url_patterns):
        names = set(_GROUP.findall(regex))
        if names & TENANT_KWARGS and getattr(callback, "cls", None) and getattr(callback, "actions", None):
            routes.append((regex, callback))
    assert routes, "no tenant routes found"
    return routes


def _fill(regex: str, values: dict[str, object]) -> str:
    path = _GROUP.sub(lambda m: str(values[m.group(1)]), regex)
    return "/" + path.replace("/?", "/").replace("\\", "")


def _model_label(model) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def _values_for(regex: str, callback, tenant) -> tuple[dict, object | None]:
    names = set(_GROUP.findall(regex))
    values = {
        "project_id": tenant.project.id,
        "environment_id": tenant.team.id,
        "organization_id": tenant.organization.id,
    }
    instance = None
    lookup = getattr(callback.cls, "lookup_url_kwarg", None) or getattr(callback.cls, "lookup_field", "pk")
    if lookup in names:
        instance = make(_model_label(callback.cls.queryset.model), tenant)
        values[lookup] = getattr(
            instance, callback.cls.lookup_field if callback.cls.lookup_field != "pk" else "pk"
        )
    for name in names - TENANT_KWARGS - {lookup}:
        parent = name.removesuffix("_id")
        if instance is not None and hasattr(instance, f"{parent}_id"):
            values[name] = getattr(instance, f"{parent}_id")
        else:
            field = callback.cls.queryset.model._meta.get_field(parent)
            values[name] = make(_model_label(field.related_model), tenant).pk
    return values, instance


def _snapshot(instance):
    if instance is None:
        return None
    instance.refresh_from_db()
    return model_to_dict(instance)


def test_every_tenant_route_refuses_another_tenant(tenant, other_tenant):
    checked = 0
    for regex, callback in tenant_routes():
        values, instance = _values_for(regex, callback, tenant)
        before = _snapshot(instance)
        for method in list(callback.actions):
            # Another tenant's key against the first tenant's URL.
            foreign_url = _fill(regex, values)
            response = getattr(other_tenant.client, method)(foreign_url, {}, format="json")
            assert response.status_code in (403, 404), (method, foreign_url, response.status_code)
            assert b"Secret" not in response.content and b"secret@" not in response.content
            # Another tenant's own project in the URL, with the first tenant's object ids.
            own = dict(
                values,
                project_id=other_tenant.project.id,
                environment_id=other_tenant.team.id,
                organization_id=other_tenant.organization.id,
            )
            if instance is not None:
                own_url = _fill(regex, own)
                response = getattr(other_tenant.client, method)(own_url, {}, format="json")
                assert response.status_code in (404, 405), (method, own_url, response.status_code)
                assert b"Secret" not in response.content and b"secret@" not in response.content
            checked += 1
        assert _snapshot(instance) == before, f"{regex} changed another tenant's object"
    assert checked >= 10
