"""Who may talk to a domain's SCIM server (every failure is a SCIM 401; PostHog answers 403), what its discovery
endpoints publish, and how it answers input that is not SCIM: an error in the SCIM schema, never a crash."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from burrow.core.models import User
from burrow.domains.models import OrganizationDomain
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import ERROR, MEMBER, PATCH_OP, USER, level, scim_error

pytestmark = pytest.mark.django_db


# Authentication


@pytest.mark.parametrize(
    "path", ["/ServiceProviderConfig", "/Schemas", "/Users", "/Users/1", "/Groups", "/nope"]
)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Token {token}", "{token}"],
)
def test_a_request_without_the_domains_bearer_token_answers_a_scim_401(scim, path, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization.format(token=scim.token)} if authorization else {}
    response = Client().get(scim.url(path), **headers)
    scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_token_of_another_domain_does_not_open_this_one(scim, make_scim):
    other = make_scim("other.example.org")
    scim_error(scim.request("get", "/Users", token=other.token), 401)
    assert scim.request("get", "/Users").status_code == 200


def test_a_rotated_token_stops_working_and_the_new_one_works(scim, tenant):
    rotated = tenant.client.post(tenant.org_url(f"domains/{scim.domain.id}/scim/token/"))
    assert rotated.status_code == 200, rotated.content
    scim_error(scim.get("/Users"), 401)
    assert scim.request("get", "/Users", token=rotated.json()["scim_bearer_token"]).status_code == 200


def test_turning_scim_off_refuses_the_token_it_had(scim, tenant):
    tenant.client.patch(tenant.org_url(f"domains/{scim.domain.id}/"), {"scim_enabled": False}, format="json")
    scim_error(scim.get("/Users"), 401)


def test_scim_off_refuses_the_token_even_if_its_hash_were_left_behind(scim):
    OrganizationDomain.objects.filter(pk=scim.domain.pk).update(scim_enabled=False)
    scim_error(scim.get("/Users"), 401)


def test_an_unverified_domain_refuses_even_its_token(scim):
    OrganizationDomain.objects.filter(pk=scim.domain.pk).update(verified_at=None)
    scim_error(scim.get("/ServiceProviderConfig"), 401)


@pytest.mark.parametrize("domain_id", ["4b7c5a9e-0000-4000-8000-000000000000", "not-a-uuid", "1"])
def test_an_unknown_or_malformed_domain_id_answers_401_like_a_wrong_token(scim, domain_id):
    response = Client().get(f"/scim/v2/{domain_id}/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}")
    scim_error(response, 401)


# Discovery


def test_discovery_documents_describe_what_burrow_keeps(scim):
    config = scim.get("/ServiceProviderConfig").json()
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["bulk"]["supported"] is False and config["sort"] == {"supported": False}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    schema = scim.get(f"/Schemas/{USER}").json()
    attributes = {a["name"]: a for a in schema["attributes"]}
    assert set(attributes) == {"userName", "name", "emails", "active", "groups"}
    assert attributes["userName"]["required"] is True and attributes["emails"]["mutability"] == "readOnly"
    # active is derived from the membership, never unassigned: required, so removing it is refused
    assert attributes["active"]["required"] is True and attributes["active"]["mutability"] == "readWrite"
    assert {t["endpoint"] for t in scim.get("/ResourceTypes").json()["Resources"]} == {"/Users", "/Groups"}
    scim_error(scim.get("/Schemas/urn:unknown"), 404)


# Bad input: a SCIM error, never a crash


@pytest.mark.parametrize(
    "body, scim_type",
    [
        ("not json", "invalidSyntax"),
        ("[1, 2]", "invalidSyntax"),
        ('"userName"', "invalidSyntax"),
        ("", "invalidSyntax"),
        ("[" * 100000, "invalidSyntax"),
        (
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "a@acme.example.org"},
            "invalidSyntax",
        ),
        ({"schemas": [USER]}, "invalidValue"),
        ({"schemas": [USER], "userName": 5}, "invalidValue"),
        ({"schemas": [USER], "userName": "a@acme.example.org", "active": "maybe"}, "invalidValue"),
        ({"schemas": [USER], "userName": "a@acme.example.org", "name": "Ada"}, "invalidValue"),
        ({"schemas": [USER], "userName": ["a@acme.example.org"]}, "invalidValue"),
        ({"schemas": [USER], "userName": "a" * 300 + "@acme.example.org"}, "invalidValue"),
        (
            {"schemas": [USER], "userName": "a@acme.example.org", "name": {"givenName": "x" * 151}},
            "invalidValue",
        ),
    ],
)
def test_a_create_that_is_not_a_scim_user_answers_400(scim, body, scim_type):
    scim_error(scim.post("/Users", body), 400, scim_type)


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [PATCH_OP]},
        {"schemas": [PATCH_OP], "Operations": []},
        {"schemas": [PATCH_OP], "Operations": [{"op": "explode", "path": "active", "value": True}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "remove"}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": "perhaps"}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "userName[", "value": "x"}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "userName", "value": None}]},
        {"schemas": [PATCH_OP], "Operations": "replace"},
        {"schemas": [USER], "Operations": [{"op": "replace", "path": "active", "value": False}]},
    ],
)
def test_a_patch_that_is_not_a_patch_op_answers_400(scim, tenant, body):
    person = scim.create("ada")
    response = scim.patch(f"/Users/{person['id']}", body=body)
    assert response.status_code == 400, response.content
    assert response.json()["schemas"] == [ERROR] and response.json()["scimType"]
    assert level(person["id"], tenant.organization) == MEMBER


def test_a_body_too_large_answers_a_scim_413(scim, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = scim.post("/Users", {"schemas": [USER], "userName": "a@acme.example.org", "pad": "x" * 2000})
    scim_error(response, 413)


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("delete", "/Users", "GET, POST"),
        ("post", "/Users/1", "GET, PUT, PATCH, DELETE"),
        ("put", "/ServiceProviderConfig", "GET"),
    ],
)
def test_a_method_an_endpoint_does_not_take_answers_a_scim_405(scim, method, path, allowed):
    response = scim.request(method, path, {})
    scim_error(response, 405)
    assert response["Allow"] == allowed


def test_an_unknown_path_under_the_base_url_answers_a_scim_404(scim):
    scim_error(scim.get("/Widgets"), 404)
    scim_error(scim.post("/.search", {}), 501)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
attribute_names = st.sampled_from(
    ["userName", "name", "active", "emails", "members", "displayName", "schemas", "x"]
)
scim_like = st.dictionaries(attribute_names, json_values, max_size=5).map(
    lambda body: {"schemas": [USER], **body} if "schemas" not in body else body
)
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "replace", "remove", "Replace", "copy"])},
    optional={
        "path": st.sampled_from(
            ["active", "userName", "name.givenName", "members", 'members[value eq "1"]', "[", ""]
        ),
        "value": json_values,
    },
)
patches = st.fixed_dictionaries(
    {"schemas": st.just([PATCH_OP]), "Operations": st.lists(operations, max_size=3)}
)
filters = st.text(alphabet='userNamectivgeqpsw "()[]andornot.0123', max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=scim_like | json_values, patch=patches, expression=filters)
def test_whatever_an_identity_provider_sends_the_answer_is_scim_never_a_crash(scim, body, patch, expression):
    person = scim.get("/Users", count=1).json()["Resources"] or [scim.create("fuzz")]
    answers = [
        scim.post("/Users", body),
        scim.put(f"/Users/{person[0]['id']}", body),
        scim.patch(f"/Users/{person[0]['id']}", body=patch),
        scim.patch("/Groups/member", body=patch),
        scim.put("/Groups/admin", body),
        scim.get("/Users", filter=expression),
        scim.get("/Groups", filter=expression),
    ]
    for response in answers:
        assert response.status_code < 500, response.content
        if response.status_code >= 400:
            assert response.json()["schemas"] == [ERROR], response.content


def test_an_unreadable_attributes_parameter_refuses_a_write_before_it_happens(scim):
    response = scim.post(
        "/Users?attributes=emails[type%20eq%20%22work%22]",
        {"schemas": [USER], "userName": "a@acme.example.org"},
    )
    scim_error(response, 400, "invalidPath")
    assert not User.objects.filter(email="a@acme.example.org").exists()
