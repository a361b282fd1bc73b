"""`burrow sources …` and `burrow warehouse …`: the operator adds sources (DuckDB files too), loads CSV, Parquet
and JSON-lines files into an environment's embedded warehouse, and loads never block the server's reads."""

import json
import subprocess
import sys

import duckdb
import pytest

from burrow.cli import main
from burrow.queries.models import DataSource
from burrow.queries.runners.duckdb import connect
from burrow.queries.sources import embedded_path
from tests.helpers import error
from tests.queries.conftest import fill_duckdb
from tests.queries.test_query_api import query

pytestmark = pytest.mark.django_db


def burrow(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "signups.csv"
    path.write_text("day,plan,signups\n2026-01-01,free,3\n2026-01-02,pro,5\n")
    return path


def test_the_operator_adds_a_duckdb_file_the_api_may_then_query(tenant, capsys, tmp_path):
    path = tmp_path / "sales.duckdb"
    fill_duckdb(path)
    env = str(tenant.team.id)
    code, out, _ = burrow(
        capsys, "sources", "add", "--environment", env, "--name", "Sales", "--url", f"duckdb://{path}"
    )
    assert code == 0 and "added duckdb source" in out
    source = DataSource.objects.get(team=tenant.team)
    assert source.url == f"duckdb://{path}" and source.is_default is False
    answer = query(tenant, "SELECT count(*) AS n FROM events", data_source=str(source.id)).json()
    assert answer["results"] == [[90]]
    shown = tenant.client.get(tenant.url(f"data_sources/{source.id}/")).json()
    assert shown["url"] == f"duckdb://{path}"
    assert burrow(capsys, "sources", "test", "--environment", env, "Sales")[1].startswith("ok: DuckDB v")
    assert burrow(capsys, "sources", "remove", "--environment", env, str(source.id))[0] == 0
    assert not DataSource.objects.exists()


def test_listing_masks_passwords_and_names_the_embedded_default(tenant, capsys, postgresql_source_url):
    env = str(tenant.project.id)  # a project id means its default environment
    assert (
        burrow(capsys, "sources", "add", "--environment", env, "--url", postgresql_source_url, "--default")[0]
        == 0
    )
    code, out, _ = burrow(capsys, "sources", "list", "--environment", env)
    assert code == 0 and "reader-pass" not in out and "********" in out and out.rstrip().endswith("default")
    DataSource.objects.update(is_default=False)
    assert "(default: the embedded warehouse" in burrow(capsys, "sources", "list", "--environment", env)[1]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["sources", "add", "--environment", "999999", "--url", "duckdb:///x.duckdb"],
            "no environment 999999",
        ),
        (["sources", "add", "--environment", "{env}", "--url", "mysql://h/db"], "--url starts with"),
        (["sources", "add", "--environment", "{env}", "--url", "postgresql://u:p@10.0.0.1/db"], "10.0.0.1"),
        (["sources", "test", "--environment", "{env}", "nope"], "no data source 'nope'"),
        (["warehouse", "load", "--environment", "{env}", "bad-name", "x.csv"], "A table name is"),
        (["warehouse", "load", "--environment", "{env}", "t", "/nonexistent.csv"], "No file"),
    ],
)
def test_mistakes_are_refused_with_a_message(tenant, capsys, args, message):
    code, _, err = burrow(capsys, *[a.replace("{env}", str(tenant.team.id)) for a in args])
    assert code == 2 and message in err


def test_loading_csv_parquet_and_json_lines_replacing_or_appending(tenant, capsys, csv_file, tmp_path):
    env = str(tenant.team.id)
    code, out, _ = burrow(capsys, "warehouse", "load", "--environment", env, "signups", str(csv_file))
    assert code == 0 and "loaded 2 rows into signups (2 rows now)" in out
    lines = tmp_path / "more.jsonl"
    lines.write_text(json.dumps({"signups": 7, "day": "2026-01-03", "plan": "free"}) + "\n")
    assert (
        "(3 rows now)" in burrow(capsys, "warehouse", "load", "--environment", env, "signups", str(lines))[1]
    )
    parquet = tmp_path / "pageviews.parquet"
    duckdb.sql("SELECT 'Chrome' AS browser, 10 AS views").write_parquet(str(parquet))
    assert burrow(capsys, "warehouse", "load", "--environment", env, "pageviews", str(parquet))[0] == 0
    out = burrow(capsys, "warehouse", "tables", "--environment", env)[1]
    assert out.split() == ["pageviews", "1", "rows", "2", "columns", "signups", "3", "rows", "3", "columns"]
    answer = query(tenant, "SELECT plan, sum(signups) AS n FROM signups GROUP BY plan ORDER BY plan").json()
    assert answer["results"] == [["free", 10], ["pro", 5]]
    assert (
        "(2 rows now)"
        in burrow(capsys, "warehouse", "load", "--environment", env, "signups", str(csv_file), "--replace")[1]
    )


def test_a_load_neither_waits_for_nor_disturbs_a_query_reading_the_warehouse(tenant, capsys, csv_file):
    path = embedded_path(tenant.team.id)
    env = str(tenant.team.id)
    assert burrow(capsys, "warehouse", "load", "--environment", env, "signups", str(csv_file))[0] == 0
    reading = connect(path, embedded=True)  # what the server holds while a query runs
    try:
        assert burrow(capsys, "warehouse", "load", "--environment", env, "signups", str(csv_file))[0] == 0
        assert reading.execute("SELECT count(*) FROM signups").fetchone() == (2,)  # its own snapshot
    finally:
        reading.close()
    assert query(tenant, "SELECT count(*) AS n FROM signups").json()["results"] == [[4]]
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name)) == [
        path.name,
        path.name + ".lock",
    ]


def test_a_duckdb_file_another_process_writes_in_place_answers_400(tenant, capsys, tmp_path):
    path = tmp_path / "busy.duckdb"
    fill_duckdb(path)
    burrow(
        capsys,
        "sources",
        "add",
        "--environment",
        str(tenant.team.id),
        "--url",
        f"duckdb://{path}",
        "--default",
    )
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    writer = subprocess.Popen(
        [sys.executable, "-c", hold, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        body = error(query(tenant, "SELECT count(*) AS n FROM events"))
        assert (
            body["code"] == "data_source_unavailable" and "being written by another process" in body["detail"]
        )
    finally:
        writer.communicate("")
    assert query(tenant, "SELECT count(*) AS n FROM events").json()["results"] == [[90]]
