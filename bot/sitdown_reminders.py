"""Sit-down reminder planning, no Slack and no SQL: which messages are due, by time window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.sitdown_recurrence import Occurrence, Override, Recurrence, occurrences_between


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


def action_reminder_moment(due_on: date, zone: str) -> datetime:
    """Action items are due on a date; their owners hear about it at 09:00 that day in the series' zone."""
    return datetime.combine(due_on, time(9), ZoneInfo(zone)).astimezone(UTC)


def end_of_day(day: date, zone: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone)).astimezone(UTC)
