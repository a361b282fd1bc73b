"""The human summary of a schedule, in PostHog's words."""

import pytest

from burrow.subscriptions.schedule import summary

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
ALL_DAYS = [*WEEKDAYS, "saturday", "sunday"]


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
