"""Connecting to a source: what failed is named (authentication, refused, no answer), the hosts rule holds
again at connect time on the resolved address, and Burrow's own database is never a source."""

import socket

import pytest
from django.db import connection

from tests.devtools import port_open
from tests.helpers import error
from tests.queries.test_query_api import query

pytestmark = pytest.mark.django_db


def add_source(tenant, kind, url, **extra):
    body = {"name": kind, "kind": kind, "url": url, "is_default": True, **extra}
    response = tenant.client.post(tenant.url("data_sources/"), body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def check_connection(tenant, source_id):
    return tenant.client.post(tenant.url(f"data_sources/{source_id}/test/"))


@pytest.fixture
def silent_port():
    """A port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("kind", ["postgresql", "clickhouse"])
def test_a_wrong_password_is_named_as_an_authentication_failure(request, tenant, kind):
    url = request.getfixturevalue(f"{kind}_source_url")
    if kind == "postgresql" and trusts_every_password(url):
        pytest.skip("this PostgreSQL trusts every password from 127.0.0.1 (pg_hba.conf)")
    source_id = add_source(tenant, kind, url.replace("reader-pass", "wrong-pass"))
    body = error(check_connection(tenant, source_id))
    assert body["code"] == "data_source_unavailable" and body["detail"].startswith("Authentication failed")
    assert error(query(tenant, "SELECT 1 AS one"))["detail"].startswith("Authentication failed")
    assert "wrong-pass" not in body["detail"]


def test_an_unknown_postgresql_user_is_named(tenant, postgresql_source_url):
    url = postgresql_source_url.replace("burrow_queries_reader_", "nobody_")
    body = error(check_connection(tenant, add_source(tenant, "postgresql", url)))
    assert body["detail"] == "The database or user does not exist."


def trusts_every_password(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url.replace("reader-pass", "wrong-pass")).close()
    except psycopg.OperationalError:
        return False
    return True


@pytest.mark.parametrize("kind", ["postgresql", "clickhouse"])
def test_a_port_nobody_listens_on_is_a_refused_connection(tenant, kind, closed_port):
    source_id = add_source(tenant, kind, f"{kind}://u:p@127.0.0.1:{closed_port}/db")
    assert error(check_connection(tenant, source_id))["detail"].startswith("Connection refused")


@pytest.mark.parametrize("kind", ["postgresql", "clickhouse"])
def test_a_host_that_does_not_answer_times_out(tenant, kind, silent_port, settings):
    settings.QUERY_TIMEOUT = 1
    add_source(tenant, kind, f"{kind}://u:p@127.0.0.1:{silent_port}/db")
    assert error(query(tenant, "SELECT 1 AS one"))["detail"].startswith("Connection timed out")


def test_a_tls_mismatch_is_named(tenant, postgresql_source_url):
    url = postgresql_source_url.replace("sslmode=disable", "sslmode=verify-full")
    body = error(check_connection(tenant, add_source(tenant, "postgresql", url)))
    assert body["detail"].startswith("TLS failed")


def test_the_hosts_rule_holds_again_on_the_address_resolved_at_connect_time(tenant, fake_dns):
    fake_dns.add("db.example.com", "A", "127.0.0.1")
    add_source(tenant, "postgresql", "postgresql://u:p@db.example.com:5432/db")
    fake_dns.set("db.example.com", "A", "10.0.0.5")  # rebinding after the check at save time
    body = error(query(tenant, "SELECT 1 AS one"))
    assert body["code"] == "data_source_refused" and "db.example.com (10.0.0.5)" in body["detail"]


@pytest.mark.skipif(not port_open("127.0.0.1", 5432), reason="PostgreSQL is not running on 127.0.0.1:5432")
def test_burrows_own_database_cannot_be_a_source(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("Burrow runs on SQLite here")
    own = connection.settings_dict
    url = f"postgresql://{own['USER']}:x@127.0.0.1:{own.get('PORT') or 5432}/{own['NAME']}"
    body = error(tenant.client.post(tenant.url("data_sources/"), {"kind": "postgresql", "url": url}))
    assert body["detail"] == "Burrow's own database cannot be a data source."
