"""Liaison use cases: pools, the rotation of marketing and IT liaison pairs, swaps, handovers and their pings.

`LiaisonService` is assembled from one part per concern, each in its own module:

- bot/liaison_pools.py     who is in which pool, away days, the user-group sync
- bot/liaison_seats.py     the fair pick and the moves of a seat (shared by the parts that change seats)
- bot/liaison_turns.py     swaps, an admin's skip, accept and decline
- bot/liaison_notes.py     handover notes
- bot/liaison_intros.py    cross-team intros
- bot/liaison_planning.py  the tick: planning terms and intro rounds, queuing the pings
- bot/liaison_rotation.py  setting up the rotation and looking at it
- bot/liaison_base.py      what they share: messages, outcomes, refusals, outbox keys, the base part

The names other modules use are importable from here, as they always were.
"""

from __future__ import annotations

from datetime import datetime

from bot.kit import FeatureService
from bot.liaison_base import (
    BOT,
    CATCH_UP,
    GROUP_SYNC_EVERY,
    INTRO_LATE_LIMIT,
    LOOKAHEAD,
    AwayOutcome,
    ConversationOpener,
    GroupReader,
    JoinOutcome,
    LiaisonMessages,
    Overview,
    Preview,
    SetupOutcome,
    TermPicker,
)
from bot.liaison_group import LiaisonGroup
from bot.liaison_intros import IntrosPart
from bot.liaison_notes import NotesPart
from bot.liaison_planning import PlanningPart
from bot.liaison_pools import PoolsPart
from bot.liaison_rotation import RotationPart
from bot.liaison_turns import TurnsPart
from bot.outcomes import Refused

__all__ = [
    "BOT",
    "CATCH_UP",
    "GROUP_SYNC_EVERY",
    "INTRO_LATE_LIMIT",
    "LOOKAHEAD",
    "AwayOutcome",
    "ConversationOpener",
    "GroupReader",
    "JoinOutcome",
    "LiaisonMessages",
    "LiaisonService",
    "Overview",
    "Preview",
    "Refused",
    "SetupOutcome",
    "TermPicker",
]


class LiaisonService(
    RotationPart, TurnsPart, PlanningPart, PoolsPart, IntrosPart, NotesPart, FeatureService[LiaisonMessages]
):
    """The liaison feature's use cases. Each part comes before the parts it builds on (rotation on planning,
    planning on pools, intros and notes, pools and turns on seats): the order Python's method resolution needs."""

    def setup(self) -> None:
        self.group_reader: GroupReader | None = None
        self.conversation_opener: ConversationOpener | None = None
        self.term_picker: TermPicker | None = None
        self._groups_synced_at: datetime | None = None
        self.liaison_group = LiaisonGroup(self.settings.liaison_usergroup)
