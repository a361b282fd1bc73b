"""One address, one account, whatever the spelling: look-alikes (long s `ſ`, Kelvin sign `K`, fullwidth
letters, mixed case) are the same address for password sign-in and its SSO enforcement, the per-address
lockout, SCIM and the CLI, on SQLite and PostgreSQL alike; a dotless `ı` is another letter (as IDNA has it),
so it is another address and never reaches the account spelt with `i`."""

import io
import json

import pytest
from django.test import Client

from burrow import cli
from burrow.core.models import User
from tests.domains.conftest import PASSWORD
from tests.domains.saml.test_login import idp, saml_domain, sign_in, signed_in_as  # noqa: F401 (fixtures)
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import USER, scim_error
from tests.helpers import error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

ADDRESS = "kiss@inkstone.example"
# Each is `kiss@inkstone.example` to a person reading it, and to Burrow.
LOOKALIKES = {
    "long s": "kiſſ@inkſtone.example",
    "kelvin sign": "\u212aiss@in\u212astone.example",
    "fullwidth": "kiss@ｉｎｋｓｔｏｎｅ.example",  # in a local part, a fullwidth letter is not a valid address
    "mixed case": "KiSS@InkStone.EXAMPLE",
}
DOMAIN_LOOKALIKES = {
    "long s": "kiss@inkſtone.example",
    "kelvin sign": "kiss@in\u212astone.example",
    "fullwidth": "kiss@ｉｎｋｓｔｏｎｅ.example",
    "mixed case": "kiss@INKSTONE.Example",
}
# Another domain to IDNA (`xn--nkstone-…`) and another local part: not Kiss's address in any way.
DOTLESS_I = ["kiss@ınkstone.example", "kıss@inkstone.example"]
SSO_ENFORCED = {
    "type": "validation_error",
    "code": "sso_enforced",
    "detail": "You can only login with SSO for this account (saml).",
    "attr": None,
}
INVALID = {
    "type": "validation_error",
    "code": "invalid_credentials",
    "detail": "Invalid email or password.",
    "attr": None,
}


def login(email: str, password: str = PASSWORD, address: str = "198.51.100.1"):
    body = json.dumps({"email": email, "password": password})
    return Client().post("/api/login", body, content_type="application/json", REMOTE_ADDR=address)


@pytest.fixture
def kiss(person):
    person.email = ADDRESS
    person.save()
    return person


@pytest.mark.parametrize("email", DOMAIN_LOOKALIKES.values(), ids=DOMAIN_LOOKALIKES.keys())
def test_a_lookalike_of_an_sso_enforced_domain_cannot_sign_in_with_a_password(kiss, verified_domain, email):
    verified_domain("inkstone.example", sso_enforcement="saml")
    response = login(email)
    assert error(response, 400) == SSO_ENFORCED
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("email", DOTLESS_I)
def test_a_dotless_i_spelling_is_another_address_and_never_signs_in_as_the_account(kiss, email):
    response = login(email)
    assert error(response, 400) == INVALID
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("email", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_every_spelling_signs_in_to_the_one_account(kiss, email):
    response = login(email)
    assert response.status_code == 200, response.content
    assert (
        Client(HTTP_COOKIE=f"sessionid={response.cookies['sessionid'].value}")
        .get("/api/users/@me/")
        .json()["email"]
        == ADDRESS
    )


def test_failed_sign_ins_in_every_spelling_count_against_one_address(kiss, settings):
    settings.LOGIN_ATTEMPTS = len(LOOKALIKES)
    for n, email in enumerate(LOOKALIKES.values()):
        assert login(email, "wrong", address=f"198.51.100.{n}").status_code == 400
    # The right password, in the plain spelling, from yet another client: the address is locked.
    assert login(ADDRESS, address="198.51.100.99").status_code == 429
    for email in DOTLESS_I:  # another address, with a window of its own, that is not Kiss's account
        assert error(login(email, address="198.51.100.98"), 400) == INVALID


def test_malformed_domains_are_refused_where_the_address_is_typed(person):
    for email in ["kiss@-inkstone.example", "kiss@ab--cd.example", "ｋｉｓｓ@inkstone.example"]:
        body = error(login(email), 400)
        assert body["attr"] == "email" and body["detail"] == "Enter a valid email address.", body


@pytest.mark.parametrize("email", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_saml_signs_a_lookalike_assertion_in_to_the_one_account(kiss, saml_domain, idp, email):  # noqa: F811
    domain = saml_domain("inkstone.example", jit_provisioning_enabled=True)
    client = Client()
    response = sign_in(client, idp, domain, email=email)
    assert response.status_code == 302, response.content
    assert signed_in_as(client) == kiss and User.objects.count() == 1


@pytest.mark.parametrize("spelling", ["ſam", "\u212aate", "SAM"])
def test_scim_create_of_a_lookalike_of_an_existing_person_is_a_conflict(make_scim, spelling):
    scim = make_scim("kiosk.example")
    plain = spelling.replace("ſ", "s").replace("\u212a", "k").lower()
    scim.create(plain)
    response = scim.post("/Users", {"schemas": [USER], "userName": f"{spelling}@kiosk.example"})
    scim_error(response, 409, "uniqueness")
    assert User.objects.filter(email__endswith="@kiosk.example").count() == 1


def test_scim_takes_a_lookalike_domain_as_its_own(make_scim):
    scim = make_scim("kiosk.example")
    created = scim.post("/Users", {"schemas": [USER], "userName": "ada@\u212aioſk.example"})
    assert created.status_code == 201, created.content
    assert created.json()["userName"] == "ada@kiosk.example"
    again = scim.post("/Users", {"schemas": [USER], "userName": "ada@ｋｉｏｓｋ.example"})
    scim_error(again, 409, "uniqueness")


def test_scim_cannot_rename_a_person_to_a_lookalike_of_another(make_scim):
    scim = make_scim("kiosk.example")
    scim.create("sam")
    ben = scim.create("ben")
    response = scim.put(f"/Users/{ben['id']}", {"schemas": [USER], "userName": "ſAM@kiosk.example"})
    scim_error(response, 409, "uniqueness")
    assert User.objects.get(pk=ben["id"]).email == "ben@kiosk.example"


@pytest.mark.parametrize("email", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_the_cli_finds_the_person_by_any_spelling(kiss, tenant, email, monkeypatch, capsys):
    assert cli.main(["keys", "create", "--email", email, "--label", "spelt"]) == 0
    key_id = json.loads(capsys.readouterr().out)["id"]
    assert kiss.personal_api_keys.filter(id=key_id).exists()
    assert cli.main(["keys", "list", "--email", email]) == 0
    assert key_id in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a new password\n"))
    assert cli.main(["users", "set-password", "--email", email, "--password-stdin"]) == 0
    assert login(ADDRESS, "a new password").status_code == 200
    assert cli.main(["bootstrap", "--email", email, "--join-organization", str(tenant.organization.id)]) == 0
    assert User.objects.count() == 1


def test_the_cli_refuses_a_malformed_address_with_a_message(db, capsys):
    assert (
        cli.main(["bootstrap", "--email", "kiss@-inkstone.example", "--organization", "O", "--project", "P"])
        == 2
    )
    assert "Enter a valid email address." in capsys.readouterr().err
    assert not User.objects.exists()


@pytest.mark.parametrize("lookalike", ["inkſtone.example", "ＩＮＫＳＴＯＮＥ.example", "xn--n3h.example"])
def test_a_domain_is_claimed_only_in_the_form_addresses_map_to(tenant, lookalike):
    """`xn--n3h` (a snowman) passes the older IDNA rules but no address can be at it under UTS #46."""
    response = tenant.client.post(tenant.org_url("domains/"), {"domain": lookalike}, format="json")
    assert error(response)["detail"] == "Please enter a valid domain or subdomain name."
