"""`/api/environments/:id/data_sources/`: admins add, change and remove an environment's sources; members
read them with the password masked; the hosts rule and the embedded warehouse rule hold on every write."""

import pytest
from django.db import connection

from burrow.core.bootstrap import join_organization
from burrow.queries.models import DataSource
from tests.conftest import client_for
from tests.helpers import error

pytestmark = pytest.mark.django_db

PG_URL = "postgresql://reader:s3cret-pass@127.0.0.1:5432/analytics?sslmode=disable"
FIELDS = {"id", "name", "kind", "url", "is_default", "created_at", "created_by"}


def create(tenant, route="environments", **body):
    return tenant.client.post(tenant.url("data_sources/", route), body, format="json")


def test_admins_add_a_source_whose_password_every_read_masks_and_the_database_stores_encrypted(tenant):
    response = create(tenant, name="Analytics", kind="postgresql", url=PG_URL, is_default=True)
    assert response.status_code == 201, response.content
    shown = response.json()
    assert set(shown) == FIELDS and shown["is_default"] is True
    assert shown["url"] == "postgresql://reader:********@127.0.0.1:5432/analytics?sslmode=disable"
    assert shown["created_by"]["email"] == tenant.user.email
    listed = tenant.client.get(tenant.url("data_sources/", "projects")).json()
    assert listed["results"] == [shown]
    assert tenant.client.get(tenant.url(f"data_sources/{shown['id']}/")).json() == shown
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM queries_datasource")
        [(stored,)] = cursor.fetchall()
    assert "s3cret" not in stored and "reader" not in stored


def test_members_read_sources_but_only_admins_write_them(tenant):
    source_id = create(tenant, name="A", kind="postgresql", url=PG_URL).json()["id"]
    member = client_for(
        join_organization("member@example.com", tenant.organization, "member", ["*"]).personal_api_key
    )
    assert member.get(tenant.url("data_sources/")).json()["count"] == 1
    url = tenant.url("data_sources/")
    assert error(member.post(url, {"kind": "duckdb"}, format="json"), 403)
    assert error(member.patch(f"{url}{source_id}/", {"name": "B"}, format="json"), 403)
    assert error(member.delete(f"{url}{source_id}/"), 403)
    assert tenant.client.delete(f"{url}{source_id}/").status_code == 204
    assert error(tenant.client.get(f"{url}{source_id}/"), 404)


def test_keys_need_the_external_data_source_scopes(tenant, key_client):
    reader = key_client(["external_data_source:read"])
    assert reader.get(tenant.url("data_sources/")).status_code == 200
    body = error(reader.post(tenant.url("data_sources/"), {"kind": "duckdb"}, format="json"), 403)
    assert "external_data_source:write" in body["detail"]
    writer = key_client(["external_data_source:write"])
    assert writer.post(tenant.url("data_sources/"), {"kind": "duckdb"}, format="json").status_code == 201
    assert error(key_client(["insight:read"]).get(tenant.url("data_sources/")), 403)


def test_api_clients_cannot_name_a_duckdb_file(tenant):
    body = error(create(tenant, kind="duckdb", url="duckdb:///etc/other.duckdb"))
    assert body["attr"] == "url" and "cannot name a DuckDB file" in body["detail"]
    embedded = create(tenant, kind="duckdb").json()
    assert embedded["url"] == "" and embedded["name"] == "Embedded warehouse"
    source_url = tenant.url(f"data_sources/{embedded['id']}/")
    assert error(tenant.client.patch(source_url, {"url": "duckdb:///tmp/x.duckdb"}, format="json"))
    # Read through the field: `secret` is stored encrypted, and its ciphertext may hold "tmp" by chance.
    assert all("tmp" not in source.url for source in DataSource.objects.all())


@pytest.mark.parametrize(
    "url, named",
    [
        ("postgresql://u:p@10.1.2.3:5432/db", "10.1.2.3"),
        ("clickhouse://u:p@192.168.0.9:8123/default", "192.168.0.9"),
        ("postgresql://u:p@169.254.169.254/db", "169.254.169.254"),
        ("postgresql://u:p@db.internal.example.com/db", "db.internal.example.com"),
    ],
)
def test_a_private_host_not_listed_is_refused_naming_it(tenant, fake_dns, url, named):
    fake_dns.add("db.internal.example.com", "A", "10.9.9.9")
    kind = url.split(":")[0]
    body = error(create(tenant, kind=kind, url=url))
    assert body["attr"] == "url" and named in body["detail"]
    assert not DataSource.objects.exists()


def test_listed_hosts_and_networks_open_private_addresses(tenant, fake_dns, settings):
    fake_dns.add("warehouse.corp.example", "A", "10.9.9.9")
    settings.DATA_SOURCE_HOSTS = ["10.1.0.0/16", "warehouse.corp.example"]
    assert create(tenant, kind="postgresql", url="postgresql://u:p@10.1.2.3/db").status_code == 201
    assert (
        create(tenant, kind="postgresql", url="postgresql://u:p@warehouse.corp.example/db").status_code == 201
    )
    # Listing hosts replaces the default, which lists loopback.
    assert "127.0.0.1" in error(create(tenant, kind="postgresql", url=PG_URL))["detail"]


@pytest.mark.parametrize(
    "kind, url, expected",
    [
        ("postgresql", "mysql://u:p@127.0.0.1/db", "starts with postgresql:// or postgres://"),
        ("postgresql", "postgresql://u:p@127.0.0.1/db?host=/var/run/postgresql", "Unsupported URL parameter"),
        ("postgresql", "", "needs a url"),
        ("clickhouse", "clickhouse://u:p@127.0.0.1:99999/db", "Invalid URL"),
        ("postgresql", "postgresql://u:p@127.0.0.1/db?sslmode=maybe", "sslmode must be"),
    ],
)
def test_malformed_urls_are_refused(tenant, kind, url, expected):
    assert expected in error(create(tenant, kind=kind, url=url))["detail"]


def test_one_default_per_environment_and_masked_passwords_survive_an_edit(tenant):
    first = create(tenant, name="first", kind="postgresql", url=PG_URL, is_default=True).json()
    second = create(tenant, name="second", kind="duckdb", is_default=True).json()
    defaults = DataSource.objects.filter(is_default=True).values_list("name", flat=True)
    assert list(defaults) == ["second"]
    url = tenant.url(f"data_sources/{first['id']}/")
    edited = tenant.client.patch(url, {"url": first["url"].replace("analytics", "sales"), "is_default": True})
    assert edited.status_code == 200 and edited.json()["is_default"] is True
    assert DataSource.objects.get(id=first["id"]).url == PG_URL.replace("analytics", "sales")
    assert DataSource.objects.get(id=second["id"]).is_default is False
    assert error(tenant.client.patch(url, {"kind": "clickhouse"}, format="json"))["attr"] == "kind"
    assert tenant.client.put(url, {"name": "x"}, format="json").status_code == 405


def test_another_organizations_sources_are_not_found(tenant, other_tenant):
    source_id = create(tenant, kind="duckdb").json()["id"]
    other = other_tenant.client
    assert error(other.get(other_tenant.url(f"data_sources/{source_id}/")), 404)
    assert error(other.get(tenant.url("data_sources/")), 403)


def test_testing_the_embedded_warehouse_answers_its_version(tenant):
    source_id = create(tenant, kind="duckdb").json()["id"]
    answer = tenant.client.post(tenant.url(f"data_sources/{source_id}/test/")).json()
    assert answer["ok"] is True and answer["version"].startswith("DuckDB v")


def test_a_deleted_environment_takes_its_warehouse_with_it(tenant, warehouse):
    assert warehouse.exists()
    tenant.team.delete()
    assert not warehouse.exists()
