"""Schedule maths (dateutil rrule): next delivery dates, exhaustion, catch-up after missed slots, and the
human summary of a schedule in PostHog's words."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from burrow.subscriptions import services
from burrow.subscriptions.models import Subscription
from burrow.subscriptions.schedule import Schedule, summary
from tests.factories import make_subscription

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
ALL_DAYS = [*WEEKDAYS, "saturday", "sunday"]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def schedule(frequency: str, start: datetime, **fields) -> Schedule:
    return Schedule(frequency=frequency, interval=fields.pop("interval", 1), start_date=start, **fields)


@pytest.mark.parametrize(
    "frequency, start, fields, expected",
    [
        ("weekly", at(2030, 1, 7, 9), {}, at(2030, 1, 7, 9)),
        ("weekly", at(2030, 1, 7, 9), {"byweekday": ("wednesday",)}, at(2030, 1, 9, 9)),
        ("monthly", at(2030, 1, 1), {"byweekday": ("friday",), "bysetpos": -1}, at(2030, 1, 25)),
        ("monthly", at(2030, 1, 1), {"byweekday": ("monday",), "bysetpos": 1}, at(2030, 1, 7)),
        ("monthly", at(2030, 1, 1), {"byweekday": tuple(ALL_DAYS), "bysetpos": 3}, at(2030, 1, 3)),
        ("monthly", at(2030, 1, 1), {"byweekday": tuple(WEEKDAYS), "bysetpos": -1}, at(2030, 1, 31)),
        ("yearly", at(2030, 3, 15, 12), {}, at(2030, 3, 15, 12)),
        ("daily", at(2020, 1, 1), {"count": 2}, None),
    ],
)
def test_future_start_examples(frequency, start, fields, expected):
    assert schedule(frequency, start, **fields).next_after(timezone.now()) == expected


def test_examples_from_a_fixed_moment():
    moment = at(2022, 1, 1)
    start = at(2022, 1, 1)
    assert schedule("weekly", start, interval=2).next_after(at(2022, 1, 2)) == at(2022, 1, 15)
    last_wed_fri = schedule("monthly", start, interval=2, byweekday=("wednesday", "friday"), bysetpos=-1)
    assert [d.date().isoformat() for d in last_wed_fri.upcoming(moment, 3)] == [
        "2022-01-28",
        "2022-03-30",
        "2022-05-27",
    ]
    third_day = schedule("monthly", start, byweekday=tuple(ALL_DAYS), bysetpos=3)
    assert third_day.upcoming(moment, 2) == [at(2022, 1, 3), at(2022, 2, 3)]


def test_bysetpos_without_weekdays_is_ignored():
    assert schedule("monthly", at(2022, 1, 1), bysetpos=3).next_after(at(2022, 1, 1)) == at(2022, 2, 1)
    assert schedule("monthly", at(2022, 1, 1), byweekday=(), bysetpos=3).next_after(at(2022, 1, 1)) == at(
        2022, 2, 1
    )


def test_exhausted_by_count_or_until():
    assert schedule("daily", at(2022, 1, 1), count=3).next_after(at(2022, 1, 2, 12)) == at(2022, 1, 3)
    assert schedule("daily", at(2022, 1, 1), count=3).next_after(at(2022, 1, 3)) is None
    assert schedule("weekly", at(2022, 1, 1), until_date=at(2022, 1, 20)).next_after(at(2022, 1, 15)) is None
    assert schedule("weekly", at(2022, 1, 1), until_date=at(2022, 1, 22)).next_after(at(2022, 1, 15)) == at(
        2022, 1, 22
    )


def test_start_on_a_non_matching_weekday_waits_for_the_first_match():
    monday = at(2030, 1, 7, 9)
    assert schedule("weekly", monday, byweekday=("friday",)).upcoming(at(2030, 1, 1), 2) == [
        at(2030, 1, 11, 9),
        at(2030, 1, 18, 9),
    ]


def test_occurrences_are_strictly_after_the_reference():
    assert schedule("daily", at(2022, 1, 1, 10)).next_after(at(2022, 1, 5, 10)) == at(2022, 1, 6, 10)


@pytest.mark.django_db
def test_days_behind_catches_up_to_the_next_future_slot(tenant):
    from tests.factories import make_subscription

    today_10 = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    subscription = make_subscription(tenant, frequency="daily", start_date=today_10 - timedelta(days=30))
    expected = today_10 if today_10 > timezone.now() else today_10 + timedelta(days=1)
    assert subscription.compute_next_delivery_date(after=today_10 - timedelta(days=9)) == expected
    upcoming = today_10 + timedelta(days=3)
    assert subscription.compute_next_delivery_date(after=upcoming) == upcoming + timedelta(days=1)


@pytest.mark.django_db
def test_next_delivery_date_is_saved_and_null_once_exhausted(tenant):
    from tests.factories import make_subscription

    subscription = make_subscription(tenant, frequency="daily", start_date=at(2030, 1, 1))
    assert subscription.next_delivery_date == at(2030, 1, 1)
    services.update(subscription, None, {"start_date": at(2020, 1, 1), "count": 2})
    assert Subscription.objects.get(id=subscription.id).next_delivery_date is None


@pytest.mark.django_db
def test_partially_loaded_subscriptions_load_and_cascade(tenant):
    """Deleting a parent row loads dependants with deferred fields; that must not recurse or move dates."""
    subscription = make_subscription(tenant)
    planned = subscription.next_delivery_date
    partial = Subscription.objects.only("id", "title").get(id=subscription.id)
    partial.title = "Renamed"
    partial.save(update_fields=["title"])
    subscription.refresh_from_db(fields=["webhook_secret"])
    assert Subscription.objects.get(id=subscription.id).next_delivery_date == planned
    subscription.insight.delete()
    assert not Subscription.objects.filter(id=subscription.id).exists()


@pytest.mark.parametrize(
    "frequency, interval, byweekday, bysetpos, expected",
    [
        ("weekly", 1, None, None, "sent every week"),
        ("monthly", 1, None, None, "sent every month"),
        ("monthly", 2, ["wednesday"], 1, "sent every 2 months on the first Wednesday"),
        ("weekly", 1, ["wednesday"], -1, "sent every week on the last Wednesday"),
        ("weekly", 1, ["wednesday"], None, "sent every week"),
        ("monthly", 1, ALL_DAYS, 3, "sent every month on the third day"),
        ("monthly", 1, WEEKDAYS, -1, "sent every month on the last weekday"),
        ("monthly", 1, ["monday", "friday"], 2, "sent every month on the second day"),
        ("monthly", 1, ["monday"], 4, "sent every month on the fourth Monday"),
        ("monthly", 1, ["monday"], 10, "sent on a schedule"),
        ("monthly", 1, ["monday"], -2, "sent on a schedule"),
        ("monthly", 1, ["monday"], 5, "sent on a schedule"),
        ("daily", 1, None, None, "sent every day"),
        ("daily", 3, None, None, "sent every 3 days"),
        ("yearly", 2, None, None, "sent every 2 years"),
        ("hourly", 1, None, None, "sent on a schedule"),
        ("monthly", 1, [], 1, "sent every month"),
    ],
)
def test_summary(frequency, interval, byweekday, bysetpos, expected):
    assert summary(frequency, interval, byweekday, bysetpos) == expected


@pytest.mark.django_db
def test_api_renders_the_summary(create):
    data = create(frequency="monthly", interval=2, byweekday=["wednesday"], bysetpos=1).json()
    assert data["summary"] == "sent every 2 months on the first Wednesday"
