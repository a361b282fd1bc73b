"""The query API of a `burrow serve` whose broker (BURROW_BROKER_URL) cannot be reached: a background
computation fails when it is handed over, saying why, rather than waiting in a queue no worker reads. A process of its own:
the Celery app reads its broker when it starts."""

from tests.helpers import new_project


def test_a_background_query_with_an_unreachable_broker_fails_saying_so(serve_burrow):
    served = serve_burrow(BURROW_BROKER_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    api, _ = new_project(served, "ops@example.com", "Acme", "Web")
    body = {"query": {"kind": "HogQLQuery", "query": "SELECT 1 AS one"}, "refresh": "force_async"}
    started = api.post("query/", json={**body, "client_query_id": "nightly"})
    assert started.status_code == 200, started.text  # finished already: nothing to wait for
    assert (
        started.json()["query_status"]["error_message"] == "The broker at BURROW_BROKER_URL is unreachable."
    )
    answer = api.get("query/nightly/")
    assert answer.status_code == 400, answer.text
    state = answer.json()["query_status"]
    assert state["complete"] is True and state["error"] is True
    assert state["error_message"] == "The broker at BURROW_BROKER_URL is unreachable."
