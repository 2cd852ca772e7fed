"""A series as an iCalendar file: one VEVENT with the series' RRULE in its own time zone (no Slack, no SQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, vRecur

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
) -> bytes:
    """Outlook and Google Calendar read the RRULE and TZID; skipped meetings travel as EXDATEs."""
    first = recurrence.first_local().replace(tzinfo=recurrence.tz)
    event = Event()
    event.add("uid", f"sitdown-{series_id}@bridgebot")
    event.add("summary", title)
    event.add("dtstamp", created_at)
    event.add("dtstart", first)
    event.add("duration", timedelta(minutes=duration_minutes))
    event.add("rrule", vRecur.from_ical(recurrence.rule()))
    for day in skipped_local_days:
        event.add("exdate", datetime.combine(day, recurrence.at, recurrence.tz))
    if video_link:
        event.add("location", video_link)
        event.add("url", video_link)
    event.add("description", description)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
