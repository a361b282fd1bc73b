"""Property-based fuzzing of every operation in Burrow's own OpenAPI schema, in-process (WSGI), against a
tenant that owns real objects: no response may be a server error, documented responses must match their
schemas, and every operation must succeed (2xx) at least once, so the fuzzer is known to get past
authentication, routing and the object look-up into the code that does the work.

Each operation first gets one valid request (real ids, a valid body), then fuzzed ones whose path
parameters name the tenant's real objects most of the time and whose bodies are often mixed with the valid
one. Bounded examples keep CI fast; for a deeper local run raise BURROW_FUZZ_EXAMPLES (fuzzed requests per
operation, default 12) and set BURROW_FUZZ_COVERAGE=1 (schemathesis's boundary-value phase as well).

Text no database can store (a lone surrogate, a NUL) is sent to every operation by test_fuzz_unstorable.py."""

import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make

MAX_EXAMPLES = int(os.environ.get("BURROW_FUZZ_EXAMPLES", "12"))
TENANT_PREFIXES = ("/api/projects/{project_id}/", "/api/environments/{environment_id}/")
# The collection an `{id}` follows names the kind of object it identifies.
COLLECTION_KINDS = {
    "dashboards": "dashboard",
    "insights": "insight",
    "subscriptions": "subscription",
    "deliveries": "delivery",
    "domains": "domain",
    "proxy_records": "proxy record",
    "data_sources": "data source",
    "query": "query",  # a background computation's status
}
KINDS = {"project", "environment", "organization", *COLLECTION_KINDS.values()}
# Objects that belong to the resource named before them in the path: `{dashboard_id}/…/{password_id}` is
# a password of that dashboard's sharing ("dashboard password").
OWNED_KINDS = {"password"}

# Operation label ("GET /api/projects/{project_id}/dashboards/") → status code → responses seen.
STATUSES: dict[str, Counter] = defaultdict(Counter)


@dataclass(frozen=True)
class Ref:
    """The fuzz tenant's object of `kind`; replaced by its id just before the request is sent (the objects
    are created per test, after the cases that name them were built)."""

    kind: str


def resolve(value, ids: dict[str, object]):
    if isinstance(value, Ref):
        if value.kind not in ids:
            pytest.fail(
                f"No {value.kind!r} of the fuzz tenant: create one in `fuzz_tenant` (and name its collection in "
                "COLLECTION_KINDS), so the fuzzer reaches real objects."
            )
        return ids[value.kind]
    if isinstance(value, dict):
        return {key: resolve(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, ids) for item in value]
    return value


def kind_of(name: str, path: str) -> str:
    """Which object a path parameter names: `<kind>_id`, or `id` right after a collection."""
    if name == "id":
        collection = path.split("/{id}")[0].rsplit("/", 1)[-1]
        if collection == "integrations":
            return integration_kind(path)
        if collection == "domains" and path.endswith("/verify/"):
            return "unverified domain"  # the other domain is verified, and verifying it again is a 400
        return COLLECTION_KINDS.get(collection, collection)
    kind = name.removesuffix("_id")
    if kind in OWNED_KINDS:
        names = re.findall(r"{(\w+)}", path)
        return f"{kind_of(names[names.index(name) - 1], path)} {kind}"
    return kind


def integration_kind(path: str) -> str:
    """An organization's integration, or a project's: of the provider whose look-up the path names."""
    from burrow.integrations.providers import lookups

    if path.startswith("/api/organizations/"):
        return "organization integration"
    if path.endswith("/email/verify/"):
        return "email integration"
    found = lookups().get(path.split("/{id}/")[-1].strip("/"))
    return f"{found[0].kind} integration" if found else "integration"


def route_of(method: str, path: str) -> str:
    """`POST subscriptions/{id}/test-delivery/` for either the project or the environment route."""
    for prefix in TENANT_PREFIXES:
        if path.startswith(prefix):
            return f"{method.upper()} {path.removeprefix(prefix)}"
    return f"{method.upper()} {path}"


SUBSCRIPTION = {
    "insight": Ref("insight"),
    "target_type": "email",
    "target_value": "fuzz@example.com",
    "frequency": "weekly",
    "interval": 1,
    "byweekday": ["monday"],
    "start_date": "2030-01-07T09:00:00Z",
    "title": "Fuzzed subscription",
}
# A body each operation accepts; the fuzzed ones start from the schema.
VALID_BODIES = {
    "POST dashboards/": {"name": "Fuzzed dashboard", "description": "made by the fuzzer"},
    "PUT dashboards/{id}/": {"name": "Fuzzed dashboard", "description": "replaced", "deleted": False},
    "PATCH dashboards/{id}/": {"description": "patched"},
    "POST insights/": {"name": "Fuzzed insight", "dashboards": [Ref("dashboard")]},
    "PUT insights/{id}/": {
        "name": "Fuzzed insight",
        "description": "replaced",
        "dashboards": [Ref("dashboard")],
    },
    "PATCH insights/{id}/": {"description": "patched"},
    "POST subscriptions/": SUBSCRIPTION,
    "POST data_sources/": {"name": "Fuzzed source", "kind": "duckdb"},
    "PATCH data_sources/{id}/": {"name": "Patched source"},
    "POST query/": {"query": {"kind": "HogQLQuery", "query": "SELECT 1 AS one"}},
    "PUT subscriptions/{id}/": SUBSCRIPTION,
    "PATCH subscriptions/{id}/": {"title": "Patched subscription"},
    # The schema gives these actions the subscription's request body; they read none.
    "POST subscriptions/{id}/rotate-webhook-secret/": SUBSCRIPTION,
    "POST subscriptions/{id}/test-delivery/": SUBSCRIPTION,
    # Twilio connects from credentials (the fake Twilio knows them); OAuth kinds need a state and a code.
    "POST integrations/": {
        "kind": "twilio",
        "config": {
            "account_sid": "AC00000000000000000000000000000001",
            "auth_token": "twilio-auth-token-secret",
        },
    },
    "POST integrations/github/oauth_authorize/": {"installation_id": "9001", "next": "/settings"},
    "POST integrations/github/link_existing/": {"installation_id": "9001"},
    # The fuzz tenant's sender domain, hosted by the fake Domain Connect provider (a signing key is set).
    "POST integrations/domain-connect/apply-url/": {
        "context": "email",
        "integration_id": Ref("email integration"),
    },
    "POST /api/organizations/{organization_id}/proxy_records/": {
        "domain": "fuzz.example.com",
        "target_cname": "burrow.example.net",
    },
    "POST /api/organizations/{organization_id}/domains/": {"domain": "fuzz.example.com"},
    "POST /api/login/": {"email": Ref("login email"), "password": "fuzz-password"},
    "PATCH /api/organizations/{organization_id}/domains/{id}/": {
        "jit_provisioning_enabled": True,
        "sso_enforcement": "saml",
        "saml_entity_id": "urn:fuzz:idp",
    },
    **{
        f"{method} {resource}/sharing/{rest}": body
        for resource in (
            "dashboards/{dashboard_id}",
            "insights/{insight_id}",
            "session_recordings/{recording_id}",
        )
        for method, rest, body in (
            ("PATCH", "", {"enabled": True, "password_required": True, "settings": {"whitelabel": True}}),
            ("POST", "passwords/", {"raw_password": "fuzzed-password", "note": "fuzz"}),
        )
    },
}

# A query each operation that needs one accepts (the fuzzed ones start from the schema).
VALID_QUERIES = {"GET integrations/domain-connect/check/": {"domain": "ph.example.com"}}


def _load_schema():
    # The schema view needs no database, so it can be loaded at collection time (Django is set up by then).
    from burrow.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


schema = _load_schema()
# The coverage phase sends every boundary case the schema implies, whatever max_examples says (hundreds for
# each write, each test delivery rendering a report): opt in for a deep local run.
schema.config.phases.update(
    phases=["examples", "fuzzing", *(["coverage"] if os.environ.get("BURROW_FUZZ_COVERAGE") == "1" else [])]
)


@schema.hook
def before_add_examples(context, examples: list) -> None:
    """Every operation's first request is a valid one: real ids and, for writes, a body it accepts."""
    operation = context.operation
    path_parameters = {p.name: Ref(kind_of(p.name, operation.path)) for p in operation.path_parameters}
    route = route_of(operation.method, operation.path)
    body = {}
    if operation.body and route in VALID_BODIES:  # else the test fails, asking for one
        body = {"body": VALID_BODIES[route], "media_type": "application/json"}
    if route in VALID_QUERIES:
        body["query"] = VALID_QUERIES[route]
    examples.append(operation.Case(path_parameters=path_parameters, **body))


# Ids past the 32- and 64-bit limits, zero and negative: every path parameter meets them now and then.
BOUNDARY_IDS = [0, -1, 2**31, 2**63, "9" * 20]


def mostly(real: Ref, generated) -> st.SearchStrategy:
    """The real object three times in four; else the generated value or a boundary id."""
    return st.sampled_from([True, True, True, False]).flatmap(
        lambda use_real: st.just(real) if use_real else st.sampled_from([generated, *BOUNDARY_IDS])
    )


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict | None):
    if not path_parameters:
        return st.just(path_parameters)  # `/api/login/`, `/api/users/@me/`: nothing to point at an object
    path = context.operation.path
    return st.fixed_dictionaries(
        {name: mostly(Ref(kind_of(name, path)), value) for name, value in path_parameters.items()}
    )


@schema.hook
def flatmap_query(context, query: dict | None):
    """Filters that name an object (`?insight=`, `?dashboard=`) mostly name a real one."""
    if not query:
        return st.just(query)
    return st.fixed_dictionaries(
        {name: mostly(Ref(name), value) if name in KINDS else st.just(value) for name, value in query.items()}
    )


@schema.hook
def flatmap_body(context, body):
    """Fuzzed bodies are often mixed with the valid one: fuzzed fields on a valid body reach the checks
    behind the first one (schedules, targets); valid fields on a fuzzed body (a real insight) get it past
    the resource look-up."""
    valid = VALID_BODIES.get(route_of(context.operation.method, context.operation.path))
    if valid is None or not isinstance(body, dict):
        return st.just(body)
    return st.one_of(
        st.just(body),
        st.sets(st.sampled_from(sorted(body))).map(lambda keep: {**valid, **{k: body[k] for k in keep}})
        if body
        else st.just(valid),
        st.sets(st.sampled_from(sorted(valid))).map(lambda keep: {**body, **{k: valid[k] for k in keep}}),
    )


@schema.hook
def map_case(context, case):
    """The coverage phase's cases name the tenant's real objects too, except the parameter a case is about
    (its boundary values and wrong types are the point of that case)."""
    meta = case.meta
    if meta is None or meta.phase.name != TestPhase.COVERAGE:
        return case
    about = (
        meta.phase.data.parameter if meta.phase.data.parameter_location == ParameterLocation.PATH else None
    )
    case.path_parameters = {
        name: value if name == about else Ref(kind_of(name, case.operation.path))
        for name, value in case.path_parameters.items()
    }
    return case


def success_status_conformance(ctx, response, case):
    """A success status the schema does not list (202 where it documents 200) breaks generated clients;
    error statuses are left out, as drf-spectacular documents successes only."""
    if 200 <= response.status_code < 300 and case.method.upper() == case.operation.method.upper():
        return status_code_conformance(ctx, response, case)
    return None


CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    success_status_conformance,
]


@dataclass
class FuzzTenant:
    key: str  # a personal API key with every scope
    ids: dict[str, object]  # kind → the id of the tenant's object of that kind


@pytest.fixture
def fuzz_tenant(
    make_tenant, fake_dns, fake_providers, fake_domain_connect, domain_connect_key, settings
) -> FuzzTenant:
    """A tenant with one object of each kind: an insight on a dashboard, a webhook subscription of it (the
    only kind with a secret to rotate) with a finished delivery, an activity log entry, a recording, and
    password-protected sharing of each resource. DNS answers nothing, so no delivery leaves this machine."""
    # Deliveries the requests start draw charts in threads: imported here first, numpy is never half
    # imported by one of them while Hypothesis looks it up on this thread.
    import matplotlib.backends.backend_agg  # noqa: F401

    from burrow.analytics.models import DashboardTile
    from burrow.core.models import Project
    from burrow.subscriptions.delivery.dispatch import local_pool

    settings.DELIVERY_RETRY_DELAY = 0
    # Share passwords are hashed slowly on purpose (PBKDF2, most of a second each); the fuzzer makes dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = make_tenant()
    tenant.user.set_password("fuzz-password")  # for POST /api/login
    tenant.user.save(update_fields=["password"])
    dashboard = make("analytics.Dashboard", tenant)
    insight = make("analytics.Insight", tenant)
    DashboardTile.objects.create(dashboard=dashboard, insight=insight)
    subscription = make(
        "subscriptions.Subscription",
        tenant,
        insight=insight,
        target_type="webhook",
        target_value="https://hooks.example.com/fuzz",
    )
    delivery = make(
        "subscriptions.SubscriptionDelivery", tenant, subscription=subscription, status="completed"
    )
    make("core.ActivityLog", tenant, item_id=str(subscription.id))
    recording = make("sharing.SessionRecording", tenant)
    make("recordings.Recording", tenant, session_id=recording.session_id)  # the shared recording has data
    ids = {
        "project": tenant.project.id,
        "environment": tenant.team.id,
        "organization": str(tenant.organization.id),
        "dashboard": dashboard.id,
        "insight": insight.id,
        "subscription": subscription.id,
        "delivery": str(delivery.id),
        "recording": recording.session_id,
        "login email": tenant.user.email,
        "data source": str(make("queries.DataSource", tenant, kind="duckdb", secret={"url": ""}).id),
        "query": make("queries.QueryTask", tenant, status="complete").query_id,
    }
    # Each shared resource is password-protected, with one password.
    for kind, resource in (("dashboard", dashboard), ("insight", insight), ("recording", recording)):
        sharing = make("sharing.SharingConfiguration", tenant, password_required=True, **{kind: resource})
        password = make("sharing.SharePassword", tenant, sharing_configuration=sharing)
        ids[f"{kind} password"] = password.id
    # An integration of each provider (the fakes take their tokens), one of the organization, and a GitHub
    # installation another project of the organization has (for `github/link_existing`).
    for kind in ("slack", "linear", "linkedin-ads", "twilio", "github"):
        ids[f"{kind} integration"] = fake_providers.connected(tenant, kind).id
    ids["integration"] = ids["twilio integration"]
    # A sender domain whose DNS provider speaks Domain Connect, and a proxy record (organization).
    from burrow.integrations import services

    fake_domain_connect.host("example.com")
    ids["email integration"] = services.connect(tenant.team, tenant.user, "email", {"domain": "example.com"})[
        0
    ].id
    ids["proxy record"] = str(make("integrations.ProxyRecord", tenant).id)
    ids["organization integration"] = str(make("integrations.OrganizationIntegration", tenant).id)
    # A verified domain with SCIM on (for `scim/token`), and a claim still to verify (DNS has no record).
    settings.DOMAIN_VERIFY_RETRY_SECONDS = 0
    domain = make("domains.OrganizationDomain", tenant, verified_at=timezone.now(), scim_enabled=True)
    domain.scim_bearer_token_hash = "hmac-sha256$fuzz"
    domain.save(update_fields=["scim_bearer_token_hash"])
    ids["domain"] = str(domain.id)
    ids["unverified domain"] = str(make("domains.OrganizationDomain", tenant).id)
    sibling = Project.objects.create_with_environment(tenant.organization, "Sibling").environments.get()
    fake_providers.connected(tenant, "github", team=sibling)
    yield FuzzTenant(tenant.key, ids)
    local_pool().drain(timeout=60)  # deliveries the requests started, before the database is emptied


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # `fuzz_tenant` is function-scoped on purpose: one tenant per operation, shared by its examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_no_server_errors_and_schema_conformant_responses(case, fuzz_tenant):
    route = route_of(case.operation.method, case.operation.path)
    if case.operation.body and route not in VALID_BODIES:
        pytest.fail(f"Add a body that {route} accepts to VALID_BODIES, so the fuzzer gets past validation.")
    case.path_parameters = resolve(case.path_parameters, fuzz_tenant.ids)
    case.query = resolve(case.query, fuzz_tenant.ids)
    if isinstance(case.body, dict | list):
        case.body = resolve(case.body, fuzz_tenant.ids)
    headers = {"Authorization": f"Bearer {fuzz_tenant.key}"}
    response = case.call(headers=headers)
    if case.method.upper() == case.operation.method.upper():  # not a probe with another method
        STATUSES[case.operation.label][response.status_code] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_every_operation_succeeded_at_least_once(request):
    """Runs after the fuzzed operations (same module, later): each one that documents a 2xx answered one."""
    fuzzed = test_no_server_errors_and_schema_conformant_responses.__name__
    items = request.session.items
    ran = [item for item in items if item.originalname == fuzzed]
    if not ran:
        pytest.skip("the fuzz tests were not selected")
    assert items.index(ran[-1]) < items.index(request.node), "this test must run after the fuzz tests"
    ran = [item.operation_label for item in ran]
    for label in ran:
        print(f"{label}: {dict(sorted(STATUSES.get(label, Counter()).items()))}")
    missing = {}
    for label in ran:
        method, path = label.split(" ", 1)
        documented = schema[path][method].definition.raw.get("responses", {})
        if not any(str(code).startswith("2") for code in documented):
            continue
        seen = STATUSES.get(label, Counter())
        if not any(200 <= code < 300 for code in seen):
            missing[label] = f"documents {sorted(documented)}, answered {dict(seen) or 'nothing'}"
    assert not missing, "operations that never succeeded:\n" + "\n".join(
        f"  {k}: {v}" for k, v in missing.items()
    )
