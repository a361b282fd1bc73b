"""Text no database can store is a 400 naming where it sits, never a 500: a lone UTF-16 surrogate (`\\ud800`,
which has no UTF-8 form) or a NUL character (PostgreSQL refuses it in text and jsonb) in any JSON string or
key, however deep, in a form field (or the JSON it holds) or a query parameter. A path holding one names
nothing (404); a cookie holding one is ignored."""

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.conftest import client_for
from tests.factories import make_dashboard, make_insight, make_share_password, make_sharing_configuration
from tests.helpers import error

pytestmark = pytest.mark.django_db

SURROGATE, NUL = "\ud800", "\x00"
BAD = [(SURROGATE, "surrogate"), (NUL, "NUL")]


def send_json(client, url: str, document, method: str = "post"):
    """`document` as JSON text: `json.dumps` spells both as escapes (`\\ud800`, `\\u0000`), as clients do."""
    return getattr(client, method)(url, json.dumps(document), content_type="application/json")


def expect_refused(response, attr: str, what: str) -> None:
    body = error(response)
    assert body == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": body["detail"],
        "attr": attr,
    }
    assert what in body["detail"], body


@pytest.mark.parametrize(("bad", "what"), BAD)
def test_an_insight_query_with_unstorable_text_is_400_naming_its_path(tenant, bad, what):
    query = {"kind": "TrendsQuery", "series": [{"event": f"a{bad}b"}]}
    response = send_json(tenant.client, tenant.url("insights/"), {"name": "n", "query": query})
    expect_refused(response, "query__series__0__event", what)


@pytest.mark.parametrize(("bad", "what"), BAD)
def test_a_json_key_with_unstorable_text_is_400_naming_it_printably(tenant, bad, what):
    insight = make_insight(tenant)
    result = {"ok": 1, f"k{bad}": 2}
    response = send_json(tenant.client, tenant.url(f"insights/{insight.id}/"), {"result": result}, "patch")
    expect_refused(response, f"result__k\\u{ord(bad):04x}", what)


@pytest.mark.parametrize(("bad", "what"), BAD)
def test_a_plain_field_with_unstorable_text_is_400_naming_it(tenant, bad, what):
    body = {"name": "board", "description": f"x{bad}"}
    expect_refused(send_json(tenant.client, tenant.url("dashboards/"), body), "description", what)


def test_unstorable_text_is_refused_before_authentication_looks_into_the_body(tenant):
    """The body is where a key may hide; a body that cannot be read is a 400 for anyone."""
    body = {"personal_api_key": tenant.key, "name": f"x{NUL}"}
    expect_refused(send_json(client_for(None), tenant.url("dashboards/"), body), "name", "NUL")


@pytest.fixture
def locked_share(tenant):
    config = make_sharing_configuration(tenant, dashboard=make_dashboard(tenant), password_required=True)
    make_share_password(tenant, sharing_configuration=config)
    return config


@pytest.mark.parametrize(("bad", "what"), BAD)
def test_share_unlock_with_unstorable_password_json_is_400(locked_share, bad, what):
    response = send_json(Client(), f"/shared/{locked_share.access_token}", {"password": f"pw{bad}"})
    expect_refused(response, "password", what)


def test_share_unlock_form_with_a_nul_is_400_naming_the_field(locked_share):
    response = Client().post(
        f"/shared/{locked_share.access_token}",
        "password=pw%00",
        content_type="application/x-www-form-urlencoded",
    )
    expect_refused(response, "password", "NUL")


def test_share_unlock_form_with_surrogate_bytes_is_just_a_wrong_password(locked_share):
    """Form bodies are bytes: a surrogate's would-be UTF-8 bytes decode as replacement characters."""
    response = Client().post(
        f"/shared/{locked_share.access_token}",
        "password=pw%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 401


def test_sign_in_form_with_a_nul_in_the_email_is_400_naming_it(tenant):
    response = Client().post(
        "/login", "email=a%00%40example.com&password=x", content_type="application/x-www-form-urlencoded"
    )
    expect_refused(response, "email", "NUL")


@pytest.mark.parametrize(("bad", "what"), BAD)
def test_api_login_with_unstorable_text_is_400_naming_the_field(tenant, bad, what):
    body = {"email": tenant.user.email, "password": f"p{bad}"}
    expect_refused(send_json(Client(), "/api/login/", body), "password", what)


@pytest.mark.parametrize("query", ["item_id=%00", "scope=a%00b", "a%00=1"])
def test_a_query_parameter_with_a_nul_is_400_naming_it(tenant, query):
    response = tenant.client.get(tenant.url(f"activity_log/?{query}"))
    expect_refused(response, query.split("=")[0].replace("%00", "\\u0000"), "NUL")


@pytest.mark.parametrize("path", ["insights/ab%00c/", "session_recordings/a%00b/sharing/"])
def test_an_api_path_segment_with_a_nul_names_nothing_that_exists(tenant, path):
    """Nothing is named with a NUL: 404, as for any id that cannot exist."""
    assert error(tenant.client.get(tenant.url(path)), 404) == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Not found.",
        "attr": None,
    }


@pytest.mark.parametrize(
    "path",
    [
        "/project/{project}/insights/ab%00c",
        "/insights/ab%00c",
        "/project/{project}/insights/ab%00c/subscriptions/1",
        "/shared/abc%00def",
    ],
)
def test_a_page_path_segment_with_a_nul_is_the_not_found_page(tenant, path):
    client = Client()
    client.force_login(tenant.user)
    response = client.get(path.format(project=tenant.project.id))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_ordinary_text_still_passes(tenant):
    body = {"name": "ünïcødé 😀", "query": {"kind": "TrendsQuery", "k😀": ["\t\n"]}}
    response = send_json(tenant.client, tenant.url("insights/"), body)
    assert response.status_code == 201, response.content
    assert response.json()["query"]["k😀"] == ["\t\n"]


def test_a_session_cookie_with_a_nul_is_ignored_as_if_never_sent(tenant):
    """A cookie is no field a person can correct: one no database can store is dropped, not refused."""
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    assert error(client.get(tenant.url("dashboards/")), 401)["code"] == "not_authenticated"
    assert client.get("/login").status_code == 200


@pytest.mark.parametrize("body_format", ["multipart", "urlencoded"])
@pytest.mark.parametrize(
    "query",
    ['{"kind": "a\x00"}', '{"kind": "a\\u0000"}', '{"kind": "a\\ud800"}'],
    ids=["NUL", "NUL escaped in JSON", "surrogate escaped in JSON"],
)
def test_a_form_field_with_unstorable_text_is_400_naming_it(tenant, body_format, query):
    """API operations take forms too, and a JSON field sent as form text is JSON decoded from it."""
    fields = {"name": "n", "query": query}
    if body_format == "multipart":
        response = tenant.client.post(tenant.url("insights/"), fields, format="multipart")
    else:
        response = tenant.client.post(
            tenant.url("insights/"), urlencode(fields), content_type="application/x-www-form-urlencoded"
        )
    body = error(response)
    assert (body["code"], body["attr"]) == ("invalid_input", "query"), body


@pytest.mark.parametrize("depth", [100, 5000])
def test_json_nested_too_deep_in_a_form_field_is_400_naming_it(tenant, depth):
    """The nesting limit of JSON bodies holds for the JSON a form field carries as well."""
    fields = {"name": "n", "query": "[" * depth + "]" * depth}
    response = tenant.client.post(tenant.url("insights/"), fields, format="multipart")
    body = error(response)
    assert (body["code"], body["attr"]) == ("invalid_input", "query"), body
    assert "nested deeper than 64 levels" in body["detail"]
