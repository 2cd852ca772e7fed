"""Read models of the liaison rotation: rotations, terms, intro pairs, handover notes (plain values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.liaison_rules import Member, RotationPlan, TermSlots


@dataclass(frozen=True)
class RotationView:
    """A liaison rotation as set up: its plan (term length, start, time zone) and the channels it announces in."""

    id: int
    plan: RotationPlan
    channels: tuple[str, ...]
    created_by: str
    created_at: datetime
    intro_weeks: int = 0

    @property
    def intro_plan(self) -> RotationPlan | None:
        """Intro rounds follow their own calendar: every `intro_weeks` weeks from the rotation's start."""
        if not self.intro_weeks:
            return None
        return RotationPlan(self.plan.start, self.intro_weeks, "weeks", self.plan.tz)


@dataclass(frozen=True)
class TermView:
    id: int
    rotation_id: int
    number: int
    starts_at: datetime
    ends_at: datetime
    liaisons: dict[str, str | None]
    planned_at: datetime

    @property
    def slots(self) -> TermSlots:
        return TermSlots(self.id, self.starts_at, self.ends_at, dict(self.liaisons))


@dataclass(frozen=True)
class IntroPairView:
    id: int
    round_id: int
    marketing_user: str
    it_user: str
    channel: str | None
    outcome: str | None
    term_name: str | None
    round_starts_at: datetime

    @property
    def people(self) -> tuple[str, str]:
        return self.marketing_user, self.it_user


@dataclass(frozen=True)
class IntroStats:
    rounds: int
    pairs: int
    met: int
    not_yet: int
    opted_in: dict[str, int]


@dataclass(frozen=True)
class NoteView:
    term_id: int
    side: str
    author: str
    text: str
    written_at: datetime


@dataclass(frozen=True)
class Turn:
    """One person's next turn: a term that holds their seat (`planned`), or the term the queue as it stands
    would pick them for if nobody ahead of them (`ahead` people) were away."""

    side: str
    starts_at: datetime
    ends_at: datetime
    planned: bool
    ahead: int = 0


@dataclass(frozen=True)
class Standing:
    """The rotation as one person sees it: the pair serving now, their pool membership and their next turn."""

    rotation: RotationView | None
    current: TermView | None
    member: Member | None
    turn: Turn | None
