"""The SCIM server's Users lists: filters as RFC 7644 reads them, paging, `.search` and attribute selection,
at a fixed number of queries (docs/scim.md)."""

from datetime import datetime, timedelta, timezone

import pytest

from burrow.core.models import User
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import USER, scim_error

pytestmark = pytest.mark.django_db


def test_list_filters_by_user_name_case_insensitively(scim):
    ada = scim.create("ada")
    scim.create("bob")
    body = scim.get("/Users", filter='userName eq "ADA@acme.example.org"').json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 1 and [r["id"] for r in body["Resources"]] == [ada["id"]]


# Mixed case, a fullwidth local part, a fullwidth domain: one address (burrow/core/addresses.py).
@pytest.mark.parametrize(
    "spelling",
    [
        "ADA@Acme.Example.org",
        "\uff41\uff44\uff41@acme.example.org",
        "ada@\uff21\uff23\uff2d\uff25.example.org",
    ],
)
def test_a_user_name_filter_compares_the_one_stored_spelling(scim, spelling):
    ada = scim.create("ada")
    found = scim.get("/Users", filter=f'userName eq "{spelling}"').json()
    assert [r["id"] for r in found["Resources"]] == [ada["id"]]
    others = scim.get("/Users", filter=f'userName ne "{spelling}"').json()
    assert ada["id"] not in [r["id"] for r in others["Resources"]]


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('name.givenName sw "A"', {"ada", "alan"}),
        ('name.familyName eq "turing"', {"alan"}),
        ("active eq false", {"bob"}),
        ('emails[type eq "work" and value co "la"]', {"alan"}),
        ('emails.value ew "bob@acme.example.org"', {"bob"}),
        ('not (userName sw "a") and active eq true', set()),
        ('userName eq "bob@acme.example.org" or name.givenName eq "Alan"', {"bob", "alan"}),
        ("name.familyName pr", {"alan"}),
        ("name.givenName pr", {"ada", "alan"}),
        ("emails.type pr", {"ada", "alan", "bob"}),  # a constant every user has
        ("emails.primary pr", {"ada", "alan", "bob"}),
        ("active pr", {"ada", "alan", "bob"}),
        ("id pr", {"ada", "alan", "bob"}),
        ("meta.created pr", {"ada", "alan", "bob"}),
        ("meta.lastModified pr", {"ada", "alan", "bob"}),
        ("groups pr", {"ada", "alan"}),  # members only: bob was deactivated
        ("groups.value pr", {"ada", "alan"}),
        ("groups.display pr", {"ada", "alan"}),
        ("not (groups pr)", {"bob"}),
        ('externalId eq "x"', set()),
        ('externalId eq "ext-alan"', {"alan"}),
        ('externalId eq "EXT-ALAN"', set()),  # case-exact (RFC 7643 §4.1)
        ('externalId sw "ext-"', {"ada", "alan"}),
        ("externalId pr", {"ada", "alan"}),
        ('externalId ne "ext-alan"', {"ada", "bob"}),  # bob has none
        ('meta.lastModified gt "2000-01-01T00:00:00Z"', {"ada", "alan", "bob"}),
        ('meta.lastModified lt "2000-01-01T00:00:00Z"', set()),
        ('groups.value eq "member"', {"ada", "alan"}),
        ('meta.created gt "2000-01-01T00:00:00"', {"ada", "alan", "bob"}),  # no offset: UTC
        ('meta.created lt "2000-01-01T00:00:00Z"', set()),
    ],
)
def test_list_filters_combine_as_rfc_7644_says(scim, expression, expected):
    scim.create("ada", name={"givenName": "Ada"}, externalId="ext-ada")
    scim.create("alan", name={"givenName": "Alan", "familyName": "Turing"}, externalId="ext-alan")
    scim.create("bob", active=False)
    body = scim.get("/Users", filter=expression).json()
    assert {r["userName"].split("@")[0] for r in body["Resources"]} == expected
    assert body["totalResults"] == len(expected)


@pytest.mark.parametrize(
    "expression",
    [
        "userName eq",
        'userName xx "a"',
        'nickName eq "a"',
        "active gt true",
        '(userName eq "a"',
        "userName eq 'a'",
        'name eq "Ada"',  # a complex attribute as a whole
        'meta.lastModified gt "yesterday"',
        'meta.created gt "yesterday"',
        'id gt "5"',
        "emails.type eq true",  # the schema's types: a string is never a boolean
        'emails.primary co "t"',  # nor is a boolean compared as text
        "emails.primary gt false",  # or ordered
    ],
)
def test_a_filter_burrow_cannot_read_answers_400_invalid_filter(scim, expression):
    scim_error(scim.get("/Users", filter=expression), 400, "invalidFilter")


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ('groups gt "member"', "Only 'eq' and 'ne' compare groups."),
        ('id gt "5"', "Only 'eq' and 'ne' compare ids."),
        ("meta.created gt 5", "'5' is not a date and time (RFC 3339)."),
    ],
)
def test_an_unreadable_filter_says_what_is_wrong(scim, expression, detail):
    assert scim_error(scim.get("/Users", filter=expression), 400, "invalidFilter")["detail"] == detail


def test_a_date_in_a_filter_is_read_in_its_own_offset(scim):
    ada = scim.create("ada")
    created = datetime.fromisoformat(ada["meta"]["created"].replace("Z", "+00:00"))

    def names(expression: str) -> set[str]:
        return {
            r["userName"].split("@")[0] for r in scim.get("/Users", filter=expression).json()["Resources"]
        }

    east, west = timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))
    before, after = created - timedelta(seconds=1), created + timedelta(seconds=1)
    assert names(f'meta.created gt "{before.astimezone(east).isoformat()}"') == {"ada"}
    assert names(f'meta.created lt "{after.astimezone(west).isoformat()}"') == {"ada"}
    assert names(f'meta.created gt "{after.astimezone(east).isoformat()}"') == set()
    assert names(f'meta.created gt "{before.replace(tzinfo=None).isoformat()}"') == {"ada"}  # no offset: UTC


def test_start_index_and_count_page_through_the_people_in_order(scim):
    ids = [scim.create(f"p{n}")["id"] for n in range(5)]
    body = scim.get("/Users", startIndex=2, count=2).json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (5, 2, 2)
    assert [r["id"] for r in body["Resources"]] == ids[1:3]
    last = scim.get("/Users", startIndex=5, count=10).json()  # a short page: its end tells the total
    assert [r["id"] for r in last["Resources"]] == ids[4:] and last["totalResults"] == 5
    assert scim.get("/Users", startIndex=3, count=3).json()["totalResults"] == 5  # exactly full: counted
    empty = scim.get("/Users", count=0).json()
    assert empty["totalResults"] == 5 and empty["Resources"] == [] and empty["itemsPerPage"] == 0
    assert [r["id"] for r in scim.get("/Users", startIndex=0, count=1).json()["Resources"]] == ids[:1]
    assert scim.get("/Users", startIndex=9).json()["Resources"] == []
    scim_error(scim.get("/Users", count="many"), 400, "invalidValue")


def test_a_page_never_holds_more_than_max_results(scim):
    for n in range(3):
        scim.create(f"p{n}")
    body = scim.get("/Users", count=100000).json()
    assert body["itemsPerPage"] == 3


def test_search_by_post_and_attribute_selection(scim):
    ada = scim.create("ada", name={"givenName": "Ada"})
    scim.create("bob")
    response = scim.post(
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName sw "ada"',
            "attributes": ["userName"],
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["Resources"] == [
        {"schemas": [USER], "id": ada["id"], "userName": "ada@acme.example.org"}
    ]
    single = scim.get(f"/Users/{ada['id']}", excludedAttributes="name,emails").json()
    assert "name" not in single and "emails" not in single and single["userName"] == "ada@acme.example.org"


@pytest.mark.parametrize("people", [2, 25])
def test_listing_costs_the_same_few_queries_whatever_the_page(scim, people, django_assert_max_num_queries):
    for n in range(people):
        scim.create(f"p{n}", name={"givenName": f"P{n}"})
    with django_assert_max_num_queries(2):  # the domain, the page (levels joined in; a short page: no count)
        body = scim.get("/Users", count=200).json()
    assert body["totalResults"] == people == len(body["Resources"])
    with django_assert_max_num_queries(3):  # a full page: the count too
        body = scim.get("/Users", count=people).json()
    assert body["totalResults"] == people == len(body["Resources"])


def test_an_identity_providers_look_up_is_two_queries(scim, django_assert_num_queries):
    scim.create("ada")
    scim.create("bob")
    with django_assert_num_queries(2):  # the domain, then the page whose shortness gives the total
        body = scim.get("/Users", filter='userName eq "ada@acme.example.org"').json()
    assert body["totalResults"] == 1
    with django_assert_num_queries(3):  # nobody: an empty page could be past the end, so it counts
        assert scim.get("/Users", filter='userName eq "eve@acme.example.org"').json()["totalResults"] == 0


def test_people_whose_domain_only_ends_like_this_one_are_never_seen(scim):
    """acme.example.org is not notacme.example.org, nor its own subdomain sub.acme.example.org."""
    ada = scim.create("ada")
    for address in ("bob@notacme.example.org", "cy@sub.acme.example.org"):
        outsider = User.objects.create_user(email=address, password=None)  # in no organization
        scim_error(scim.get(f"/Users/{outsider.pk}"), 404)
    assert [person["id"] for person in scim.get("/Users").json()["Resources"]] == [ada["id"]]
    assert scim.get("/Users", filter='userName ew "example.org"').json()["totalResults"] == 1


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('emails.type eq "work"', {"ada", "bob"}),
        ('emails.type eq "WORK"', {"ada", "bob"}),  # strings compare regardless of case
        ('emails.type ne "work"', set()),
        ('emails.type ne "home"', {"ada", "bob"}),
        ('emails.type co "OR"', {"ada", "bob"}),
        ('emails.type sw "wo"', {"ada", "bob"}),
        ('emails.type ew "rk"', {"ada", "bob"}),
        ('emails.type ew "wo"', set()),
        ('emails.type gt "a"', set()),  # no order between a constant and a string
        ("emails.primary eq true", {"ada", "bob"}),
        ("emails.primary ne true", set()),
        ("emails.primary eq false", set()),
        ('emails.primary eq "true"', set()),  # a boolean is never a string
        ('groups eq "member"', {"ada"}),
        ('groups.display eq "MEMBER"', {"ada"}),
        ('groups.value ne "member"', {"bob"}),  # bob belongs to no group
        ('groups eq "nobody"', set()),
        ('groups ne "nobody"', {"ada", "bob"}),
        ('meta.created gt "2000-01-01T02:00:00+02:00"', {"ada", "bob"}),  # an offset of its own
    ],
)
def test_constants_groups_and_dates_compare_as_rfc_7643_says(scim, expression, expected):
    scim.create("ada")
    scim.create("bob", active=False)
    body = scim.get("/Users", filter=expression).json()
    assert {r["userName"].split("@")[0] for r in body["Resources"]} == expected, body


def test_ids_compare_only_for_equality(scim):
    ada, bob = scim.create("ada")["id"], scim.create("bob")["id"]

    def names(expression: str) -> set[str]:
        return {
            r["userName"].split("@")[0] for r in scim.get("/Users", filter=expression).json()["Resources"]
        }

    assert names(f'id eq "{ada}"') == {"ada"}
    assert names(f'id ne "{ada}"') == {"bob"}
    assert names('id eq "not-a-number"') == set()
    assert names('id ne "not-a-number"') == {"ada", "bob"}
    assert bob != ada
    for expression in (f'id co "{ada}"', 'groups co "mem"', 'groups sw "m"'):
        scim_error(scim.get("/Users", filter=expression), 400, "invalidFilter")
