"""What the SCIM server refuses before it reads a request: strings that are not Unicode (a lone surrogate such
as "\\ud800", which JSON can spell but no database can store) and filters too long or with too many terms
(docs/scim.md, "Bad input")."""

import pytest

from burrow.core.models import User
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import PATCH_OP, USER, scim_error

pytestmark = pytest.mark.django_db

LONE = "\\ud800"  # as a client writes it inside a JSON string


def test_a_lone_surrogate_in_a_user_body_is_refused_naming_the_attribute(scim):
    body = (
        f'{{"schemas": ["{USER}"], "userName": "ada@acme.example.org", "name": {{"givenName": "A{LONE}"}}}}'
    )
    error = scim_error(scim.post("/Users", body), 400, "invalidValue")
    assert "name.givenName" in error["detail"]
    assert not User.objects.filter(email="ada@acme.example.org").exists()

    ada = scim.create("ada")
    replaced = f'{{"schemas": ["{USER}"], "userName": "ada{LONE}@acme.example.org"}}'
    assert "userName" in scim_error(scim.put(f"/Users/{ada['id']}", replaced), 400, "invalidValue")["detail"]
    patched = f'{{"schemas": ["{PATCH_OP}"], "Operations": [{{"op": "replace", "path": "externalId", "value": "{LONE}"}}]}}'
    detail = scim_error(scim.patch(f"/Users/{ada['id']}", body=patched), 400, "invalidValue")["detail"]
    assert "Operations[0].value" in detail
    assert scim.get(f"/Users/{ada['id']}").json()["userName"] == "ada@acme.example.org"


def test_a_nul_character_is_refused_as_postgresql_cannot_store_it(scim):
    body = f'{{"schemas": ["{USER}"], "userName": "ada@acme.example.org", "externalId": "a\\u0000b"}}'
    assert "externalId" in scim_error(scim.post("/Users", body), 400, "invalidValue")["detail"]
    scim_error(scim.get("/Users", filter='userName eq "a\\u0000"'), 400, "invalidFilter")


def test_a_lone_surrogate_in_a_key_or_a_group_body_is_refused(scim):
    scim_error(scim.post("/Users", f'{{"schemas": ["{USER}"], "x{LONE}": 1}}'), 400, "invalidValue")
    members = f'{{"schemas": ["{PATCH_OP}"], "Operations": [{{"op": "add", "path": "members", "value": [{{"value": "{LONE}"}}]}}]}}'
    assert (
        "Operations[0].value[0].value"
        in scim_error(scim.patch("/Groups/admin", body=members), 400, "invalidValue")["detail"]
    )


@pytest.mark.parametrize("where", ["query", "search"])
def test_a_filter_with_a_lone_surrogate_is_an_invalid_filter(scim, where):
    scim.create("ada")
    if where == "query":
        response = scim.get("/Users", filter=f'userName eq "{LONE}"')
    else:
        body = f'{{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq \\"{LONE}\\""}}'
        response = scim.post("/Users/.search", body)
    scim_error(response, 400, "invalidFilter")
    scim_error(scim.get("/Groups", filter=f'displayName eq "{LONE}"'), 400, "invalidFilter")


def test_filters_over_4_kb_or_over_50_terms_are_refused(scim):
    scim.create("ada")
    fifty = " or ".join(f'userName eq "p{n}@acme.example.org"' for n in range(49)) + ' or userName sw "ada"'
    assert scim.get("/Users", filter=fifty).json()["totalResults"] == 1
    fifty_one = fifty + " or active eq true"
    assert len(fifty_one.encode()) < 4096
    assert "50" in scim_error(scim.get("/Users", filter=fifty_one), 400, "invalidFilter")["detail"]
    groups = " or ".join(['displayName eq "admin"'] * 51)
    assert "50" in scim_error(scim.get("/Groups", filter=groups), 400, "invalidFilter")["detail"]
    long = 'userName eq "' + "a" * 4090 + '"'
    assert "4096" in scim_error(scim.get("/Users", filter=long), 400, "invalidFilter")["detail"]
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": fifty_one}
    scim_error(scim.post("/Users/.search", search), 400, "invalidFilter")
    nested = "(" * 2000 + 'userName eq "a"' + ")" * 2000  # within 4 kB
    assert scim.get("/Users", filter=nested).status_code == 200
