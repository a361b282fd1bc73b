"""The OpenAPI schema tells the truth about integer bounds: for every writable integer property of a request
body, `minimum` and `maximum` are exactly what the API accepts (the bound itself is accepted, one past it
is a 400 naming the field). A yearly report, where every bound is a schedule that exists. Ids of other objects are looked up instead (their own 400 says "not found") and
are listed with that reason; a new integer field fails here until it is one or the other."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import make_insight, make_subscription

# Integer properties whose value names another object: any integer is read, then looked up.
REFERENCES = {
    ("SubscriptionRequest", "insight"),
    ("SubscriptionRequest", "dashboard"),
    ("SubscriptionRequest", "integration_id"),
    ("PatchedSubscriptionRequest", "insight"),
    ("PatchedSubscriptionRequest", "dashboard"),
    ("PatchedSubscriptionRequest", "integration_id"),
    ("GitHubLinkExistingRequest", "source_team_id"),
}


def integer_properties() -> dict[tuple[str, str], dict]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = {}
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("Request"):  # request bodies (COMPONENT_SPLIT_REQUEST) say what is accepted
            continue
        for prop, spec in component.get("properties", {}).items():
            if spec.get("type") == "integer" and not spec.get("readOnly"):
                found[(name, prop)] = spec
    return found


BOUNDED = sorted(set(integer_properties()) - REFERENCES)


def test_every_integer_property_is_bounded_or_a_reference():
    found = integer_properties()
    assert REFERENCES <= set(found), sorted(REFERENCES - set(found))
    unbounded = [key for key in BOUNDED if "minimum" not in found[key] or "maximum" not in found[key]]
    assert not unbounded, f"integer properties without bounds: {unbounded}"


def _send(tenant, component: str, prop: str, value: int):
    insight = make_insight(tenant)
    if component == "SubscriptionRequest":
        body = {
            "insight": insight.id,
            "target_type": "email",
            "target_value": "bounds@example.com",
            "frequency": "yearly",
            "start_date": "2030-01-01T09:00:00Z",
            prop: value,
        }
        return tenant.client.post(tenant.url("subscriptions/"), body, format="json")
    if component == "PatchedSubscriptionRequest":
        subscription = make_subscription(tenant, insight=insight, frequency="yearly")
        return tenant.client.patch(
            tenant.url(f"subscriptions/{subscription.id}/"), {prop: value}, format="json"
        )
    raise AssertionError(f"add how to send {component}.{prop} to this test")


@pytest.mark.parametrize(("component", "prop"), BOUNDED)
def test_the_schemas_bounds_are_what_the_api_accepts(tenant, component, prop):
    spec = integer_properties()[(component, prop)]
    for inside in (spec["minimum"], spec["maximum"]):
        response = _send(tenant, component, prop, inside)
        assert response.status_code < 400, (inside, response.json())
    for outside in (spec["minimum"] - 1, spec["maximum"] + 1):
        response = _send(tenant, component, prop, outside)
        assert response.status_code == 400, (outside, response.content)
        assert response.json()["attr"] == prop, (outside, response.json())
