"""Read models of sit-downs: series, meetings, agenda and action items, holidays (plain values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.sitdown_rules import Occurrence, Recurrence


@dataclass(frozen=True)
class SeriesView:
    id: int
    title: str
    channel_id: str
    recurrence: Recurrence
    duration_minutes: int
    lead_minutes: tuple[int, ...]
    video_link: str | None
    status: str
    owner: str
    created_by: str
    created_at: datetime
    planned_until: datetime


@dataclass(frozen=True)
class MeetingView:
    id: int
    series_id: int
    original_start: datetime
    start: datetime
    status: str
    notes: str | None
    notes_by: str | None


@dataclass(frozen=True)
class AgendaItemView:
    id: int
    text: str
    source: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class NewActionItem:
    """An action item as its author wrote it, checked, before it is stored."""

    text: str
    owner: str
    due_on: date
    category: str


@dataclass(frozen=True)
class ActionItemView:
    id: int
    series_id: int
    series_title: str
    zone: str
    text: str
    owner: str
    due_on: date
    category: str
    status: str
    created_by: str
    created_at: datetime
    done_by: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class HolidayView:
    day: date
    name: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class SeriesForPerson:
    """A series as one person sees it: its next meeting, the agenda of that meeting so far, their mute."""

    series: SeriesView
    next: Occurrence | None
    agenda: list[AgendaItemView]
    muted: bool


@dataclass(frozen=True)
class PersonalSitdowns:
    """What sit-downs hold for one person: the series that concern them (soonest meeting first; the first few
    in detail, `series_total` in all) and their open action items (soonest due first)."""

    series: list[SeriesForPerson]
    series_total: int
    actions: list[ActionItemView]
