"""Liaison persistence: pools, rotation settings, terms with their liaisons, what happened to them, handover notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.liaison_rules import Member, RotationPlan
from bot.liaison_views import IntroPairView, IntroStats, NoteView, RotationView, TermView
from storage.liaison_models import (
    LiaisonHandoverNote,
    LiaisonIntroMember,
    LiaisonIntroPair,
    LiaisonIntroRound,
    LiaisonIntroSitout,
    LiaisonMember,
    LiaisonRotation,
    LiaisonTerm,
    LiaisonTermEvent,
)
from storage.models import add_flushed, lock_rows, view_of

# --- models --------------------------------------------------------------------------------------------------


def _term_view(row: LiaisonTerm) -> TermView:
    return view_of(TermView, row, liaisons={"marketing": row.marketing_user, "it": row.it_user})


def _planned_term_view(row: LiaisonTerm | None) -> TermView | None:
    """The term's view, or None when there is no such term or it was cancelled."""
    return _term_view(row) if row is not None and row.status == "planned" else None


def _member(row: LiaisonMember) -> Member:
    return Member(row.user_id, row.side, row.joined_at, row.away_until)


# --- repository ----------------------------------------------------------------------------------------------


class LiaisonRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- pools ---

    def member_row(self, user_id: str) -> LiaisonMember | None:
        return self.session.scalar(select(LiaisonMember).where(LiaisonMember.user_id == user_id))

    def active_member(self, user_id: str) -> Member | None:
        row = self.member_row(user_id)
        return _member(row) if row is not None and row.status == "active" else None

    def active_members(self, side: str | None = None) -> list[Member]:
        statement = select(LiaisonMember).where(LiaisonMember.status == "active")
        if side is not None:
            statement = statement.where(LiaisonMember.side == side)
        return [_member(row) for row in self.session.scalars(statement.order_by(LiaisonMember.joined_at))]

    def join(self, user_id: str, side: str, *, source: str, by: str, at: datetime) -> LiaisonMember:
        row = self.member_row(user_id)
        if row is None:
            row = LiaisonMember(user_id=user_id, side=side, status="active", source=source, joined_at=at)
            self.session.add(row)
        elif row.status != "active":
            row.status, row.joined_at, row.source, row.away_until = "active", at, source, None
        row.side, row.source, row.changed_by, row.changed_at = side, source, by, at
        self.session.flush()
        return row

    def leave(self, user_id: str, *, by: str, at: datetime) -> None:
        row = self.member_row(user_id)
        if row is not None:
            row.status, row.changed_by, row.changed_at = "left", by, at

    def set_away(self, user_id: str, until: date | None, *, by: str, at: datetime) -> None:
        row = self.member_row(user_id)
        if row is not None:
            row.away_until, row.changed_by, row.changed_at = until, by, at

    def group_synced_members(self, side: str) -> list[LiaisonMember]:
        statement = select(LiaisonMember).where(LiaisonMember.side == side, LiaisonMember.source == "usergroup")
        return list(self.session.scalars(statement))

    # --- rotation ---

    def active_rotation(self) -> RotationView | None:
        row = self.session.scalar(
            select(LiaisonRotation).where(LiaisonRotation.active.is_(True)).order_by(LiaisonRotation.id.desc())
        )
        if row is None:
            return None
        plan = RotationPlan(row.start_date, row.length, row.unit, row.tz)
        return RotationView(row.id, plan, tuple(row.channels), row.created_by, row.created_at, row.intro_weeks)

    def add_rotation(
        self, plan: RotationPlan, channels: Sequence[str], *, intro_weeks: int, by: str, at: datetime
    ) -> int:
        for old in self.session.scalars(select(LiaisonRotation).where(LiaisonRotation.active.is_(True))):
            old.active = False
        row = LiaisonRotation(
            start_date=plan.start,
            length=plan.length,
            unit=plan.unit,
            tz=plan.tz,
            channels=list(channels),
            intro_weeks=intro_weeks,
            active=True,
            created_by=by,
            created_at=at,
        )
        return add_flushed(self.session, row).id

    def rotation_channels(self, rotation_id: int) -> list[str]:
        row = self.session.get(LiaisonRotation, rotation_id)
        return list(row.channels) if row is not None else []

    # --- terms ---

    def term(self, term_id: int) -> TermView | None:
        row = self.session.get(LiaisonTerm, term_id)
        return _planned_term_view(row)

    def locked_term(self, term_id: int) -> TermView | None:
        """The term, read after taking its row's write lock for this transaction (a no-op UPDATE: a row lock on
        PostgreSQL, the write lock on SQLite), so two clicks on the same term's buttons happen one after another."""
        lock_rows(self.session, LiaisonTerm, LiaisonTerm.id == term_id, keep=LiaisonTerm.number)
        row = self.session.get(LiaisonTerm, term_id, populate_existing=True)
        return _planned_term_view(row)

    def term_numbered(self, rotation_id: int, number: int) -> TermView | None:
        row = self.session.scalar(
            select(LiaisonTerm).where(LiaisonTerm.rotation_id == rotation_id, LiaisonTerm.number == number)
        )
        return _planned_term_view(row)

    def add_term(self, rotation_id: int, number: int, starts_at: datetime, ends_at: datetime, at: datetime) -> int:
        row = LiaisonTerm(
            rotation_id=rotation_id,
            number=number,
            starts_at=starts_at,
            ends_at=ends_at,
            status="planned",
            planned_at=at,
        )
        return add_flushed(self.session, row).id

    def terms(self, *, ending_after: datetime | None = None, starting_before: datetime | None = None) -> list[TermView]:
        statement = select(LiaisonTerm).where(LiaisonTerm.status == "planned")
        if ending_after is not None:
            statement = statement.where(LiaisonTerm.ends_at > ending_after)
        if starting_before is not None:
            statement = statement.where(LiaisonTerm.starts_at < starting_before)
        return [_term_view(row) for row in self.session.scalars(statement.order_by(LiaisonTerm.starts_at))]

    def past_terms(self, before: datetime, limit: int) -> list[TermView]:
        statement = (
            select(LiaisonTerm)
            .where(LiaisonTerm.status == "planned", LiaisonTerm.starts_at <= before)
            .order_by(LiaisonTerm.starts_at.desc())
            .limit(limit)
        )
        return [_term_view(row) for row in self.session.scalars(statement)]

    def cancel_terms_starting_after(self, moment: datetime) -> None:
        for row in self.session.scalars(select(LiaisonTerm).where(LiaisonTerm.starts_at > moment)):
            row.status = "cancelled"

    def end_terms_running_at(self, moment: datetime, new_end: datetime) -> None:
        statement = select(LiaisonTerm).where(
            LiaisonTerm.status == "planned", LiaisonTerm.starts_at <= moment, LiaisonTerm.ends_at > new_end
        )
        for row in self.session.scalars(statement):
            row.ends_at = new_end

    def set_liaison(self, term_id: int, side: str, user_id: str | None) -> None:
        row = self.session.get_one(LiaisonTerm, term_id, with_for_update=True)
        if side == "marketing":
            row.marketing_user = user_id
        else:
            row.it_user = user_id

    def add_event(self, term_id: int, side: str, kind: str, user_id: str, *, by: str, at: datetime) -> None:
        self.session.add(LiaisonTermEvent(term_id=term_id, side=side, kind=kind, user_id=user_id, by=by, at=at))

    def last_event_id(self, term_id: int) -> int:
        """The latest change to the term's seats (every change is an event): a version of who sits in it."""
        statement = select(func.max(LiaisonTermEvent.id)).where(LiaisonTermEvent.term_id == term_id)
        return int(self.session.scalar(statement) or 0)

    def passed_over(self, term_id: int, side: str) -> set[str]:
        """People who declined or were skipped for this seat: not picked for it again."""
        statement = select(LiaisonTermEvent.user_id).where(
            LiaisonTermEvent.term_id == term_id,
            LiaisonTermEvent.side == side,
            LiaisonTermEvent.kind.in_(("declined", "skipped")),
        )
        return set(self.session.scalars(statement))

    def has_event(self, term_id: int, kind: str, user_id: str) -> bool:
        statement = select(LiaisonTermEvent.id).where(
            LiaisonTermEvent.term_id == term_id, LiaisonTermEvent.kind == kind, LiaisonTermEvent.user_id == user_id
        )
        return self.session.scalar(statement.limit(1)) is not None

    # --- handover notes ---

    def save_note(self, term_id: int, side: str, author: str, text: str, at: datetime) -> None:
        row = self.session.scalar(
            select(LiaisonHandoverNote).where(
                LiaisonHandoverNote.term_id == term_id, LiaisonHandoverNote.author == author
            )
        )
        if row is None:
            self.session.add(LiaisonHandoverNote(term_id=term_id, side=side, author=author, text=text, written_at=at))
        else:
            row.text, row.written_at = text, at
        self.session.flush()

    def notes(self, term_id: int) -> list[NoteView]:
        statement = (
            select(LiaisonHandoverNote)
            .where(LiaisonHandoverNote.term_id == term_id)
            .order_by(LiaisonHandoverNote.side, LiaisonHandoverNote.written_at)
        )
        return [NoteView(r.term_id, r.side, r.author, r.text, r.written_at) for r in self.session.scalars(statement)]

    # --- cross-team intros ---

    def set_intro_member(self, user_id: str, side: str | None, status: str, at: datetime) -> bool:
        """Opt in or out; False when nothing changed (or an unknown person opts out)."""
        row = self.session.scalar(select(LiaisonIntroMember).where(LiaisonIntroMember.user_id == user_id))
        if row is None:
            if status != "in" or side is None:
                return False
            self.session.add(LiaisonIntroMember(user_id=user_id, side=side, status=status, changed_at=at))
            return True
        changed = row.status != status or (side is not None and row.side != side)
        row.status, row.changed_at = status, at
        if side is not None:
            row.side = side
        return changed

    def intro_side(self, user_id: str) -> str | None:
        row = self.session.scalar(
            select(LiaisonIntroMember).where(LiaisonIntroMember.user_id == user_id, LiaisonIntroMember.status == "in")
        )
        return row.side if row is not None else None

    def intro_members(self) -> dict[str, list[str]]:
        statement = select(LiaisonIntroMember).where(LiaisonIntroMember.status == "in")
        members: dict[str, list[str]] = {"marketing": [], "it": []}
        for row in self.session.scalars(statement.order_by(LiaisonIntroMember.user_id)):
            members.setdefault(row.side, []).append(row.user_id)
        return members

    def away_on(self, day: date) -> set[str]:
        statement = select(LiaisonMember.user_id).where(LiaisonMember.away_until >= day)
        return set(self.session.scalars(statement))

    def intro_round(self, rotation_id: int, number: int) -> LiaisonIntroRound | None:
        return self.session.scalar(
            select(LiaisonIntroRound).where(
                LiaisonIntroRound.rotation_id == rotation_id, LiaisonIntroRound.number == number
            )
        )

    def recent_intro_rounds(self, before: datetime, limit: int) -> list[tuple[int, list[tuple[str, str]]]]:
        """The latest rounds before `before`, most recent first: (round id, its pairs)."""
        rounds = self.session.scalars(
            select(LiaisonIntroRound)
            .where(LiaisonIntroRound.starts_at < before)
            .order_by(LiaisonIntroRound.starts_at.desc())
            .limit(limit)
        ).all()
        pairs: dict[int, list[tuple[str, str]]] = {r.id: [] for r in rounds}
        if rounds:
            statement = select(LiaisonIntroPair).where(LiaisonIntroPair.round_id.in_(list(pairs)))
            for row in self.session.scalars(statement):
                pairs[row.round_id].append((row.marketing_user, row.it_user))
        return [(r.id, pairs[r.id]) for r in rounds]

    def sitouts(self, round_id: int) -> list[str]:
        statement = select(LiaisonIntroSitout.user_id).where(LiaisonIntroSitout.round_id == round_id)
        return list(self.session.scalars(statement))

    def add_intro_round(
        self,
        rotation_id: int,
        number: int,
        starts_at: datetime,
        term_name: str | None,
        pairs: Sequence[tuple[str, str]],
        sitting_out: Sequence[str],
        at: datetime,
    ) -> int:
        row = LiaisonIntroRound(
            rotation_id=rotation_id, number=number, starts_at=starts_at, term_name=term_name, created_at=at
        )
        add_flushed(self.session, row)
        for marketing_user, it_user in pairs:
            self.session.add(LiaisonIntroPair(round_id=row.id, marketing_user=marketing_user, it_user=it_user))
        for user_id in sitting_out:
            self.session.add(LiaisonIntroSitout(round_id=row.id, user_id=user_id))
        self.session.flush()
        return row.id

    def intro_pairs(self, *, started_after: datetime, prompted: bool | None = None) -> list[IntroPairView]:
        statement = (
            select(LiaisonIntroPair, LiaisonIntroRound)
            .join(LiaisonIntroRound, LiaisonIntroPair.round_id == LiaisonIntroRound.id)
            .where(LiaisonIntroRound.starts_at > started_after)
            .order_by(LiaisonIntroPair.id)
        )
        if prompted is not None:
            statement = statement.where(LiaisonIntroPair.prompted.is_(prompted))
        return [_pair_view(pair, round_) for pair, round_ in self.session.execute(statement)]

    def intro_pair(self, pair_id: int) -> IntroPairView | None:
        pair = self.session.get(LiaisonIntroPair, pair_id)
        if pair is None:
            return None
        return _pair_view(pair, self.session.get_one(LiaisonIntroRound, pair.round_id))

    def mark_prompted(self, pair_id: int, channel: str | None) -> None:
        row = self.session.get_one(LiaisonIntroPair, pair_id, with_for_update=True)
        row.prompted, row.channel = True, channel

    def record_outcome(self, pair_id: int, outcome: str, by: str, at: datetime) -> None:
        row = self.session.get_one(LiaisonIntroPair, pair_id, with_for_update=True)
        if row.outcome == "met" and outcome != "met":
            return
        row.outcome, row.answered_by, row.answered_at = outcome, by, at

    def intro_stats(self) -> IntroStats:
        rounds = self.session.scalar(select(func.count(LiaisonIntroRound.id))) or 0
        statement = select(LiaisonIntroPair.outcome, func.count(LiaisonIntroPair.id)).group_by(LiaisonIntroPair.outcome)
        outcomes = {outcome or "none": int(number) for outcome, number in self.session.execute(statement)}
        members = self.intro_members()
        return IntroStats(
            rounds=int(rounds),
            pairs=int(sum(outcomes.values())),
            met=int(outcomes.get("met", 0)),
            not_yet=int(outcomes.get("not_yet", 0)),
            opted_in={side: len(people) for side, people in members.items()},
        )


def _pair_view(pair: LiaisonIntroPair, round_: LiaisonIntroRound) -> IntroPairView:
    return view_of(IntroPairView, pair, term_name=round_.term_name, round_starts_at=round_.starts_at)


__all__ = [
    "LiaisonHandoverNote",
    "LiaisonIntroMember",
    "LiaisonIntroPair",
    "LiaisonIntroRound",
    "LiaisonIntroSitout",
    "LiaisonMember",
    "LiaisonRepository",
    "LiaisonRotation",
    "LiaisonTerm",
    "LiaisonTermEvent",
]
