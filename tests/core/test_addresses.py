"""One spelling per e-mail address (burrow.core.addresses) and the migration that gave every existing account
its key without losing any of them. What the spelling means for sign-in, SCIM and the CLI is tested through
those in tests/domains/test_lookalike_addresses.py."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from burrow.core.addresses import InvalidAddress, address_domain, address_key, domain_key

KEY = "kiss@inkstone.example"


@pytest.mark.parametrize(
    "spelling",
    [
        "kiss@inkstone.example",
        "  KISS@INKSTONE.EXAMPLE ",
        "kiſſ@inkſtone.example",  # long s
        "\u212aiss@in\u212astone.example",  # Kelvin sign
        "kiss@ｉｎｋｓｔｏｎｅ.example",  # fullwidth
        "ｋｉｓｓ＠inkstone.example",  # fullwidth, `＠` too
        "kiss@inkstone.example.",  # a rooted name
        "kiss@inkstone。example",  # an ideographic full stop
    ],
)
def test_lookalike_spellings_have_one_key(spelling):
    assert address_key(spelling) == KEY
    assert address_domain(spelling) == "inkstone.example"


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("kiss@ınkstone.example", "kiss@xn--nkstone-qfb.example"),  # dotless ı: another domain to IDNA
        ("kıss@inkstone.example", "kıss@inkstone.example"),  # …and another letter in a local part
        ("Straße@Bücher.DE", "strasse@xn--bcher-kva.de"),
        ("a@xn--bcher-kva.de", "a@xn--bcher-kva.de"),
        ("a@b@inkstone.example", "a@b@inkstone.example"),  # a quoted local part may hold an `@`
    ],
)
def test_what_idna_and_case_folding_make_of_other_letters(spelling, key):
    assert address_key(spelling) == key


@pytest.mark.parametrize(
    "malformed",
    ["", "kiss", "kiss@", "@inkstone.example", "kiss@-ink.example", "kiss@ab--cd.example", "a@b..c"],
)
def test_malformed_addresses_have_no_key(malformed):
    with pytest.raises(InvalidAddress):
        address_key(malformed)


def test_a_domain_is_keyed_as_the_domain_part_of_an_address():
    assert domain_key("InkſTone.Example") == "inkstone.example"
    with pytest.raises(InvalidAddress):
        domain_key("ink stone.example")


@pytest.mark.django_db(transaction=True)
def test_the_migration_keys_every_account_and_keeps_lookalike_duplicates(capsys):
    from burrow.domains.provisioning import find_user

    executor = MigrationExecutor(connection)
    before = [("core", "0001_initial")]
    executor.migrate(before)
    old_user = executor.loader.project_state(before).apps.get_model("core", "User")

    def make(email: str, joined: dt.datetime):
        return old_user.objects.create(email=email, password="!", date_joined=joined).pk

    younger = make("kiſſ@inkstone.example", dt.datetime(2026, 5, 1, tzinfo=dt.UTC))  # the lower id
    older = make("Kiss@Inkstone.example", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    plain = make("plain@example.com", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    malformed = make("broken@-inkstone.example", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from burrow.core.models import User

    keys = dict(User.objects.values_list("pk", "email_key"))
    assert len(keys) == 4  # nobody was lost
    assert keys[older] == KEY and find_user("kiss@inkstone.example").pk == older
    assert keys[younger] == f"{KEY} (duplicate of user {older}; user {younger})"
    assert keys[plain] == "plain@example.com"
    assert keys[malformed] == "broken@-inkstone.example" and find_user("broken@-inkstone.example") is None
    warning = capsys.readouterr().err
    assert f"user {younger} <kiſſ@inkstone.example> is the same address as user {older}" in warning
