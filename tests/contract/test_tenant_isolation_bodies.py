"""Body references: a request in the caller's own project that names, in its body, an object of a neighbour
(another organization, a sibling project or a sibling environment) is refused as an unknown object, and
nothing is written. Every property of a tenant route's request body that names an object (by the OpenAPI
document: `*_id`, `*_ids`, or a model's name such as `dashboards`) needs an entry here: a check, or why it
is no reference to a neighbour's object. The URL-named objects are in test_tenant_isolation.py."""

import re

import pytest
from django.apps import apps
from django.forms.models import model_to_dict

from tests.factories import FACTORIES, make
from tests.helpers import error

pytestmark = pytest.mark.django_db

EMAIL_CONTEXT = "Validation error resolving email context. Please try again later or contact support."
PROXY_CONTEXT = "Validation error resolving proxy context. Please try again later or contact support."
_TENANT_PREFIX = re.compile(
    r"^/api/(projects/\{project_id\}|environments/\{environment_id\}|organizations/\{organization_id\})/"
)


def _environment_url(tenant, path: str) -> str:
    """The tenant's own environment (a sibling environment is not its project's default one)."""
    return f"/api/environments/{tenant.team.id}/{path}"


def _subscription_body(caller, **fields) -> dict:
    body = {
        "insight": make("analytics.Insight", caller).id,
        "target_type": "email",
        "target_value": "someone@example.com",
        "frequency": "weekly",
        "start_date": "2030-01-07T09:00:00Z",
    }
    return {**body, **fields}


def _subscription_write(caller, **fields):
    """A new subscription, and an update of an existing one, both naming the neighbour's object; neither
    is written."""
    from burrow.subscriptions.models import Subscription

    existing = make("subscriptions.Subscription", caller)
    before = model_to_dict(existing)
    created = caller.client.post(
        caller.url("subscriptions/"), _subscription_body(caller, **fields), format="json"
    )
    patched = caller.client.patch(caller.url(f"subscriptions/{existing.id}/"), fields, format="json")
    assert Subscription.objects.filter(team=caller.team).count() == 1
    existing.refresh_from_db()
    assert model_to_dict(existing) == before
    return created, patched


def subscription_insight(kind, caller, victim, **_) -> None:
    for response in _subscription_write(caller, insight=make("analytics.Insight", victim).id):
        assert error(response)["detail"] == "This insight does not belong to your team."


def subscription_dashboard(kind, caller, victim, **_) -> None:
    theirs = make("analytics.Dashboard", victim).id
    for response in _subscription_write(caller, insight=None, dashboard=theirs):
        assert error(response)["detail"] == "This dashboard does not belong to your team."


def subscription_dashboard_export_insights(kind, caller, victim, **_) -> None:
    from burrow.analytics.models import DashboardTile

    mine = make("analytics.Dashboard", caller)
    DashboardTile.objects.create(dashboard=mine, insight=make("analytics.Insight", caller))
    theirs = make("analytics.Insight", victim)
    DashboardTile.objects.create(dashboard=mine, insight=theirs)  # even placed on my dashboard
    body = {"insight": None, "dashboard": mine.id, "dashboard_export_insights": [theirs.id]}
    for response in _subscription_write(caller, **body):
        assert error(response)["attr"] == "dashboard_export_insights"


def subscription_integration_id(kind, caller, victim, **_) -> None:
    theirs = make("integrations.Integration", victim, kind="slack")
    body = {"target_type": "slack", "target_value": "C123|#general", "integration_id": theirs.id}
    for response in _subscription_write(caller, **body):
        assert error(response)["detail"] == "This integration does not exist or does not belong to your team."


def insight_dashboards(kind, caller, victim, **_) -> None:
    """An insight placed on the neighbour's dashboard would be a tile of it."""
    from burrow.analytics.models import DashboardTile

    theirs = make("analytics.Dashboard", victim).id
    created = caller.client.post(
        caller.url("insights/"), {"name": "x", "dashboards": [theirs]}, format="json"
    )
    existing = make("analytics.Insight", caller)
    patched = caller.client.patch(
        caller.url(f"insights/{existing.id}/"), {"dashboards": [theirs]}, format="json"
    )
    for response in (created, patched):
        assert error(response)["detail"] == f"Dashboard {theirs} does not exist in this project."
    assert not DashboardTile.objects.filter(dashboard_id=theirs).exists()


def domain_connect_email(kind, caller, victim, fake_domain_connect, **_) -> None:
    fake_domain_connect.host("example.com")  # so that a wrongly accepted context would answer a URL
    theirs = victim.client.post(
        _environment_url(victim, "integrations/"),
        {"kind": "email", "config": {"domain": "example.com"}},
        format="json",
    )
    assert theirs.status_code == 201, theirs.content
    body = {"context": "email", "integration_id": theirs.json()["id"]}
    response = caller.client.post(caller.url("integrations/domain-connect/apply-url/"), body, format="json")
    assert error(response)["detail"] == EMAIL_CONTEXT


def domain_connect_proxy(kind, caller, victim, **_) -> None:
    if kind != "another organization":
        return  # proxy records are the organization's: every project of it may use them
    theirs = make("integrations.ProxyRecord", victim)
    body = {"context": "proxy", "proxy_record_id": str(theirs.id)}
    response = caller.client.post(caller.url("integrations/domain-connect/apply-url/"), body, format="json")
    assert error(response)["detail"] == PROXY_CONTEXT


def github_source_team(kind, caller, victim, **_) -> None:
    if kind != "another organization":
        return  # linking a sibling project's installation is the route's purpose (organization admins)
    body = {"source_team_id": victim.team.id}
    response = caller.client.post(caller.url("integrations/github/link_existing/"), body, format="json")
    assert error(response)["detail"] == "Source team not found in your organization"


def query_data_source(kind, caller, victim, **_) -> None:
    theirs = victim.client.post(_environment_url(victim, "data_sources/"), {"kind": "duckdb"}, format="json")
    assert theirs.status_code == 201, theirs.content
    body = {"query": {"kind": "HogQLQuery", "query": "SELECT 1"}, "data_source": theirs.json()["id"]}
    assert error(caller.client.post(caller.url("query/"), body, format="json"))["attr"] == "data_source"


def insight_data_source(kind, caller, victim, **_) -> None:
    """An insight reading the neighbour's data source would show the neighbour's data on every refresh."""
    theirs = make("queries.DataSource", victim, kind="duckdb", secret={"url": ""}).id
    query = {"kind": "HogQLQuery", "query": "SELECT 1"}
    created = caller.client.post(
        caller.url("insights/"), {"name": "x", "query": query, "data_source": str(theirs)}, format="json"
    )
    existing = make("analytics.Insight", caller)
    patched = caller.client.patch(
        caller.url(f"insights/{existing.id}/"), {"data_source": str(theirs)}, format="json"
    )
    for response in (created, patched):
        assert error(response)["attr"] == "data_source"
    existing.refresh_from_db()
    assert existing.data_source_id is None


_NOT_OURS = "GitHub's own id, checked with GitHub, not an object of a project"
# (route below the project/environment/organization, property): a check, or why it names nothing of a
# neighbour's.
BODY_REFERENCES = {
    ("subscriptions/", "insight"): subscription_insight,
    ("subscriptions/", "dashboard"): subscription_dashboard,
    ("subscriptions/", "dashboard_export_insights"): subscription_dashboard_export_insights,
    ("subscriptions/", "integration_id"): subscription_integration_id,
    ("insights/", "dashboards"): insight_dashboards,
    ("insights/", "data_source"): insight_data_source,
    ("integrations/domain-connect/apply-url/", "integration_id"): domain_connect_email,
    ("integrations/domain-connect/apply-url/", "proxy_record_id"): domain_connect_proxy,
    ("integrations/github/link_existing/", "source_team_id"): github_source_team,
    ("integrations/github/link_existing/", "installation_id"): _NOT_OURS,
    ("integrations/github/link_existing/", "discovery_id"): _NOT_OURS,
    ("integrations/github/oauth_authorize/", "installation_id"): _NOT_OURS,
    ("query/", "data_source"): query_data_source,
    ("query/", "client_query_id"): "the client's own label for its query, echoed back",
    ("domains/", "saml_entity_id"): "the identity provider's SAML entity id, a string of the IdP's",
}


def _model_names() -> set[str]:
    names = set()
    for label in FACTORIES:
        name = apps.get_model(label).__name__
        names.add(re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower())
    return names


def _names_an_object(prop: str, models: set[str]) -> bool:
    return prop.endswith(("_id", "_ids")) or any(prop.removesuffix("s").endswith(m) for m in models)


def _body_properties(schema: dict) -> set[tuple[str, str]]:
    """(route, property) of every writable property of every tenant route's request body; an object's own
    route (`subscriptions/{id}/`) counts as its collection's (`subscriptions/`)."""
    components = schema["components"]["schemas"]

    def properties(node: dict) -> dict:
        if "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[1]]
        found = dict(node.get("properties", {}))
        for part in node.get("allOf", []) + node.get("oneOf", []):
            found.update(properties(part))
        return found

    found = set()
    for path, item in schema["paths"].items():
        route = _TENANT_PREFIX.sub("", path)
        if route == path:
            continue
        route = re.sub(r"\{id\}/$", "", route)
        for method, operation in item.items():
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
            if method in ("post", "put", "patch") and "schema" in body:
                props = properties(body["schema"])
                found |= {(route, name) for name, spec in props.items() if not spec.get("readOnly")}
    return found


def test_every_body_property_naming_an_object_has_an_entry():
    from django.test import Client

    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    models = _model_names()
    named = {key for key in _body_properties(response.json()) if _names_an_object(key[1], models)}
    missing = sorted(named - set(BODY_REFERENCES))
    assert not missing, f"add these to BODY_REFERENCES (a check, or why no neighbour's object): {missing}"
    assert not sorted(set(BODY_REFERENCES) - named), "BODY_REFERENCES names a property no route has"


@pytest.mark.parametrize("reference", [k for k, v in BODY_REFERENCES.items() if callable(v)], ids="/".join)
def test_a_neighbours_object_named_in_a_body_is_refused(
    neighbours, reference, fake_domain_connect, domain_connect_key, fake_providers
):
    kind, caller, victim = neighbours
    BODY_REFERENCES[reference](kind, caller, victim, fake_domain_connect=fake_domain_connect)
