"""Tenant isolation matrix: walks every route in the URL conf (not a hand-written list) and proves that a
second tenant never reaches the first tenant's objects: 403/404 on every mapped method, no data leaked,
nothing changed; and that every list, asked for the second tenant's own project, shows none of the first
tenant's rows."""

import json
import re

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import make, make_marked, new_marker

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


def _client_of(tenant, credential: str):
    """`tenant`'s key, or a browser signed in as its user that sends the CSRF token with every write."""
    if credential == "key":
        return tenant.client
    from rest_framework.test import APIClient

    tenant.user.set_password("isolation password")
    tenant.user.save(update_fields=["password"])
    browser = APIClient(enforce_csrf_checks=True)
    signed_in = browser.post(
        "/api/login", {"email": tenant.user.email, "password": "isolation password"}, format="json"
    )
    assert signed_in.status_code == 200
    browser.credentials(HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)
    return browser


def _takes_sessions(callback) -> bool:
    from burrow.core.auth import SessionAuthentication

    return any(issubclass(c, SessionAuthentication) for c in callback.cls.authentication_classes)


@pytest.mark.parametrize("credential", ["key", "session"])
def test_every_tenant_route_refuses_another_tenant(tenant, other_tenant, credential, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = _client_of(other_tenant, credential)
    checked = 0
    for regex, callback in tenant_routes():
        values, instance = _values_for(regex, callback, tenant)
        before = _snapshot(instance)
        # Every tenant route serves signed-in people as it serves keys: same checks, same refusals.
        assert _takes_sessions(callback), f"{regex} does not take sessions"
        for method in list(callback.actions):
            # Another tenant's key (or session) against the first tenant's URL.
            foreign_url = _fill(regex, values)
            response = getattr(client, method)(foreign_url, {}, format="json")
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
                response = getattr(client, method)(own_url, {}, format="json")
                assert response.status_code in (404, 405), (method, own_url, response.status_code)
                assert b"Secret" not in response.content and b"secret@" not in response.content
            checked += 1
        assert _snapshot(instance) == before, f"{regex} changed another tenant's object"
    assert checked >= 10


def _list_routes() -> list[tuple[str, object]]:
    return [(regex, callback) for regex, callback in tenant_routes() if "list" in callback.actions.values()]


def _rows(body) -> list:
    """The objects a list shows: a page's `results`, a plain list, or a single object."""
    if isinstance(body, dict):
        return body["results"] if "results" in body else [body]
    return body


def _parents(regex: str, model, tenant) -> dict[str, object]:
    """`tenant`'s own objects for the parent ids in a route (`subscription_id` → a new subscription), by the
    listed model's relation of that name."""
    return {
        name: make(_model_label(model._meta.get_field(name.removesuffix("_id")).related_model), tenant)
        for name in set(_GROUP.findall(regex)) - TENANT_KWARGS
    }


def _own_values(tenant, parents: dict[str, object]) -> dict:
    return {
        "project_id": tenant.project.id,
        "environment_id": tenant.team.id,
        "organization_id": tenant.organization.id,
        **{name: parent.pk for name, parent in parents.items()},
    }


def _with(parents: dict[str, object]) -> dict:
    return {name.removesuffix("_id"): parent for name, parent in parents.items()}


def test_every_list_shows_a_tenant_only_its_own_rows(tenant, other_tenant):
    """Tenant A's rows exist first (lower ids), each carrying a unique marker; tenant B lists its own project
    (and its own parents, such as its own subscription's deliveries) and sees its rows and none of A's."""
    routes = _list_routes()
    assert any("activity_log" in regex for regex, _ in routes), "the activity log is not walked"
    for regex, callback in routes:
        model = callback.cls.queryset.model
        label = _model_label(model)
        their_parents = [_parents(regex, model, tenant) for _ in range(2)]
        theirs = [make_marked(label, tenant, new_marker(label), **_with(p)) for p in their_parents]
        forbidden = {str(tenant.user.uuid), str(tenant.organization.id)}
        for instance in theirs:
            forbidden |= {v for v in model_to_dict(instance).values() if isinstance(v, str) and "mark-" in v}
            if not isinstance(instance.pk, int):
                forbidden.add(str(instance.pk))
        parents = _parents(regex, model, other_tenant)
        mine = make(label, other_tenant, **_with(parents))
        values = _own_values(other_tenant, parents)
        url = _fill(regex, values)

        response = other_tenant.client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        text = response.content.decode()
        leaked = sorted(s for s in forbidden if s in text)
        assert not leaked, f"{url} shows tenant A's data: {leaked}"
        rows = _rows(json.loads(text))
        shown = {str(row["id"]) for row in rows if isinstance(row, dict) and "id" in row}
        assert not {str(i.pk) for i in theirs} & shown, f"{url} lists tenant A's rows"
        if shown or not rows:  # rows without ids (a single configuration object) prove nothing here
            assert str(mine.pk) in shown, f"{url} does not list tenant B's own row {mine.pk}: {shown}"

        # B's own project, but the parents (e.g. the subscription of a delivery log) of A's rows.
        if parents:
            foreign_url = _fill(regex, dict(values, **{n: p.pk for n, p in their_parents[0].items()}))
            response = other_tenant.client.get(foreign_url)
            assert response.status_code in (200, 404), (foreign_url, response.status_code)
            leaked = sorted(s for s in forbidden if s in response.content.decode())
            assert not leaked, f"{foreign_url} shows tenant A's data: {leaked}"
