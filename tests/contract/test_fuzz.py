"""Property-based fuzzing of every operation in Burrow's own OpenAPI schema, in-process (WSGI): no
response may be a server error, and documented responses must match their schemas. Bounded examples keep
CI fast; raise BURROW_FUZZ_EXAMPLES for a deeper local run."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.factories import make

MAX_EXAMPLES = int(os.environ.get("BURROW_FUZZ_EXAMPLES", "12"))


@pytest.fixture
def fuzz_tenant(make_tenant):
    tenant = make_tenant()
    dashboard = make("analytics.Dashboard", tenant)
    insight = make("analytics.Insight", tenant)
    make("subscriptions.Subscription", tenant, insight=insight)
    tenant.known_ids = {"dashboard": dashboard.id, "insight": insight.id}
    return tenant


def _load_schema():
    # The schema view needs no database, so it can be loaded at collection time (Django is set up by then).
    from burrow.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


schema = _load_schema()


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors_and_schema_conformant_responses(case, fuzz_tenant):
    for name in ("project_id", "environment_id"):
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = fuzz_tenant.project.id
    if "organization_id" in (case.path_parameters or {}):
        case.path_parameters["organization_id"] = str(fuzz_tenant.organization.id)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_tenant.key}"},
        checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
    )
