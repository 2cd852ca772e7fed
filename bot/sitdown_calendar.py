"""A series as an iCalendar file: one VEVENT with the series' RRULE in its own time zone (no Slack, no SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.sitdown_rules import Recurrence

PRODUCT_ID = "-//Bridgebot//Sit-downs//EN"


def series_calendar(
    *,
    series_id: int,
    title: str,
    recurrence: Recurrence,
    duration_minutes: int,
    video_link: str | None,
    description: str,
    skipped_local_days: list[date],
    created_at: datetime,
    moved: Sequence[tuple[datetime, datetime]] = (),
) -> bytes:
    """Outlook and Google Calendar read the RRULE and TZID; skipped meetings travel as EXDATEs, and each moved
    meeting as an override (a VEVENT with the series' UID and the original start as its RECURRENCE-ID)."""
    from icalendar import Calendar, Event, vRecur  # on first use: some 40 ms and 3 MB a start need not pay

    zone = recurrence.tz

    def meeting(start: datetime) -> Event:
        event = Event()
        event.add("uid", f"sitdown-{series_id}@bridgebot")
        event.add("summary", title)
        event.add("dtstamp", created_at)
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=duration_minutes))
        if video_link:
            event.add("location", video_link)
            event.add("url", video_link)
        event.add("description", description)
        return event

    series = meeting(recurrence.first_local().replace(tzinfo=zone))
    series.add("rrule", vRecur.from_ical(recurrence.rule()))
    for day in skipped_local_days:
        series.add("exdate", datetime.combine(day, recurrence.at, zone))
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(series)
    for original, start in moved:
        override = meeting(start.astimezone(zone))
        override.add("recurrence-id", original.astimezone(zone))
        calendar.add_component(override)
    calendar.add_missing_timezones()
    return calendar.to_ical()
