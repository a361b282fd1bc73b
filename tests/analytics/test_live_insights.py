"""Insights whose query is SQL are computed from their data source: validated on write, refreshed on
retrieve per the query API's modes, computed once per delivery (picture, text and rows from one answer),
and shown live on pages and in a share's JSON."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug.wrappers import Response

from burrow.analytics.models import Dashboard, DashboardTile, Insight
from burrow.queries.sources import embedded_path
from burrow.queries.warehouse import writing
from burrow.subscriptions.delivery.dispatch import local_pool
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.scheduler import tick
from tests.factories import make_subscription
from tests.helpers import error
from tests.queries.conftest import fill_duckdb

DAILY = "SELECT day, sum(n) AS total FROM events GROUP BY day ORDER BY day"
TOTAL = "SELECT sum(n) AS total FROM events"


def chart(sql: str, display: str = "ActionsLineGraph") -> dict:
    return {
        "kind": "DataVisualizationNode",
        "source": {"kind": "HogQLQuery", "query": sql},
        "display": display,
    }


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture(autouse=True)
def fresh_tile_cache():
    """Rendered tiles are kept per process by insight id and version; ids start over in each test's database."""
    from burrow.analytics.tiles import forget_rendered_tiles

    forget_rendered_tiles()
    yield
    forget_rendered_tiles()


@pytest.fixture
def signed_in(tenant):
    from django.test import Client

    client = Client()
    client.force_login(tenant.user)
    return client


@pytest.fixture
def warehouse(tenant):
    path = embedded_path(tenant.team.id)
    fill_duckdb(path)
    return path


def add_rows(path, n: int) -> None:
    """One more event per day and browser, each of `n`: totals grow by 3·n per day."""
    with writing(path) as connection:
        connection.execute(
            "INSERT INTO events SELECT day, browser, ? FROM (SELECT DISTINCT day, browser FROM events)", [n]
        )


def create_insight(tenant, **body):
    return tenant.client.post(tenant.url("insights/"), body, format="json")


# --- writing and reading -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, attr",
    [
        (
            {
                "kind": "DataVisualizationNode",
                "source": {"kind": "HogQLQuery", "query": TOTAL},
                "display": "Pie",
            },
            "query__display",
        ),
        ({"kind": "DataVisualizationNode", "source": {"kind": "TrendsQuery"}}, "query__source__kind"),
        ({"kind": "HogQLQuery", "query": ""}, "query__query"),
    ],
)
def test_a_sql_query_of_the_wrong_shape_is_refused_naming_where(tenant, query, attr):
    body = error(create_insight(tenant, name="Bad", query=query))
    assert body["attr"] == attr, body


@pytest.mark.django_db
def test_other_query_kinds_keep_their_stored_result(tenant):
    created = create_insight(tenant, name="Trend", query={"kind": "TrendsQuery"}, result=[{"data": [1]}])
    assert created.status_code == 201, created.content
    shown = tenant.client.get(tenant.url(f"insights/{created.json()['id']}/?refresh=force_blocking")).json()
    assert shown["result"] == [{"data": [1]}] and "columns" not in shown


@pytest.mark.django_db
def test_an_insight_on_another_projects_source_is_refused(tenant, other_tenant):
    theirs = other_tenant.client.post(
        other_tenant.url("data_sources/"), {"kind": "duckdb"}, format="json"
    ).json()
    body = error(create_insight(tenant, name="Theirs", query=chart(TOTAL), data_source=theirs["id"]))
    assert body["attr"] == "data_source"
    mine = tenant.client.post(tenant.url("data_sources/"), {"kind": "duckdb"}, format="json").json()
    created = create_insight(tenant, name="Mine", query=chart(TOTAL), data_source=mine["id"])
    assert created.status_code == 201 and created.json()["data_source"] == mine["id"]


@pytest.mark.django_db
def test_retrieve_computes_per_refresh_mode_and_answers_rows_as_the_reference(tenant, warehouse):
    insight_id = create_insight(tenant, name="Daily", query=chart(DAILY)).json()["id"]
    url = tenant.url(f"insights/{insight_id}/")
    cold = tenant.client.get(url).json()  # default `force_cache`: nothing computed yet, nothing run
    assert cold["result"] is None and cold["last_refresh"] is None and cold["is_cached"] is False
    computed = tenant.client.get(url + "?refresh=blocking").json()
    assert computed["columns"] == ["day", "total"] and computed["types"][1] == ["total", "HUGEINT"]
    assert computed["result"][0] == ["2026-01-01", 6] and len(computed["result"]) == 30
    assert computed["is_cached"] is False and computed["last_refresh"] and computed["cache_target_age"]
    cached = tenant.client.get(url).json()
    assert cached["is_cached"] is True and cached["result"] == computed["result"]
    add_rows(warehouse, 1)
    assert tenant.client.get(url + "?refresh=blocking").json()["result"][0] == [
        "2026-01-01",
        6,
    ]  # fresh cache
    assert tenant.client.get(url + "?refresh=force_blocking").json()["result"][0] == ["2026-01-01", 9]
    assert error(tenant.client.get(url + "?refresh=sometimes"))["attr"] == "refresh"


@pytest.mark.django_db
def test_an_insight_that_cannot_be_computed_answers_400_saying_why(tenant, warehouse):
    insight_id = create_insight(tenant, name="Broken", query=chart("SELECT nope FROM events")).json()["id"]
    body = error(tenant.client.get(tenant.url(f"insights/{insight_id}/?refresh=blocking")))
    assert body["detail"].startswith("This insight could not be computed:") and "nope" in body["detail"]


@pytest.mark.django_db
def test_a_dashboard_with_refresh_computes_its_tiles(tenant, warehouse):
    dashboard = Dashboard.objects.create(team=tenant.team, name="Board")
    queries = [
        chart(DAILY),
        chart("SELECT nope FROM events"),
        {"kind": "TrendsQuery"},
        chart(TOTAL, "BoldNumber"),
    ]
    for y, query in enumerate(queries):
        insight = Insight.objects.create(team=tenant.team, name=f"Tile {y}", query=query)
        DashboardTile.objects.create(dashboard=dashboard, insight=insight, layouts={"sm": {"x": 0, "y": y}})
    plain = tenant.client.get(tenant.url(f"dashboards/{dashboard.id}/")).json()
    assert all("result" not in tile["insight"] for tile in plain["tiles"])
    refreshed = tenant.client.get(tenant.url(f"dashboards/{dashboard.id}/?refresh=blocking")).json()
    daily, broken, trend, total = (tile["insight"] for tile in refreshed["tiles"])
    assert len(daily["result"]) == 30 and daily["columns"] == ["day", "total"] and daily["is_cached"] is False
    assert broken["result"] is None and "nope" in broken["error"]
    assert "result" not in trend and total["result"] == [[2790]]
    cached = tenant.client.get(tenant.url(f"dashboards/{dashboard.id}/?refresh=blocking")).json()
    assert cached["tiles"][0]["insight"]["is_cached"] is True
    assert (
        error(tenant.client.get(tenant.url(f"dashboards/{dashboard.id}/?refresh=never")))["attr"] == "refresh"
    )


@pytest.mark.django_db
def test_a_neighbour_cannot_refresh_an_insight_or_dashboard_nor_run_its_query(
    tenant, other_tenant, warehouse
):
    from burrow.queries.models import QueryResult

    insight = Insight.objects.create(team=tenant.team, name="Secret total", query=chart(TOTAL))
    dashboard = Dashboard.objects.create(team=tenant.team, name="Secret board")
    DashboardTile.objects.create(dashboard=dashboard, insight=insight)
    for path in (f"insights/{insight.id}/", f"dashboards/{dashboard.id}/"):
        own_url = other_tenant.url(path + "?refresh=force_blocking")
        answer = other_tenant.client.get(own_url)
        assert answer.status_code == 404 and b"2790" not in answer.content
        theirs = other_tenant.client.get(tenant.url(path + "?refresh=force_blocking"))
        assert theirs.status_code == 403 and b"2790" not in theirs.content
    assert not QueryResult.objects.exists()  # nothing ran


# --- deliveries ------------------------------------------------------------------------------------------


def deliver_now(subscription) -> SubscriptionDelivery:
    Subscription.objects.filter(id=subscription.id).update(
        next_delivery_date=timezone.now() - timedelta(seconds=1)
    )
    tick()
    local_pool().drain(timeout=30)
    return SubscriptionDelivery.objects.filter(subscription=subscription).order_by("-created_at").first()


@pytest.fixture
def webhook(httpserver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    received: list[dict] = []

    def handler(request):
        received.append(json.loads(request.get_data(as_text=True)))
        return Response("", status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    return httpserver.url_for("/hook"), received


@pytest.mark.django_db(transaction=True)
def test_every_delivery_computes_the_numbers_anew(tenant, warehouse, webhook):
    url, received = webhook
    insight = Insight.objects.create(team=tenant.team, name="Total", query=chart(TOTAL, "BoldNumber"))
    sub = make_subscription(tenant, insight=insight, target_type="webhook", target_value=url)
    assert deliver_now(sub).status == "completed"
    first = received[-1]["insights"][0]
    assert first["columns"] == ["total"] and first["results"] == [[2790]]
    assert first["result"][0]["data"] == [2790] and first["summary"] == ["total: 2,790"]
    add_rows(warehouse, 10)
    assert deliver_now(sub).status == "completed"
    second = received[-1]["insights"][0]
    assert second["results"] == [[2790 + 900]] and second["summary"] == ["total: 3,690"]
    assert second["image_url"] != first["image_url"]  # a new picture for the new numbers
    body = {"query": {"kind": "HogQLQuery", "query": TOTAL}, "refresh": "force_blocking"}
    same_moment = tenant.client.post(tenant.url("query/"), body, format="json").json()
    assert same_moment["results"] == second["results"] and same_moment["columns"] == second["columns"]


@pytest.mark.django_db(transaction=True)
def test_one_failing_insight_does_not_stop_the_others(tenant, warehouse, webhook):
    url, received = webhook
    dashboard = Dashboard.objects.create(team=tenant.team, name="Mixed")
    queries = [("Daily", chart(DAILY)), ("Broken", chart("SELECT nope FROM events")), ("Total", chart(TOTAL))]
    for y, (name, query) in enumerate(queries):
        insight = Insight.objects.create(team=tenant.team, name=name, query=query)
        DashboardTile.objects.create(dashboard=dashboard, insight=insight, layouts={"sm": {"x": 0, "y": y}})
    sub = make_subscription(
        tenant, insight=None, dashboard=dashboard, target_type="webhook", target_value=url
    )
    delivery = deliver_now(sub)
    assert delivery.status == "completed", delivery.error
    daily, broken, total = received[-1]["insights"]
    assert len(daily["results"]) == 30 and total["results"] == [[2790]]
    assert broken["error"].startswith("This insight could not be computed:") and "nope" in broken["error"]
    assert broken["results"] is None and broken["image_url"] is None
    logged = {item["name"]: item["error"] for item in delivery.content_snapshot["insights"]}
    assert logged["Broken"] == broken["error"] and logged["Daily"] is None


@pytest.mark.django_db(transaction=True)
def test_a_delivery_waits_for_a_query_slot_rather_than_fail(tenant, warehouse, webhook):
    from burrow.queries.models import RunningQuery

    url, received = webhook
    insight = Insight.objects.create(team=tenant.team, name="Total", query=chart(TOTAL, "BoldNumber"))
    sub = make_subscription(tenant, insight=insight, target_type="webhook", target_value=url)
    # Every slot taken by queries of a process that died: they free themselves a second from now.
    soon = timezone.now() + timedelta(seconds=1)
    RunningQuery.objects.bulk_create(
        RunningQuery(team=tenant.team, slot=n, expires_at=soon) for n in range(4)
    )
    assert deliver_now(sub).status == "completed"
    assert received[-1]["insights"][0]["results"] == [[2790]] and received[-1]["insights"][0]["error"] is None


@pytest.mark.django_db(transaction=True)
def test_a_report_mail_carries_the_numbers_as_text_beside_the_picture(tenant, warehouse, smtp_server):
    insight = Insight.objects.create(team=tenant.team, name="Total", query=chart(TOTAL, "BoldNumber"))
    sub = make_subscription(tenant, insight=insight, target_value="reader@example.com")
    assert deliver_now(sub).status == "completed"
    mail = smtp_server.to("reader@example.com")[0]
    assert "total: 2,790" in mail.get_body(("plain",)).get_content()
    assert "total: 2,790" in mail.get_body(("html",)).get_content()
    add_rows(warehouse, 10)
    assert deliver_now(sub).status == "completed"
    later = smtp_server.to("reader@example.com")[1]
    assert "total: 3,690" in later.get_body(("plain",)).get_content()
    first, second = (picture(m) for m in (mail, later))
    assert first.size == second.size == (800, 450)
    assert first.tobytes() != second.tobytes()  # the picture drew the new number too


def picture(mail):
    """The mail's inline PNG, decoded."""
    import io

    from PIL import Image

    (part,) = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    image = Image.open(io.BytesIO(part.get_content()))
    image.load()
    return image


@pytest.mark.django_db(transaction=True)
def test_a_slack_report_says_the_numbers_in_words_beside_each_picture(tenant, warehouse, fake_slack):
    from burrow.integrations.models import Integration

    dashboard = Dashboard.objects.create(team=tenant.team, name="KPIs")
    for y, (name, query) in enumerate([("Daily", chart(DAILY)), ("Total", chart(TOTAL, "BoldNumber"))]):
        insight = Insight.objects.create(team=tenant.team, name=name, query=query)
        DashboardTile.objects.create(dashboard=dashboard, insight=insight, layouts={"sm": {"x": 0, "y": y}})
    slack = Integration.objects.create(
        team=tenant.team, kind="slack", integration_id="T1", sensitive_config={"access_token": "xoxb-secret"}
    )
    sub = make_subscription(
        tenant,
        insight=None,
        dashboard=dashboard,
        target_type="slack",
        target_value="C1|#kpi",
        integration=slack,
    )
    assert deliver_now(sub).status == "completed"
    main, thread = fake_slack.calls
    daily_line = "total: 180 on 2026-01-30 (▲ +3.4% vs 2026-01-29)"
    image, words = main["blocks"][1], main["blocks"][2]
    assert image["type"] == "image" and image["alt_text"] == f"Daily; {daily_line}"
    assert words == {"type": "context", "elements": [{"type": "mrkdwn", "text": daily_line}]}
    assert thread["text"] == "Total; total: 2,790"  # what a phone's notification shows
    assert thread["blocks"][1]["elements"][0]["text"] == "total: 2,790"


# --- pages -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_members_page_shows_live_numbers_and_refreshes_them(tenant, warehouse, signed_in):
    insight = Insight.objects.create(team=tenant.team, name="Total", query=chart(TOTAL, "BoldNumber"))
    page = signed_in.get(f"/project/{tenant.team.id}/insights/{insight.short_id}")
    html = page.content.decode()
    assert page.status_code == 200 and "2,790" in html and "Computed less than a minute ago" in html
    add_rows(warehouse, 10)
    assert "2,790" in signed_in.get(f"/project/{tenant.team.id}/insights/{insight.short_id}").content.decode()
    refreshed = signed_in.post(
        f"/project/{tenant.team.id}/insights/{insight.short_id}", {"action": "refresh"}
    )
    assert refreshed.status_code == 303
    assert "3,690" in signed_in.get(refreshed["Location"]).content.decode()


@pytest.mark.django_db
def test_a_shares_json_carries_the_live_numbers_of_an_insight_and_of_a_dashboards_tiles(tenant, warehouse):
    from django.test import Client

    insight = Insight.objects.create(team=tenant.team, name="Total", query=chart(TOTAL, "BoldNumber"))
    dashboard = Dashboard.objects.create(team=tenant.team, name="Board", description="Weekly numbers")
    tile = DashboardTile.objects.create(
        dashboard=dashboard, insight=insight, layouts={"sm": {"x": 0, "w": 6}}
    )
    broken = Insight.objects.create(team=tenant.team, name="Broken", query=chart("SELECT nope FROM events"))
    DashboardTile.objects.create(dashboard=dashboard, insight=broken, layouts={"sm": {"x": 6, "w": 6}})
    anonymous = Client()
    shared = {}
    for path in (f"insights/{insight.id}/sharing/", f"dashboards/{dashboard.id}/sharing/"):
        response = tenant.client.patch(tenant.url(path), {"enabled": True}, format="json")
        assert response.status_code == 200, response.content
        shared[path.split("/")[0]] = response.json()["access_token"]
    alone = anonymous.get(f"/shared/{shared['insights']}.json").json()["insight"]
    assert (alone["result"], alone["columns"], alone["error"]) == ([[2790]], ["total"], None)
    insight.refresh_from_db()
    assert alone["last_modified_at"] == insight.last_modified_at.isoformat().replace("+00:00", "Z")
    board = anonymous.get(f"/shared/{shared['dashboards']}.json").json()["dashboard"]
    assert board["description"] == "Weekly numbers"
    on_board, failed = sorted(board["tiles"], key=lambda t: t["layouts"]["sm"]["x"])
    assert on_board["id"] == tile.id and on_board["layouts"] == {"sm": {"x": 0, "w": 6}}
    assert (on_board["insight"]["result"], on_board["insight"]["columns"]) == ([[2790]], ["total"])
    assert failed["insight"]["result"] is None and "nope" in failed["insight"]["error"]
