"""What the sit-down service says on its own: the messages protocol the Slack edge implements, the values it
is handed to render, and the outbox keys those messages are written under.

Every part of the service (bot/sitdown*.py) stands on this module and nothing here imports a part, so the
parts never import each other in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.kit import outbox_key
from bot.sitdown_rules import Occurrence
from bot.sitdown_views import ActionItemView, AgendaItemView, MeetingView, SeriesView

FEATURE = "sitdown"


class SitdownMessages(Protocol):
    """What the bot says on its own about sit-downs; rendered at the Slack edge, sent through the outbox."""

    def reminder(self, reminder: Reminder) -> dict[str, Any]: ...

    def holiday_notice(self, series: SeriesView, occurrence: Occurrence, holiday: str) -> dict[str, Any]: ...

    def followup(self, series: SeriesView, meeting: MeetingView) -> dict[str, Any]: ...

    def action_due(self, item: ActionItemView) -> dict[str, Any]: ...

    def action_assigned(self, item: ActionItemView) -> dict[str, Any]: ...

    def series_changed(self, change: SeriesChange) -> dict[str, Any]: ...

    def notes_shared(self, series: SeriesView, meeting: MeetingView) -> dict[str, Any]: ...

    def undeliverable(self, series: SeriesView, channel: str, error: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Reminder:
    series: SeriesView
    occurrence: Occurrence
    lead_minutes: int
    agenda: list[AgendaItemView]
    open_actions: list[ActionItemView]
    heads_up: list[str]
    muted: frozenset[str] = frozenset()  # named without a mention: a mention would ping them


@dataclass(frozen=True)
class SeriesChange:
    series: SeriesView
    kind: str  # created, skipped, moved, paused, resumed, cancelled, back_on (a holiday removed)
    by: str
    occurrence: Occurrence | None = None
    new_start: datetime | None = None


# --- outbox keys ---------------------------------------------------------------------------------------------
# Rows already in databases carry these keys, and a key is what keeps a message from being sent twice: the
# strings they make must never change, only how they are put together.


def sitdown_key(*parts: object) -> str:
    """`sitdown:part:part…`, the name of one of this feature's outbox rows."""
    return outbox_key(FEATURE, *parts)


def stamp(moment: datetime) -> str:
    """A meeting's moment as it appears in keys (to the minute)."""
    return f"{moment:%Y-%m-%dT%H:%MZ}"


def reminder_key(series_id: int, occurrence: Occurrence, lead_minutes: int) -> str:
    return sitdown_key(series_id, stamp(occurrence.original), "at", stamp(occurrence.start), f"{lead_minutes}m")


def followup_key(series_id: int, occurrence: Occurrence) -> str:
    return sitdown_key(series_id, stamp(occurrence.original), "at", stamp(occurrence.start), "followup")


def holiday_key(series_id: int, occurrence: Occurrence) -> str:
    return sitdown_key(series_id, stamp(occurrence.original), "holiday")


def action_key(item_id: int, what: str) -> str:
    """An action item's messages: `assigned` (to its owner) and `due` (the reminder on the due date)."""
    return sitdown_key("action", item_id, what)
