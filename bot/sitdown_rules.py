"""Sit-down rules, no Slack and no SQL: recurrence (an RRULE plus an IANA zone), holidays, overrides, planning.

A series meets at a wall-clock time in its own zone. Occurrences come from dateutil's rrule on naive local
datetimes and are localised one by one, so a 10:00 meeting stays at 10:00 local across DST changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil import rrule

from bot.outcomes import Rejected

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
LEAD_CHOICES = {
    10080: "1 week",
    2880: "2 days",
    1440: "1 day",
    120: "2 hours",
    60: "1 hour",
    30: "30 minutes",
    15: "15 minutes",
    5: "5 minutes",
}
DURATION_CHOICES = (15, 30, 45, 60, 90, 120)
MAX_TITLE = 80
MAX_AGENDA = 500
MAX_ACTION = 300
MAX_NOTES = 2900
MAX_HOLIDAY_NAME = 80
MAX_LINK = 500
SEARCH_HORIZON = timedelta(days=800)

T = TypeVar("T")


class Cadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class Category(StrEnum):
    IMMEDIATE = "immediate"
    LONG_TERM = "long_term"


CATEGORY_LABELS = {
    Category.IMMEDIATE: "Immediate (training, fixes, best practices)",
    Category.LONG_TERM: "Long-term (research and development, roadmap)",
}


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


# --- planning: which messages are due, by time window ---------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    kind: str  # "reminder", "holiday" or "followup"
    occurrence: Occurrence
    due: datetime
    lead_minutes: int = 0


ZONE_SHIFT_SLACK = timedelta(hours=3)  # more than any DST or offset change: day-sized leads follow the wall clock


def planning_bounds(
    after: datetime, until: datetime, leads: Iterable[int], duration_minutes: int
) -> tuple[datetime, datetime]:
    """Which starts can have something due in (after, until]: reminders come before, follow-ups after."""
    longest = max([0, *leads])
    low = after - timedelta(minutes=duration_minutes) - ZONE_SHIFT_SLACK
    return low, until + timedelta(minutes=longest) + ZONE_SHIFT_SLACK


def reminder_moment(start: datetime, lead_minutes: int, zone: ZoneInfo) -> datetime:
    """Day-sized leads keep the wall-clock time: "1 day before" a 10:00 meeting is 10:00 the day before, even
    across a DST change. Shorter leads are plain durations."""
    if lead_minutes % 1440:
        return start - timedelta(minutes=lead_minutes)
    local = start.astimezone(zone).replace(tzinfo=None) - timedelta(minutes=lead_minutes)
    return local.replace(tzinfo=zone).astimezone(UTC)


def plan(
    occurrences: Iterable[Occurrence],
    leads: Iterable[int],
    duration_minutes: int,
    after: datetime,
    until: datetime,
    zone: ZoneInfo,
) -> list[Planned]:
    """The messages due in (after, until]: one reminder per lead time, a follow-up when a meeting ends, and one
    notice (as early as the earliest reminder) for a meeting that falls on a holiday."""
    leads = sorted(set(leads), reverse=True)
    longest = leads[0] if leads else 0
    due: list[Planned] = []
    for occurrence in occurrences:
        if occurrence.happens:
            for lead in leads:
                due.append(Planned("reminder", occurrence, reminder_moment(occurrence.start, lead, zone), lead))
            due.append(Planned("followup", occurrence, occurrence.start + timedelta(minutes=duration_minutes)))
        elif occurrence.status == "holiday":
            due.append(Planned("holiday", occurrence, reminder_moment(occurrence.start, longest, zone)))
    return sorted((p for p in due if after < p.due <= until), key=lambda p: p.due)


WATERMARK_HORIZON = timedelta(days=8)  # a weekly series' next reminder always falls inside it


def watermark_after(planned: Iterable[Planned], until: datetime, horizon: datetime) -> datetime:
    """How far a series' planning watermark may move once everything due by `until` is written: to just before
    the first message due later (nothing comes due in between, so the planner need not look at the series
    until then), or to `horizon` when nothing is due before it. `planned` must cover (until, horizon]."""
    later = [p.due for p in planned if p.due > until]
    return min(later) - timedelta(microseconds=1) if later else horizon


def plan_through(
    recurrence: Recurrence,
    overrides: Mapping[datetime, Override],
    holidays: Set[date],
    leads: Sequence[int],
    duration_minutes: int,
    watermark: datetime,
    until: datetime,
) -> tuple[list[Planned], datetime]:
    """A planning round for one series: the messages due in (watermark, until], and the new watermark."""
    horizon = until + WATERMARK_HORIZON
    low, high = planning_bounds(watermark, horizon, leads, duration_minutes)
    occurrences = occurrences_between(recurrence, overrides, holidays, low, high)
    planned = plan(occurrences, leads, duration_minutes, watermark, horizon, recurrence.tz)
    return [p for p in planned if p.due <= until], watermark_after(planned, until, horizon)


# --- parsing and checking what people type ---------------------------------------------------------------------


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Rejected(f"“{text}” isn't a date I can read: write it as YYYY-MM-DD, e.g. 2026-12-24.") from None


def parse_time_of_day(text: str) -> time:
    match = re.fullmatch(r"([01]?\d|2[0-3])[:h.]([0-5]\d)", text.strip())
    if not match:
        raise Rejected(f"“{text}” isn't a time I can read: write it as HH:MM (24-hour), e.g. 14:30.")
    return time(int(match.group(1)), int(match.group(2)))


def check_zone(name: str) -> str:
    name = name.strip()
    if name not in _zones():
        raise Rejected(f"“{name}” isn't a time zone I know: use an IANA name such as Europe/Berlin.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Rejected(f"“{name}” isn't a time zone I know: use an IANA name such as Europe/Berlin.") from None
    return name


_ZONES: frozenset[str] = frozenset()


def _zones() -> frozenset[str]:
    global _ZONES
    if not _ZONES:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def check_text(text: str, limit: int, what: str) -> str:
    text = text.strip()
    if not text:
        raise Rejected(f"The {what} is empty: write a few words.")
    if len(text) > limit:
        raise Rejected(f"The {what} is {len(text)} characters long; please keep it under {limit}.")
    return text


def check_link(text: str) -> str:
    text = text.strip()
    if text and not re.fullmatch(r"https?://[^\s<>|]+", text):
        raise Rejected("The video link must be a web address starting with https://")
    if len(text) > MAX_LINK:
        raise Rejected(f"The video link is too long (over {MAX_LINK} characters).")
    return text


@dataclass(frozen=True)
class SeriesDraft:
    title: str
    channel_id: str
    cadence: str
    weekday: str
    nth: str
    at: str
    zone: str
    duration: str
    leads: tuple[str, ...]
    starts_on: str
    video_link: str = ""

    def check(self, today: date) -> tuple[SeriesSpec | None, dict[str, str]]:
        """The validated series, or errors keyed by field name (each a sentence for the form)."""
        errors: dict[str, str] = {}
        title = _attempt(errors, "title", lambda: check_text(self.title, MAX_TITLE, "title"))
        channel = _attempt(errors, "channel", lambda: _required(self.channel_id, "Pick the channel to meet in."))
        cadence = _attempt(errors, "cadence", lambda: _cadence(self.cadence))
        weekday = _attempt(errors, "weekday", lambda: _weekday(self.weekday))
        at = _attempt(errors, "time", lambda: parse_time_of_day(_required(self.at, "Pick the time of day.")))
        zone = _attempt(errors, "zone", lambda: check_zone(self.zone))
        duration = _attempt(errors, "duration", lambda: _choice(self.duration, DURATION_CHOICES, "Pick a length."))
        leads = _attempt(errors, "leads", lambda: _leads(self.leads))
        starts_on = _attempt(errors, "starts_on", lambda: _first_day(self.starts_on, today))
        link = _attempt(errors, "video_link", lambda: check_link(self.video_link))
        nth = None
        if cadence is Cadence.MONTHLY:
            nth = _attempt(errors, "nth", lambda: _choice(self.nth, tuple(ORDINALS), "Pick which week of the month."))
        if errors:
            return None, errors
        assert title and channel and cadence and weekday is not None and at and zone and duration and starts_on
        recurrence = Recurrence(cadence, weekday, at, zone, starts_on, nth)
        return SeriesSpec(title, channel, recurrence, duration, leads or (), link or None), {}


def _attempt(errors: dict[str, str], name: str, check: Callable[[], T]) -> T | None:
    try:
        return check()
    except Rejected as error:
        errors[name] = str(error)
        return None


def _cadence(value: str) -> Cadence:
    try:
        return Cadence(value)
    except ValueError:
        raise Rejected("Pick how often you meet.") from None


def _weekday(value: str) -> int:
    if value not in WEEKDAY_NAMES:
        raise Rejected("Pick the day of the week.")
    return WEEKDAY_NAMES.index(value)


def _leads(values: tuple[str, ...]) -> tuple[int, ...]:
    leads = {_choice(value, tuple(LEAD_CHOICES), "Pick reminders from the list.") for value in values}
    if not leads:
        raise Rejected("Pick at least one reminder, so people know the sit-down is coming.")
    return tuple(sorted(leads, reverse=True))


def _first_day(value: str, today: date) -> date:
    day = parse_day(value) if value else today
    if day < today:
        raise Rejected("The first date is in the past; pick today or later.")
    return day


@dataclass(frozen=True)
class SeriesSpec:
    title: str
    channel_id: str
    recurrence: Recurrence
    duration_minutes: int
    lead_minutes: tuple[int, ...] = field(default=(1440, 15))
    video_link: str | None = None


def _required(value: str, message: str) -> str:
    if not value or not value.strip():
        raise Rejected(message)
    return value.strip()


def _choice(value: str, choices: tuple[int, ...], message: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Rejected(message) from None
    if number not in choices:
        raise Rejected(message)
    return number


def describe_lead(minutes: int) -> str:
    if minutes in LEAD_CHOICES:
        return LEAD_CHOICES[minutes]
    if minutes % 1440 == 0:
        return f"{minutes // 1440} days"
    if minutes % 60 == 0:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes"


def action_reminder_moment(due_on: date, zone: str) -> datetime:
    """Action items are due on a date; their owners hear about it at 09:00 that day in the series' zone."""
    return datetime.combine(due_on, time(9), ZoneInfo(zone)).astimezone(UTC)


def end_of_day(day: date, zone: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone)).astimezone(UTC)
