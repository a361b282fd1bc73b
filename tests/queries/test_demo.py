"""`burrow bootstrap --demo` fills the demo environment's warehouse: about 100,000 rows over the 90 days up to
today, which the query API answers with the demo key, the examples of the reference's query API docs included."""

import datetime
import re

import pytest

from burrow.cli import main
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

DAILY = (
    "SELECT CAST(timestamp AS DATE) AS day, count(*) AS pageviews FROM pageviews "
    "WHERE timestamp >= current_date - INTERVAL 29 DAY GROUP BY day ORDER BY day"
)


def test_the_demo_fills_90_days_up_to_today_that_the_query_api_answers(capsys):
    assert main(["bootstrap", "--demo"]) == 0
    out = capsys.readouterr().out
    counts = dict(
        (table, int(n.replace(",", "")))
        for n, table in re.findall(r"(\d[\d,]*) ([a-z]+)", out.split("demo warehouse")[1].splitlines()[0])
    )
    assert set(counts) == {"events", "persons", "revenue"}
    assert 90_000 <= sum(counts.values()) <= 120_000
    key = re.search(r"personal_api_key\s+(\S+)", out).group(1)
    project = re.search(r"project_id\s+(\d+)", out).group(1)
    body = {"query": {"kind": "HogQLQuery", "query": DAILY}}
    answer = client_for(key).post(f"/api/projects/{project}/query/", body, format="json").json()
    days = [day for day, _ in answer["results"]]
    assert len(days) == 30 and days[-1] == datetime.date.today().isoformat()
    assert all(n > 100 for _, n in answer["results"])
    by_browser = "SELECT browser, count(*) FROM pageviews GROUP BY 1 ORDER BY 2 DESC"
    answer = (
        client_for(key)
        .post(
            f"/api/projects/{project}/query/",
            {"query": {"kind": "HogQLQuery", "query": by_browser}},
            format="json",
        )
        .json()
    )
    assert [browser for browser, _ in answer["results"]] == ["Chrome", "Safari", "Firefox", "Edge"]
    # The two examples of the reference's query API docs, as they are written there.
    blog = "select properties.$current_url from events where properties.$current_url like '%/blog%' limit 100"
    answer = (
        client_for(key)
        .post(
            f"/api/projects/{project}/query/", {"query": {"kind": "HogQLQuery", "query": blog}}, format="json"
        )
        .json()
    )
    assert len(answer["results"]) == 100 and all("/blog/" in url for [url] in answer["results"])
    emails = "select properties.email from persons where properties.email is not null"
    answer = (
        client_for(key)
        .post(
            f"/api/projects/{project}/query/",
            {"query": {"kind": "HogQLQuery", "query": emails}},
            format="json",
        )
        .json()
    )
    assert answer["hasMore"] is True and all(email.endswith("@example.com") for [email] in answer["results"])
    assert main(["bootstrap", "--demo"]) == 0  # again: the data is made anew, dated up to today
    assert "demo warehouse of environment" in capsys.readouterr().out
