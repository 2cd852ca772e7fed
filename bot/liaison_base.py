"""What the parts of the liaison service share: their vocabulary (messages, outcomes, refusals, timings), the
outbox key scheme and the base every part stands on.

The parts (pools, seats, turns, notes, intros, planning, rotation) are mixins assembled into `LiaisonService` in
bot/liaison.py; they import this module, never bot/liaison.py, so there is no import circle.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.kit import FeatureService, UnitOfWork, outbox_key
from bot.liaison_rules import RotationPlan
from bot.liaison_views import IntroPairView, NoteView, RotationView, TermView
from storage.liaison import LiaisonRepository

BOT = "bridgebot"
LOOKAHEAD = timedelta(minutes=5)
CATCH_UP = timedelta(days=30)
GROUP_SYNC_EVERY = timedelta(minutes=15)

INTRO_LATE_LIMIT = timedelta(days=1)

GroupReader = Callable[[str], list[str]]
ConversationOpener = Callable[[Sequence[str]], str]
TermPicker = Callable[[random.Random], str | None]


class LiaisonMessages(Protocol):
    """What the bot says on its own about the rotation; rendered at the Slack edge, sent via the outbox."""

    def incoming(self, user_id: str, term: TermView, side: str) -> dict[str, Any]: ...

    def handed_turn(self, user_id: str, term: TermView, side: str, giver: str, by: str) -> dict[str, Any]: ...

    def handover_ask(self, user_id: str, term: TermView, successor: TermView | None) -> dict[str, Any]: ...

    def welcome(self, user_id: str, term: TermView, notes: Sequence[NoteView]) -> dict[str, Any]: ...

    def announcement(self, channel: str, term: TermView) -> dict[str, Any]: ...

    def checkin(self, user_id: str, term: TermView) -> dict[str, Any]: ...

    def late_note(self, user_id: str, note: NoteView) -> dict[str, Any]: ...

    def turn_removed(self, user_id: str, term: TermView, side: str, by: str) -> dict[str, Any]: ...

    def partner_changed(self, user_id: str, term: TermView, side: str, old: str, new: str) -> dict[str, Any]: ...

    def intro_prompt(self, channel: str, pair: IntroPairView) -> dict[str, Any]: ...

    def intro_sitout(self, user_id: str) -> dict[str, Any]: ...

    def intro_follow_up(self, channel: str, pair: IntroPairView) -> dict[str, Any]: ...


@dataclass(frozen=True)
class JoinOutcome:
    side: str
    previous_side: str | None
    already: bool


@dataclass(frozen=True)
class AwayOutcome:
    """Turns that went to someone else because of the absence, and turns still held (running, or nobody else)."""

    passed_on: list[TermView]
    still_held: list[TermView]


@dataclass(frozen=True)
class SetupOutcome:
    plan: RotationPlan | None
    errors: dict[str, str]


@dataclass(frozen=True)
class Preview:
    """The next term: as planned (`planned`), or what the fair pick would be if it were made today."""

    starts_at: datetime
    ends_at: datetime
    liaisons: dict[str, str | None]
    planned: bool


@dataclass(frozen=True)
class Overview:
    rotation: RotationView | None
    current: TermView | None
    queue: dict[str, list[str]]


def liaison_key(*parts: object) -> str:
    """The outbox key of a liaison message, e.g. `liaison:term:7:welcome:U1`. Rows already written depend on
    these exact strings: a moment in a key is passed as its `isoformat()` (not `str()`, which differs)."""
    return outbox_key("liaison", *parts)


class LiaisonPart(FeatureService[LiaisonMessages]):
    """The base of every part of the liaison service: the kit's service plus what all parts read."""

    def _zone(self, work: UnitOfWork | None = None) -> str:
        """The rotation's time zone: the local dates of away days and pings are read in it."""
        if work is None:
            with self.reading() as reading:
                return self._zone(reading)
        rotation = work.repo(LiaisonRepository).active_rotation()
        return rotation.plan.tz if rotation else "UTC"
