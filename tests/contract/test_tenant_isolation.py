"""Tenant isolation matrix: walks every route in the URL conf (not a hand-written list) and proves that a
neighbour never reaches a tenant's objects. Neighbours are a tenant of another organization and, inside the
same organization and for the same person, another project and another environment of the same project.

For every mapped method, with a key, a key scoped to the caller's own project and a session: the caller's
own URL naming the victim's object ids is 404; the victim's URL is 403 for whoever may not enter it; no byte
of the victim's data is shown and none of the victim's rows changes. Every list shows a tenant only its own
rows. Body references (an id of the neighbour's object in a request body) are in
test_tenant_isolation_bodies.py."""

import json
import re

import pytest
from django.apps import apps
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import FACTORIES, make, make_marked, new_marker

pytestmark = pytest.mark.django_db

TENANT_KWARGS = {"project_id", "environment_id", "organization_id"}
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")

CREDENTIALS = ["key", "scoped key", "session"]

# Organization routes belong to no project: a sibling project or environment is the same organization and
# rightly reaches them, so only another organization is tested there. A new organization route fails the
# matrix until it is named here with the reason.
WITHOUT_SIBLING = {
    "OrganizationDomainViewSet": "an organization's domains serve all its projects",
    "OrganizationIntegrationViewSet": "organization integrations serve all its projects",
    "ProxyRecordViewSet": "an organization's proxy records serve all its projects",
}
# Routes whose URL id is never looked up: any id is answered with the caller's own project's data.
ANSWERS_ANY_ID = {
    "RecordingSharingViewSet": "recording ids are not looked up (as PostHog): the caller's project answers "
    "with its own sharing of that id, never the neighbour's",
}
# URL kwargs that name an object by another field than its primary key.
URL_FIELDS = {"recording_id": "session_id", "query_id": "query_id"}
# Models whose API `id` is another field than the primary key.
LISTED_ID_FIELDS = {"recordings.Recording": "session_id"}


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


def _related_label(model, kwarg: str) -> str:
    return _model_label(model._meta.get_field(kwarg.removesuffix("_id")).related_model)


def _tenant_values(tenant) -> dict:
    return {
        "project_id": tenant.project.id,
        "environment_id": tenant.team.id,
        "organization_id": tenant.organization.id,
    }


def _is_organization_route(regex: str) -> bool:
    return "organization_id" in _GROUP.findall(regex)


def _marked(label: str, tenant, **fields):
    return make_marked(label, tenant, new_marker(label), **fields)


def _with(parents: dict[str, object]) -> dict:
    return {name.removesuffix("_id"): parent for name, parent in parents.items()}


def _victims_objects(regex: str, callback, victim) -> dict[str, object]:
    """The victim's objects, carrying markers, for each object id in the route's URL ({kwarg: object})."""
    names = set(_GROUP.findall(regex)) - TENANT_KWARGS
    model = callback.cls.queryset.model
    lookup = callback.cls.lookup_url_kwarg or callback.cls.lookup_field
    objects = {name: _marked(_related_label(model, name), victim) for name in names - {lookup}}
    if lookup == "password_id" and lookup in names:
        # The sharing routes look up a password of the shared resource's configuration.
        config = make("sharing.SharingConfiguration", victim, password_required=True, **_with(objects))
        objects[lookup] = _marked("sharing.SharePassword", victim, sharing_configuration=config)
    elif lookup in names:
        objects[lookup] = _marked(_model_label(model), victim, **_with(objects))
    return objects


def _markers(objects) -> set[str]:
    found = set()
    for obj in objects:
        found |= {v for v in model_to_dict(obj).values() if isinstance(v, str) and "mark-" in v}
    return found


def _holdings(victim) -> dict[str, list[dict]]:
    """Every row the victim owns in every model the factories make: a write that got through shows here."""
    rows = {}
    for label in FACTORIES:
        model = apps.get_model(label)
        fields = {f.name for f in model._meta.get_fields()}
        if "team" in fields:
            owner = {"team": victim.team}
        elif "organization" in fields:
            owner = {"organization": victim.organization}
        else:
            owner = {"sharing_configuration__team": victim.team}
        rows[label] = list(model.objects.filter(**owner).order_by("pk").values())
    return rows


def _client_of(tenant, credential: str):
    """`tenant`'s key, a key scoped to its project only, or a browser signed in as its user that sends the
    CSRF token with every write."""
    from rest_framework.test import APIClient

    from burrow.core.keys import create_personal_api_key
    from tests.conftest import client_for

    if credential == "key":
        return tenant.client
    if credential == "scoped key":
        _, value = create_personal_api_key(tenant.user, "scoped", ["*"], scoped_teams=[tenant.team.id])
        return client_for(value)
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


def _refusal_on_victims_url(kind: str, credential: str) -> int | None:
    """Another organization's member is refused anything; inside the organization only a key scoped to
    another project is (the person is a member of every project of the organization)."""
    return 403 if kind == "another organization" or credential == "scoped key" else None


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_every_tenant_route_refuses_a_neighbours_objects(neighbours, credential, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    kind, caller, victim = neighbours
    client = _client_of(caller, credential)
    checked = 0
    for regex, callback in tenant_routes():
        # Every tenant route serves signed-in people as it serves keys: same checks, same refusals.
        assert _takes_sessions(callback), f"{regex} does not take sessions"
        view = callback.cls.__name__
        if kind != "another organization" and _is_organization_route(regex):
            assert view in WITHOUT_SIBLING, f"{regex}: organization route missing from WITHOUT_SIBLING"
            continue
        objects = _victims_objects(regex, callback, victim)
        ids = {name: getattr(obj, URL_FIELDS.get(name, "pk")) for name, obj in objects.items()}
        forbidden = (_markers(objects.values()) - {str(i) for i in ids.values()}) | {"Secret", "secret@"}
        before = _holdings(victim)
        victims_url = _fill(regex, {**_tenant_values(victim), **ids})
        own_url = _fill(regex, {**_tenant_values(caller), **ids})
        refusal = _refusal_on_victims_url(kind, credential)
        for method in list(callback.actions):
            answers = []
            if refusal and victims_url != own_url:
                answers.append(response := getattr(client, method)(victims_url, {}, format="json"))
                assert response.status_code == refusal, (method, victims_url, response.status_code)
            if ids:  # the caller's own project, naming the victim's objects
                answers.append(response := getattr(client, method)(own_url, {}, format="json"))
                if view in ANSWERS_ANY_ID:
                    assert response.status_code < 500, (method, own_url, response.status_code)
                else:
                    # A key scoped to a project reaches no organization route at all (as PostHog); 405 is
                    # a method the route refuses for every object (DELETE of a dashboard).
                    scoped_out = credential == "scoped key" and _is_organization_route(regex)
                    expected = {403} if scoped_out else {404, 405}
                    assert response.status_code in expected, (method, own_url, response.status_code)
            for response in answers:
                leaked = sorted(s for s in forbidden if s.encode() in response.content)
                assert not leaked, (method, response.request["PATH_INFO"], leaked)
            checked += 1
        assert _holdings(victim) == before, f"{regex} changed the victim's data ({kind}, {credential})"
    assert checked >= 10


def test_every_organization_route_named_in_without_sibling_still_exists():
    views = {callback.cls.__name__ for regex, callback in tenant_routes() if _is_organization_route(regex)}
    assert set(WITHOUT_SIBLING) <= views
    assert set(ANSWERS_ANY_ID) <= {callback.cls.__name__ for _, callback in tenant_routes()}


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
        name: make(_related_label(model, name), tenant) for name in set(_GROUP.findall(regex)) - TENANT_KWARGS
    }


def _own_values(tenant, parents: dict[str, object]) -> dict:
    return {
        **_tenant_values(tenant),
        **{name: getattr(parent, URL_FIELDS.get(name, "pk")) for name, parent in parents.items()},
    }


def test_every_list_shows_a_tenant_only_its_own_rows(neighbours):
    """The victim's rows exist first (lower ids), each carrying a unique marker; the caller lists its own
    project (and its own parents, such as its own subscription's deliveries) and sees its rows and none of
    the victim's."""
    kind, caller, victim = neighbours
    routes = _list_routes()
    assert any("activity_log" in regex for regex, _ in routes), "the activity log is not walked"
    for regex, callback in routes:
        if kind != "another organization" and _is_organization_route(regex):
            assert callback.cls.__name__ in WITHOUT_SIBLING, regex
            continue
        model = callback.cls.queryset.model
        label = _model_label(model)
        their_parents = [_parents(regex, model, victim) for _ in range(2)]
        theirs = [_marked(label, victim, **_with(p)) for p in their_parents]
        # The same person owns both siblings: only another organization must not show who they are.
        forbidden = _markers(theirs)
        if kind == "another organization":
            forbidden |= {str(victim.user.uuid), str(victim.organization.id)}
        forbidden |= {str(i.pk) for i in theirs if not isinstance(i.pk, int)}
        parents = _parents(regex, model, caller)
        mine = make(label, caller, **_with(parents))
        values = _own_values(caller, parents)
        url = _fill(regex, values)

        response = caller.client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        text = response.content.decode()
        leaked = sorted(s for s in forbidden if s in text)
        assert not leaked, f"{url} shows the {kind}'s data: {leaked}"
        rows = _rows(json.loads(text))
        shown = {str(row["id"]) for row in rows if isinstance(row, dict) and "id" in row}
        listed_id = LISTED_ID_FIELDS.get(label, "pk")
        assert not {str(getattr(i, listed_id)) for i in theirs} & shown, f"{url} lists the {kind}'s rows"
        if shown or not rows:  # rows without ids (a single configuration object) prove nothing here
            mine_id = str(getattr(mine, listed_id))
            assert mine_id in shown, f"{url} does not list the caller's own row {mine_id}: {shown}"

        # The caller's own project, but the parents (e.g. the subscription of a delivery log) of the
        # victim's rows.
        if parents:
            foreign_url = _fill(regex, {**_own_values(victim, their_parents[0]), **_tenant_values(caller)})
            response = caller.client.get(foreign_url)
            assert response.status_code in (200, 404), (foreign_url, response.status_code)
            leaked = sorted(s for s in forbidden if s in response.content.decode())
            assert not leaked, f"{foreign_url} shows the {kind}'s data: {leaked}"
