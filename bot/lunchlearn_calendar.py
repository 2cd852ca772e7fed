"""An .ics invitation for a lunch-and-learn (RFC 5545, via icalendar), so people can add it to their calendar."""

from __future__ import annotations

from datetime import datetime

from bot.lunchlearn_rules import DIRECTIONS, SessionView

PRODUCT_ID = "-//Bridgebot//Lunch and learn//EN"


def session_ics(session: SessionView, *, now: datetime, host: str = "bridgebot") -> bytes:
    from icalendar import Calendar, Event  # on first use, as bot.sitdown_calendar does

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"lunchlearn-{session.id}@{host}")
    event.add("dtstamp", now)
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", f"Lunch & learn: {session.topic}")
    description = [DIRECTIONS.get(session.direction, ""), session.abstract]
    event.add("description", "\n\n".join(part for part in description if part))
    event.add("location", session.place)
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def ics_filename(session: SessionView) -> str:
    return f"lunch-and-learn-{session.id}.ics"
