"""Two SCIM writes at once, as an identity provider retrying a slow request sends them: a change to a person
waits for the one in progress and answers from its outcome, and an address another request took meanwhile is
a 409 `uniqueness`, never a 500. PostgreSQL only: these are its row locks and its unique index waiting for
the other transaction (SQLite has one writer at a time, so the second request never overlaps the first)."""

import pytest
from django.db import connection, transaction

from burrow.core.models import ActivityLog
from burrow.domains import provisioning
from burrow.domains.scim import services
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import USER, scim_error
from tests.helpers import another_session_waits_for_a_lock, in_thread, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's row locks"),
]


def test_a_delete_racing_a_delete_of_the_same_person_answers_404_once_the_first_is_done(scim):
    person = scim.create("twice")
    with transaction.atomic():
        services.delete_user(scim.domain, person["id"])  # the first DELETE, not committed yet
        second = in_thread(lambda: scim.delete(f"/Users/{person['id']}"))
        wait_for(another_session_waits_for_a_lock, what="the second DELETE to wait for the first")
    scim_error(second(), 404)
    assert (
        ActivityLog.objects.filter(
            scope="OrganizationMembership", item_id=person["id"], activity="deleted"
        ).count()
        == 1
    )


def test_an_address_taken_while_a_replace_waits_for_it_is_a_409_uniqueness(scim):
    person = scim.create("ann")
    wanted = {"schemas": [USER], "userName": "taken@acme.example.org"}
    with transaction.atomic():
        provisioning.create_user("taken@acme.example.org")  # another request's new person, not committed yet
        replace = in_thread(lambda: scim.put(f"/Users/{person['id']}", wanted))
        wait_for(another_session_waits_for_a_lock, what="the replace to wait on the address's unique index")
    body = scim_error(replace(), 409, "uniqueness")
    assert body["detail"] == "Another user already has the address taken@acme.example.org."
    assert scim.get(f"/Users/{person['id']}").json()["userName"] == "ann@acme.example.org"
