"""Schedule maths: the rrule behind a subscription, its next occurrence and its human summary."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from dateutil import rrule

FREQUENCIES = {"daily": rrule.DAILY, "weekly": rrule.WEEKLY, "monthly": rrule.MONTHLY, "yearly": rrule.YEARLY}
WEEKDAYS = {
    "monday": rrule.MO,
    "tuesday": rrule.TU,
    "wednesday": rrule.WE,
    "thursday": rrule.TH,
    "friday": rrule.FR,
    "saturday": rrule.SA,
    "sunday": rrule.SU,
}
RRULE_FIELDS = ("frequency", "count", "interval", "start_date", "until_date", "bysetpos", "byweekday")
_UNITS = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}
_POSITIONS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
_WORKWEEK = {"monday", "tuesday", "wednesday", "thursday", "friday"}
_DAYS_PER_PERIOD = {"daily": 1, "weekly": 7, "monthly": 31, "yearly": 366}
_WEEKS_PER_PERIOD = {"daily": 1, "weekly": 1, "monthly": 5, "yearly": 53}


def impossible_position(frequency: str, days: list[str] | None, position: int | None) -> str | None:
    """Why `bysetpos` can never be reached in one period (the 6th Monday of a month), or None. Such a rule
    would make dateutil search up to the year 9999 for nothing."""
    if not days or not position or frequency not in _UNITS:
        return None
    most = min(_DAYS_PER_PERIOD[frequency], _WEEKS_PER_PERIOD[frequency] * len(set(days)))
    if abs(position) <= most:
        return None
    return f"A {_UNITS[frequency]} has at most {most} matching days, so position {position} never occurs."


@dataclass(frozen=True)
class Schedule:
    frequency: str
    interval: int
    start_date: datetime
    count: int | None = None
    until_date: datetime | None = None
    byweekday: tuple[str, ...] | None = None
    bysetpos: int | None = None

    @classmethod
    def of(cls, obj) -> "Schedule":
        return cls(
            frequency=obj.frequency,
            interval=obj.interval,
            start_date=obj.start_date,
            count=obj.count,
            until_date=obj.until_date,
            byweekday=tuple(obj.byweekday) if obj.byweekday else None,
            bysetpos=obj.bysetpos,
        )

    def rule(self) -> rrule.rrule:
        weekdays = [WEEKDAYS[d] for d in self.byweekday] if self.byweekday else None
        return rrule.rrule(
            FREQUENCIES[self.frequency],
            dtstart=self.start_date,
            interval=self.interval,
            count=self.count,
            until=self.until_date,
            byweekday=weekdays,
            # bysetpos only means something with weekdays; dateutil would otherwise apply it to days.
            bysetpos=self.bysetpos if weekdays else None,
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """First occurrence strictly after `moment`; None once the rule is exhausted."""
        return self.rule().after(moment, inc=False)

    def upcoming(self, moment: datetime, limit: int) -> list[datetime]:
        found: list[datetime] = []
        for occurrence in self.rule().xafter(moment, count=limit, inc=False):
            found.append(occurrence)
        return found


def summary(frequency: str, interval: int, byweekday: Iterable[str] | None, bysetpos: int | None) -> str:
    """PostHog's wording: "sent every 2 months on the first Wednesday"; "sent on a schedule" otherwise."""
    try:
        unit = _UNITS[frequency]
        text = "sent every " + (f"{interval} {unit}s" if interval and interval > 1 else unit)
        days = list(byweekday or [])
        if days and bysetpos:
            position = _POSITIONS[bysetpos]
            if len(days) == 1:
                day = days[0].capitalize()
            elif set(days) == _WORKWEEK and len(days) == 5:
                day = "weekday"
            else:
                day = "day"
            text += f" on the {position} {day}"
        return text
    except KeyError:
        return "sent on a schedule"
