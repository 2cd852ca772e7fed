"""Sit-down recurrence, no Slack and no SQL: an RRULE plus an IANA zone, and the occurrences it yields with
overrides and holidays applied.

A series meets at a wall-clock time in its own zone. Occurrences come from dateutil's rrule on naive local
datetimes and are localised one by one, so a 10:00 meeting stays at 10:00 local across DST changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil import rrule

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
SEARCH_HORIZON = timedelta(days=800)


class Cadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Recurrence:
    cadence: Cadence
    weekday: int  # 0 = Monday
    at: time
    zone: str
    starts_on: date
    nth: int | None = None  # monthly only: 1..4, or -1 for the last one

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def rule(self) -> str:
        """The RFC 5545 RRULE (without DTSTART): what the calendar file carries, and what occurrences use."""
        day = WEEKDAY_CODES[self.weekday]
        if self.cadence is Cadence.MONTHLY:
            return f"FREQ=MONTHLY;BYDAY={self.nth}{day}"
        interval = 2 if self.cadence is Cadence.BIWEEKLY else 1
        return f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={day};WKST=MO"

    def _anchor(self) -> date:
        """Weekly rules count their weeks from DTSTART, so start on the first meeting day itself: then
        "every other Tuesday from Wednesday the 25th" begins six days later, not thirteen."""
        if self.cadence is Cadence.MONTHLY:
            return self.starts_on
        return self.starts_on + timedelta(days=(self.weekday - self.starts_on.weekday()) % 7)

    def _rrule(self, start: date | None = None) -> rrule.rrule:
        """The same rule as `rule()`, built directly (parsing the text costs more than the planning itself),
        counted from `start` (default: the first meeting day)."""
        dtstart = datetime.combine(start or self._anchor(), self.at)
        day = rrule.weekdays[self.weekday]
        if self.cadence is Cadence.MONTHLY:
            return rrule.rrule(rrule.MONTHLY, dtstart=dtstart, byweekday=day(self.nth or 1))
        interval = 2 if self.cadence is Cadence.BIWEEKLY else 1
        return rrule.rrule(rrule.WEEKLY, dtstart=dtstart, interval=interval, byweekday=day, wkst=rrule.MO)

    def first_local(self) -> datetime:
        """The first meeting as a naive local datetime (the .ics DTSTART)."""
        first = self._rrule().after(datetime.combine(self._anchor(), self.at), inc=True)
        assert first is not None  # a weekly or monthly rule never runs dry
        return first

    def localise(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def starts_between(self, after: datetime, until: datetime) -> list[datetime]:
        """UTC starts with after < start <= until."""
        pad = timedelta(days=2)
        low = after.astimezone(self.tz).replace(tzinfo=None) - pad
        high = until.astimezone(self.tz).replace(tzinfo=None) + pad
        starts = (self.localise(local) for local in self._local_starts(low, high))
        return [start for start in starts if after < start <= until]

    def _local_starts(self, low: datetime, high: datetime) -> list[datetime]:
        """Naive local meeting times in [low, high], at a cost that does not grow with the series' age (dateutil
        counts from DTSTART): weekly and fortnightly meetings are whole periods after the first meeting day;
        monthly ones are counted from the month of `low`."""
        if self.cadence is Cadence.MONTHLY:
            month = max(self.starts_on, low.date().replace(day=1))
            return list(self._rrule(month).between(low, high, inc=True))
        period = timedelta(weeks=2 if self.cadence is Cadence.BIWEEKLY else 1)
        day = self._anchor()
        day += period * max(0, (low.date() - day) // period)
        found = []
        while (moment := datetime.combine(day, self.at)) <= high:
            if moment >= low:
                found.append(moment)
            day += period
        return found

    def describe(self) -> str:
        day = WEEKDAY_NAMES[self.weekday]
        when = f"{self.at:%H:%M} ({self.zone})"
        if self.cadence is Cadence.MONTHLY:
            return f"the {ORDINALS[self.nth or 1]} {day} of each month at {when}"
        if self.cadence is Cadence.BIWEEKLY:
            return f"every other {day} at {when}"
        return f"every {day} at {when}"


@dataclass(frozen=True)
class Override:
    """A change to one occurrence, by its original start: moved to another start, or skipped."""

    original: datetime
    start: datetime
    status: str  # "moved" or "skipped"


@dataclass(frozen=True)
class Occurrence:
    original: datetime
    start: datetime
    status: str  # "scheduled", "moved", "skipped" or "holiday"

    @property
    def happens(self) -> bool:
        return self.status in ("scheduled", "moved")


def occurrences_between(
    recurrence: Recurrence,
    overrides: Mapping[datetime, Override],
    holidays: Set[date],
    after: datetime,
    until: datetime,
) -> list[Occurrence]:
    """Every occurrence starting in (after, until], with skips, moves and holidays applied, by start."""
    found: list[Occurrence] = []
    for original in recurrence.starts_between(after, until):
        override = overrides.get(original)
        if override is None:
            on_holiday = recurrence.local(original).date() in holidays
            found.append(Occurrence(original, original, "holiday" if on_holiday else "scheduled"))
        elif override.status == "skipped":
            found.append(Occurrence(original, original, "skipped"))
    for override in overrides.values():
        if override.status == "moved" and after < override.start <= until:
            found.append(Occurrence(override.original, override.start, "moved"))
    return sorted(found, key=lambda o: (o.start, o.original))


def next_occurrence(
    recurrence: Recurrence,
    overrides: Mapping[datetime, Override],
    holidays: Set[date],
    after: datetime,
) -> Occurrence | None:
    """The first meeting that will happen after `after` (skipped and holiday occurrences passed over)."""
    window = timedelta(days=70)
    low = after
    while low - after < SEARCH_HORIZON:
        happening = [o for o in occurrences_between(recurrence, overrides, holidays, low, low + window) if o.happens]
        if happening:
            return happening[0]
        low += window
    return None


def occurrence_on(
    recurrence: Recurrence, overrides: Mapping[datetime, Override], holidays: Set[date], day: date, after: datetime
) -> Occurrence | None:
    """The occurrence (original schedule) whose local date is `day`, if it is still to come."""
    low = datetime.combine(day, time(0), recurrence.tz).astimezone(UTC) - timedelta(hours=1)
    for occurrence in occurrences_between(recurrence, overrides, holidays, low, low + timedelta(days=1, hours=2)):
        if recurrence.local(occurrence.original).date() == day and occurrence.start > after:
            return occurrence
    return None
