"""Creating, reading and editing subscriptions over HTTP, on both the projects and environments routes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from burrow.subscriptions.delivery.channels.webhook import stored_secret
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from tests.factories import make_dashboard, make_insight, make_subscription
from tests.helpers import error
from tests.subscriptions.conftest import tile_ids

pytestmark = pytest.mark.django_db

SEED_FIELDS = [
    "id", "dashboard", "insight", "dashboard_export_insights", "target_type", "target_value", "frequency",
    "interval", "byweekday", "bysetpos", "count", "start_date", "until_date", "created_at", "created_by",
    "deleted", "title", "summary", "next_delivery_date", "integration_id", "invite_message",
]  # fmt: skip


def test_can_create_new_subscription(tenant, insight, create):
    response = create(start_date="2030-01-01T00:00:00", invite_message="hey there!")
    assert response.status_code == 201, response.content
    data = response.json()
    assert list(data) == [*SEED_FIELDS, "enabled"]
    assert data == {
        "id": data["id"],
        "dashboard": None,
        "insight": insight.id,
        "dashboard_export_insights": [],
        "target_type": "email",
        "target_value": "test@posthog.com",
        "frequency": "weekly",
        "interval": 1,
        "byweekday": None,
        "bysetpos": None,
        "count": None,
        "start_date": "2030-01-01T00:00:00Z",
        "until_date": None,
        "created_at": data["created_at"],
        "created_by": data["created_by"],
        "deleted": False,
        "title": "My Subscription",
        "summary": "sent every week",
        "next_delivery_date": "2030-01-01T00:00:00Z",
        "integration_id": None,
        "invite_message": None,
        "enabled": True,
    }
    assert data["created_at"].endswith("Z")
    assert data["created_by"]["email"] == tenant.user.email
    assert "webhook_secret" not in data


def test_trailing_slash_is_optional(tenant, body, route):
    response = tenant.client.post(tenant.url("subscriptions", route), body(), format="json")
    assert response.status_code == 201


def test_retrieve_adds_next_deliveries_and_preview_picks_how_many(tenant, create, route):
    created = create(byweekday=["wednesday"]).json()
    url = tenant.url(f"subscriptions/{created['id']}/", route)
    data = tenant.client.get(url).json()
    assert list(data) == [*SEED_FIELDS, "enabled", "next_deliveries"]
    assert data["next_deliveries"] == [
        "2030-01-09T09:00:00Z", "2030-01-16T09:00:00Z", "2030-01-23T09:00:00Z", "2030-01-30T09:00:00Z",
        "2030-02-06T09:00:00Z",
    ]  # fmt: skip
    assert len(tenant.client.get(url + "?preview=12").json()["next_deliveries"]) == 12
    for bad in ("0", "51", "x"):
        assert error(tenant.client.get(url + f"?preview={bad}"))["attr"] == "preview"
    listed = tenant.client.get(tenant.url("subscriptions/", route)).json()["results"][0]
    assert "next_deliveries" not in listed


@pytest.mark.parametrize(
    "missing",
    ["target_type", "target_value", "frequency", "start_date"],
)
def test_required_fields(create, missing):
    assert error(create(**{missing: ...})) == {
        "type": "validation_error", "code": "required", "detail": "This field is required.", "attr": missing,
    }  # fmt: skip


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("target_type", "pigeon", "invalid_choice"),
        ("frequency", "hourly", "invalid_choice"),
        ("title", "x" * 101, "max_length"),
        ("target_value", "", "blank"),
        ("start_date", "next tuesday", "invalid_input"),
        ("interval", 2147483648, "max_value"),
        ("count", -2147483649, "min_value"),
    ],
)
def test_field_validation(create, field, value, code):
    data = error(create(**{field: value}))
    assert (data["attr"], data["code"]) == (field, code)


def test_bad_weekday_names_the_item(create):
    data = error(create(byweekday=["monday", "caturday"]))
    assert data["attr"].startswith("byweekday")
    assert data["detail"] == '"caturday" is not a valid choice.'


def test_interval_must_be_at_least_one(create):
    for interval in (0, -3):
        assert error(create(interval=interval))["attr"] == "interval"


def test_naive_dates_are_utc_and_render_with_z(create):
    data = create(start_date="2030-03-15T12:00:00", until_date="2031-01-01T00:00:00+02:00").json()
    assert data["start_date"] == "2030-03-15T12:00:00Z"
    assert data["until_date"] == "2030-12-31T22:00:00Z"


def test_insight_and_dashboard_must_belong_to_the_team(create, other_tenant):
    foreign_insight, foreign_dashboard = make_insight(other_tenant), make_dashboard(other_tenant)
    assert error(create(insight=foreign_insight.id))["detail"] == "This insight does not belong to your team."
    data = error(create(insight=None, dashboard=foreign_dashboard.id))
    assert (data["attr"], data["detail"]) == ("dashboard", "This dashboard does not belong to your team.")
    data = error(create(insight=987654321))
    assert (data["attr"], data["detail"]) == ("insight", 'Invalid pk "987654321" - object does not exist.')


def test_a_subscription_needs_exactly_one_resource(create, dashboard):
    data = error(create(insight=None))
    assert (data["attr"], data["detail"]) == (None, "Either dashboard or insight is required for an export.")
    assert (
        error(create(dashboard=dashboard.id, dashboard_export_insights=tile_ids(dashboard)))["attr"]
        == "insight"
    )


def test_dashboard_subscription_with_selected_insights(create, dashboard):
    chosen = tile_ids(dashboard)[:2]
    response = create(insight=None, dashboard=dashboard.id, dashboard_export_insights=chosen)
    assert response.status_code == 201, response.content
    assert (response.json()["dashboard"], response.json()["dashboard_export_insights"]) == (
        dashboard.id,
        chosen,
    )


@pytest.mark.parametrize(
    "selection, message",
    [
        (None, "Select at least one insight for this subscription."),
        ([], "Select at least one insight for this subscription."),
        ("all", "Expected a list of insight IDs."),
        (["1"], "All items must be integers."),
        ("seven", "Cannot select more than 6 insights."),
        ("foreign", "Some insights do not belong to your team or do no longer exist."),
        ("off-dashboard", "1 invalid insight(s) selected."),
    ],
)
def test_dashboard_export_insights_rules(tenant, other_tenant, create, dashboard, selection, message):
    if selection == "seven":
        selection = [make_insight(tenant).id for _ in range(7)]
    elif selection == "foreign":
        selection = [make_insight(other_tenant).id]
    elif selection == "off-dashboard":
        selection = [tile_ids(dashboard)[0], make_insight(tenant).id]
    fields = {"insight": None, "dashboard": dashboard.id}
    if selection is not None:
        fields["dashboard_export_insights"] = selection
    data = error(create(**fields))
    assert (data["attr"], data["detail"]) == ("dashboard_export_insights", message)


def test_insight_subscription_cannot_select_dashboard_insights(create, insight):
    data = error(create(dashboard_export_insights=[insight.id]))
    assert data["detail"] == "Cannot set insights selection without a dashboard."


def test_patch_keeps_or_replaces_the_selection(tenant, create, dashboard, route):
    ids = tile_ids(dashboard)
    created = create(insight=None, dashboard=dashboard.id, dashboard_export_insights=ids[:1]).json()
    url = tenant.url(f"subscriptions/{created['id']}/", route)
    assert tenant.client.patch(url, {"title": "Renamed"}).json()["dashboard_export_insights"] == ids[:1]
    assert (
        tenant.client.patch(url, {"dashboard_export_insights": ids[1:]}).json()["dashboard_export_insights"]
        == ids[1:]
    )
    data = error(tenant.client.patch(url, {"dashboard_export_insights": []}))
    assert data["detail"] == "Select at least one insight for this subscription."


def test_schedule_that_never_fires_again_is_refused(tenant, create, route):
    data = error(create(frequency="daily", start_date="2020-01-01T00:00:00Z", count=2))
    assert (data["attr"], data["detail"]) == (
        "start_date",
        "Subscription schedule has reached its end date. Extend until_date or remove count.",
    )
    created = create().json()
    url = tenant.url(f"subscriptions/{created['id']}/", route)
    data = error(tenant.client.patch(url, {"until_date": "2020-01-01T00:00:00Z"}))
    assert (data["attr"], data["detail"]) == (
        None,
        "Subscription schedule has reached its end date. Extend until_date or remove count.",
    )


def test_impossible_position_is_refused_before_searching(create):
    data = error(create(byweekday=["monday"], bysetpos=3))
    assert data["attr"] == "bysetpos"
    assert error(create(byweekday=["monday"], bysetpos=0))["attr"] == "bysetpos"


def test_reenabling_an_exhausted_schedule_is_refused(tenant, route):
    subscription = make_subscription(tenant, enabled=False)
    Subscription.objects.filter(id=subscription.id).update(until_date=timezone.now() - timedelta(days=3))
    url = tenant.url(f"subscriptions/{subscription.id}/", route)
    data = error(tenant.client.patch(url, {"enabled": True}))
    assert data["attr"] == "enabled"
    assert data["detail"].endswith("before re-enabling.")


def test_reenabling_recomputes_a_stale_next_delivery_date(tenant, route):
    subscription = make_subscription(tenant, enabled=False, start_date=timezone.now() - timedelta(days=10))
    Subscription.objects.filter(id=subscription.id).update(
        next_delivery_date=timezone.now() - timedelta(days=5)
    )
    data = tenant.client.patch(
        tenant.url(f"subscriptions/{subscription.id}/", route), {"enabled": True}
    ).json()
    assert data["enabled"] is True
    assert data["next_delivery_date"] > timezone.now().isoformat()


def test_next_delivery_date_only_moves_when_the_schedule_changes(tenant, create, route):
    created = create().json()
    url = tenant.url(f"subscriptions/{created['id']}/", route)
    assert created["next_delivery_date"] == "2030-01-07T09:00:00Z"
    assert tenant.client.patch(url, {"title": "New", "target_value": "a@b.co"}).json()[
        "next_delivery_date"
    ] == ("2030-01-07T09:00:00Z")
    assert (
        tenant.client.patch(url, {"byweekday": ["friday"]}).json()["next_delivery_date"]
        == "2030-01-11T09:00:00Z"
    )


def test_webhook_secret_is_shown_once(tenant, create, route, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    created = create(target_type="webhook", target_value="http://127.0.0.1:9/hook")
    assert created.status_code == 201, created.content
    secret = created.json()["webhook_secret"]
    assert secret.startswith("whsec_")
    assert stored_secret(Subscription.objects.get(id=created.json()["id"])) == secret
    url = tenant.url(f"subscriptions/{created.json()['id']}/", route)
    assert "webhook_secret" not in tenant.client.get(url).json()
    assert "webhook_secret" not in tenant.client.patch(url, {"title": "x"}).json()


def test_put_replaces_the_subscription(tenant, body, create, route):
    created = create().json()
    response = tenant.client.put(
        tenant.url(f"subscriptions/{created['id']}/", route),
        body(frequency="daily", title="Daily"),
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["frequency"], response.json()["summary"]) == ("daily", "sent every day")


def test_new_recipients_are_invited_after_commit(tenant, create, route, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        created = create(invite_message="hello!").json()
    assert len(callbacks) == 1
    callbacks[0]()
    url = tenant.url(f"subscriptions/{created['id']}/", route)
    with django_capture_on_commit_callbacks() as callbacks:
        tenant.client.patch(url, {"title": "only the title"})
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        tenant.client.patch(url, {"target_value": "test@posthog.com,new@posthog.com"})
    assert len(callbacks) == 1
    callbacks[0]()
    invites = SubscriptionDelivery.objects.filter(subscription_id=created["id"]).order_by("created_at")
    assert [(d.trigger_type, d.previous_value, d.invite_message) for d in invites] == [
        ("target_change", "", "hello!"),
        ("target_change", "test@posthog.com", None),
    ]


def test_activity_log_records_creation_and_changed_fields(tenant, create, route):
    created = create().json()
    url = tenant.url(f"subscriptions/{created['id']}/", route)
    tenant.client.patch(url, {"title": "Renamed", "interval": 2})
    tenant.client.patch(url, {"deleted": True})
    entries = tenant.client.get(tenant.url("activity_log/", route) + "?scope=Subscription").json()["results"]
    assert [e["activity"] for e in entries] == ["updated", "updated", "created"]
    assert entries[1]["item_id"] == str(created["id"])
    detail = entries[1]["detail"]
    assert set(detail) == {"id", "changes", "merge", "trigger", "name", "short_id", "type", "context"}
    changes = {c["field"]: (c["type"], c["before"], c["after"]) for c in detail["changes"]}
    assert changes == {
        "title": ("Subscription", "My Subscription", "Renamed"),
        "interval": ("Subscription", 1, 2),
    }
    [deleted] = entries[0]["detail"]["changes"]
    assert (deleted["field"], deleted["before"], deleted["after"]) == ("deleted", False, True)


def test_activity_log_needs_its_scope(tenant, key_client):
    client = key_client(["subscription:read"])
    response = client.get(tenant.url("activity_log/"))
    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'activity_log:read'"
    assert key_client(["activity_log:read"]).get(tenant.url("activity_log/")).status_code == 200


def test_insights_created_with_dashboards_become_tiles(tenant, dashboard, route):
    response = tenant.client.post(
        tenant.url("insights/", route), {"name": "New", "dashboards": [dashboard.id]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["dashboards"] == [dashboard.id]
    tiles = tenant.client.get(tenant.url(f"dashboards/{dashboard.id}/", route)).json()["tiles"]
    assert response.json()["id"] in [t["insight"]["id"] for t in tiles]


def test_field_errors_come_before_team_checks(tenant, other_tenant, create):
    """PostHog validates every field first (choices, lengths, required), then ownership of the resources."""
    foreign = make_insight(other_tenant)
    assert error(create(insight=foreign.id, title="x" * 101))["attr"] == "title"
    assert error(create(insight=foreign.id, target_type=...))["attr"] == "target_type"
    owned = error(create(insight=foreign.id))
    assert (owned["attr"], owned["detail"]) == ("insight", "This insight does not belong to your team.")


def test_one_resource_per_subscription_messages(tenant, dashboard, create):
    both = error(create(dashboard=dashboard.id, dashboard_export_insights=tile_ids(dashboard)))
    assert (both["attr"], both["detail"]) == (
        "insight",
        "Insight subscriptions cannot also set dashboard or prompt.",
    )
    board = make_subscription(tenant, insight=None, dashboard=dashboard)
    response = tenant.client.patch(
        tenant.url(f"subscriptions/{board.id}/"), {"insight": make_insight(tenant).id}, format="json"
    )
    patched = error(response)
    assert (patched["attr"], patched["detail"]) == (
        None,
        "Dashboard subscriptions cannot also set insight or prompt.",
    )
