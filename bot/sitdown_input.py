"""Sit-down input, no Slack and no SQL: parsing and checking what people type and pick in the forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.outcomes import Rejected
from bot.sitdown_recurrence import ORDINALS, WEEKDAY_NAMES, Cadence, Recurrence
from bot.typed_dates import read_day

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

T = TypeVar("T")


class Category(StrEnum):
    IMMEDIATE = "immediate"
    LONG_TERM = "long_term"


CATEGORY_LABELS = {
    Category.IMMEDIATE: "Immediate (training, fixes, best practices)",
    Category.LONG_TERM: "Long-term (research and development, roadmap)",
}


def parse_day(text: str, today: date | None = None) -> date:
    """A date typed as YYYY-MM-DD; given `today`, also as people type them (`24 Dec`, `12/24`: bot.typed_dates)."""
    day = read_day(text, today) if today is not None else None
    if day is not None:
        return day
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Rejected(
            f"“{text}” isn't a date I can read: write it as YYYY-MM-DD (2026-12-24), 24 Dec or 12/24."
        ) from None


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


def text_length(text: str) -> int:
    """As Slack may count it (code points or UTF-16 units, it does not say): the larger, so what is saved
    always fits the field it is edited in again (handlers.blocks.length)."""
    return max(len(text), len(text.encode("utf-16-le", "surrogatepass")) // 2)


def check_text(text: str, limit: int, what: str) -> str:
    text = text.strip()
    if not text:
        raise Rejected(f"The {what} is empty: write a few words.")
    if text_length(text) > limit:
        raise Rejected(f"The {what} is {text_length(text)} characters long; please keep it under {limit}.")
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
