"""Two requests restarting the same finished query id at once (PostgreSQL, whose row locks make the second
wait for the first): one restarts it and hands it to a worker, the other joins that run. SQLite has one writer
at a time, so the second request never overlaps the first."""

import uuid

import pytest
from django.db import connection, transaction

from burrow.queries import statuses
from burrow.queries.models import QueryTask
from tests.helpers import another_session_waits_for_a_lock, in_thread, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's row locks"),
]


def test_a_finished_query_restarted_twice_at_once_runs_once(tenant):
    def enqueue():
        return statuses.enqueue(tenant.team, uuid.UUID(int=1), "SELECT 1", "query_key", "nightly")

    task, new = enqueue()
    statuses.finish(task, QueryTask.Status.COMPLETE)
    with transaction.atomic():
        restarted, first_is_new = enqueue()  # the first request's restart, not committed yet
        second = in_thread(enqueue)
        wait_for(
            another_session_waits_for_a_lock, timeout=20, what="the second restart to wait for the first"
        )
    joined, second_is_new = second()
    assert (new, first_is_new, second_is_new) == (True, True, False)
    assert joined.pk == restarted.pk == task.pk and joined.status == "queued"
