"""Lunch-and-learn persistence: sessions, signups (seats and waitlist), ratings, ideas and votes.

Capacity lives in the database: `taken` only grows through a conditional UPDATE (`taken < capacity`) and a
CHECK constraint refuses `taken > capacity` whatever the code does. Every change to a session's seats
first bumps its `revision`, which locks the row: signups, withdrawals and promotions of one session happen
one after another, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Text,
    UniqueConstraint,
    cast,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.lunchlearn_rules import IdeaView, RatingView, SessionDraft, SessionView
from storage.models import Base, Created, add_flushed, in_chunks, is_one_of, update_rows, view_of


class LunchSession(Created, Base):
    __tablename__ = "lunchlearn_sessions"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="ck_lunchlearn_sessions_capacity"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="ck_lunchlearn_sessions_taken"),
        Index("ix_lunchlearn_sessions_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(150))
    abstract: Mapped[str] = mapped_column(Text, default="")
    presenters: Mapped[list[str]] = mapped_column(JSON)
    direction: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(300))
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # "scheduled" or "cancelled"
    channel_id: Mapped[str] = mapped_column(String(32))
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("lunchlearn_ideas.id", ondelete="SET NULL"))
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    cancelled_at: Mapped[datetime | None]


class LunchSignup(Base):
    __tablename__ = "lunchlearn_signups"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="uq_lunchlearn_signups_session_user"),
        Index("ix_lunchlearn_signups_session_status", "session_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lunchlearn_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # "seated" or "waiting"
    signed_up_at: Mapped[datetime]
    seated_at: Mapped[datetime | None]


class LunchRating(Base):
    __tablename__ = "lunchlearn_ratings"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="uq_lunchlearn_ratings_session_user"),
        CheckConstraint("score BETWEEN 1 AND 5", name="ck_lunchlearn_ratings_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lunchlearn_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime]


class LunchIdea(Created, Base):
    __tablename__ = "lunchlearn_ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(150))
    key: Mapped[str] = mapped_column(String(150), unique=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[int | None] = mapped_column(Integer)


class LunchIdeaVote(Base):
    __tablename__ = "lunchlearn_idea_votes"
    __table_args__ = (UniqueConstraint("idea_id", "user_id", name="uq_lunchlearn_idea_votes_idea_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("lunchlearn_ideas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    voted_at: Mapped[datetime]


class LunchLearnRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- sessions ----------------------------------------------------------------------------------------

    def add_session(
        self, draft: SessionDraft, *, channel_id: str, by: str, at: datetime, idea_id: int | None
    ) -> SessionView:
        assert draft.starts_at is not None and draft.duration_minutes is not None and draft.capacity is not None
        row = LunchSession(
            topic=draft.topic.strip(),
            abstract=draft.abstract.strip(),
            presenters=list(draft.presenters),
            direction=draft.direction,
            starts_at=draft.starts_at,
            duration_minutes=draft.duration_minutes,
            place=draft.place.strip(),
            capacity=draft.capacity,
            taken=0,
            revision=0,
            status="scheduled",
            channel_id=channel_id,
            idea_id=idea_id,
            created_by=by,
            created_at=at,
        )
        return _session_view(add_flushed(self.session, row), [])

    def view(self, session_id: int) -> SessionView | None:
        row = self.session.get(LunchSession, session_id, populate_existing=True)
        return _session_view(row, self._signups(session_id)) if row else None

    def lock(self, session_id: int) -> bool:
        """Take the session's row lock for this transaction (bumping its revision); False if it is not open."""
        scheduled = (LunchSession.id == session_id, LunchSession.status == "scheduled")
        return bool(update_rows(self.session, LunchSession, *scheduled, revision=LunchSession.revision + 1))

    def take_seat(self, session_id: int) -> bool:
        with_room = (LunchSession.id == session_id, LunchSession.taken < LunchSession.capacity)
        return bool(update_rows(self.session, LunchSession, *with_room, taken=LunchSession.taken + 1))

    def free_seat(self, session_id: int) -> None:
        update_rows(self.session, LunchSession, LunchSession.id == session_id, taken=LunchSession.taken - 1)

    def signup_status(self, session_id: int, user_id: str) -> str | None:
        return self.session.scalar(
            select(LunchSignup.status).where(LunchSignup.session_id == session_id, LunchSignup.user_id == user_id)
        )

    def add_signup(self, session_id: int, user_id: str, *, seated: bool, at: datetime) -> None:
        status = "seated" if seated else "waiting"
        signup = LunchSignup(
            session_id=session_id, user_id=user_id, status=status, signed_up_at=at, seated_at=at if seated else None
        )
        add_flushed(self.session, signup)

    def remove_signup(self, session_id: int, user_id: str) -> str | None:
        """Delete the signup; its former status, or None when there was none."""
        row = self.session.scalar(
            select(LunchSignup).where(LunchSignup.session_id == session_id, LunchSignup.user_id == user_id)
        )
        if row is None:
            return None
        status = row.status
        self.session.delete(row)
        self.session.flush()
        return status

    def promote_first_waiting(self, session_id: int, at: datetime) -> str | None:
        row = self.session.scalar(
            select(LunchSignup)
            .where(LunchSignup.session_id == session_id, LunchSignup.status == "waiting")
            .order_by(LunchSignup.id)
            .limit(1)
        )
        if row is None:
            return None
        row.status, row.seated_at = "seated", at
        self.session.flush()
        return row.user_id

    def cancel(self, session_id: int, *, by: str, at: datetime) -> None:
        row = self.session.get_one(LunchSession, session_id)
        row.status, row.cancelled_by, row.cancelled_at = "cancelled", by, at
        self.session.flush()

    def revisions_between(self, start: datetime, end: datetime) -> dict[int, int]:
        """Session ID -> revision of the scheduled sessions starting between `start` and `end`, soonest first."""
        rows = self.session.execute(
            select(LunchSession.id, LunchSession.revision)
            .where(LunchSession.status == "scheduled", LunchSession.starts_at >= start, LunchSession.starts_at <= end)
            .order_by(LunchSession.starts_at, LunchSession.id)
        )
        return {session_id: revision for session_id, revision in rows}

    def with_seats(self, session_ids: Sequence[int]) -> list[tuple[SessionView, dict[str, datetime]]]:
        """These sessions (in this order; any gone are left out), each with when its seated people got their
        seats: two queries per few hundred sessions."""
        found: dict[int, tuple[SessionView, dict[str, datetime]]] = {}
        for chunk in in_chunks(session_ids):
            found.update(self._with_seats(chunk))
        return [found[session_id] for session_id in session_ids if session_id in found]

    def _with_seats(self, session_ids: Sequence[int]) -> dict[int, tuple[SessionView, dict[str, datetime]]]:
        chosen = is_one_of(self.session, LunchSession.id, session_ids)
        rows = self.session.execute(select(*VIEW_COLUMNS).where(chosen)).all()
        signups: dict[int, list[tuple[str, str]]] = defaultdict(list)
        seated_since: dict[int, dict[str, datetime]] = defaultdict(dict)
        for session_id, user_id, status, seated_at in self.session.execute(
            select(LunchSignup.session_id, LunchSignup.user_id, LunchSignup.status, LunchSignup.seated_at)
            .where(is_one_of(self.session, LunchSignup.session_id, session_ids))
            .order_by(LunchSignup.id)
        ):
            signups[session_id].append((user_id, status))
            if status == "seated" and seated_at is not None:
                seated_since[session_id][user_id] = seated_at
        return {row.id: (_session_view(row, signups[row.id]), seated_since[row.id]) for row in rows}

    def upcoming(self, now: datetime, limit: int) -> list[SessionView]:
        rows = self.session.scalars(
            select(LunchSession)
            .where(LunchSession.status == "scheduled", LunchSession.starts_at > now)
            .order_by(LunchSession.starts_at, LunchSession.id)
            .limit(limit)
        ).all()
        return self._views(rows)

    def upcoming_signed_up(self, user_id: str, now: datetime, limit: int) -> list[SessionView]:
        """Upcoming sessions `user_id` has a seat or a waitlist place in, soonest first."""
        rows = self.session.scalars(
            select(LunchSession)
            .join(LunchSignup, LunchSignup.session_id == LunchSession.id)
            .where(LunchSignup.user_id == user_id, LunchSession.status == "scheduled", LunchSession.starts_at > now)
            .order_by(LunchSession.starts_at, LunchSession.id)
            .limit(limit)
        ).all()
        return self._views(rows)

    def upcoming_concerning(self, user_id: str, now: datetime) -> tuple[list[int], list[int]]:
        """The upcoming scheduled sessions `user_id` holds a seat or a waitlist place in, and those they present:
        their ids, soonest first (the few shown are then read whole with `with_seats`)."""
        upcoming = (LunchSession.status == "scheduled", LunchSession.starts_at > now)
        order = (LunchSession.starts_at, LunchSession.id)
        signed_up = self.session.scalars(
            select(LunchSession.id)
            .join(LunchSignup, LunchSignup.session_id == LunchSession.id)
            .where(LunchSignup.user_id == user_id, *upcoming)
            .order_by(*order)
        ).all()
        # Presenters are a JSON list: a LIKE on its text narrows the rows on every backend; the check is exact.
        named = cast(LunchSession.presenters, Text).contains(json.dumps(user_id), autoescape=True)
        rows = self.session.execute(
            select(LunchSession.id, LunchSession.presenters).where(named, *upcoming).order_by(*order)
        )
        return list(signed_up), [session_id for session_id, presenters in rows if user_id in presenters]

    def held_sessions(self, before: datetime) -> list[SessionView]:
        rows = self.session.scalars(
            select(LunchSession).where(LunchSession.status == "scheduled", LunchSession.starts_at <= before)
        ).all()
        return self._views(rows)

    def _signups(self, session_id: int) -> list[tuple[str, str]]:
        rows = self.session.execute(
            select(LunchSignup.user_id, LunchSignup.status)
            .where(LunchSignup.session_id == session_id)
            .order_by(LunchSignup.id)
        )
        return [(user_id, status) for user_id, status in rows]

    def _views(self, rows: Any) -> list[SessionView]:
        ids = [row.id for row in rows]
        signups: dict[int, list[tuple[str, str]]] = defaultdict(list)
        if ids:
            for session_id, user_id, status in self.session.execute(
                select(LunchSignup.session_id, LunchSignup.user_id, LunchSignup.status)
                .where(LunchSignup.session_id.in_(ids))
                .order_by(LunchSignup.id)
            ):
                signups[session_id].append((user_id, status))
        return [_session_view(row, signups[row.id]) for row in rows]

    # --- ratings -----------------------------------------------------------------------------------------

    def _rating(self, session_id: int, user_id: str) -> LunchRating | None:
        return self.session.scalar(
            select(LunchRating).where(LunchRating.session_id == session_id, LunchRating.user_id == user_id)
        )

    def rate(self, session_id: int, user_id: str, score: int, at: datetime) -> None:
        row = self._rating(session_id, user_id)
        if row is None:
            self.session.add(LunchRating(session_id=session_id, user_id=user_id, score=score, comment="", rated_at=at))
        else:
            row.score, row.rated_at = score, at
        self.session.flush()

    def comment(self, session_id: int, user_id: str, text: str, at: datetime) -> bool:
        row = self._rating(session_id, user_id)
        if row is None:
            return False
        row.comment, row.rated_at = text, at
        return True

    def ratings(self, session_id: int) -> list[RatingView]:
        rows = self.session.scalars(
            select(LunchRating).where(LunchRating.session_id == session_id).order_by(LunchRating.id)
        )
        return [RatingView(r.user_id, r.score, r.comment) for r in rows]

    def all_scores(self) -> list[int]:
        return list(self.session.scalars(select(LunchRating.score)))

    # --- ideas -------------------------------------------------------------------------------------------

    def idea_by_key(self, key: str) -> IdeaView | None:
        row = self.session.scalar(select(LunchIdea).where(LunchIdea.key == key))
        return self._idea_view(row) if row else None

    def idea(self, idea_id: int) -> IdeaView | None:
        row = self.session.get(LunchIdea, idea_id)
        return self._idea_view(row) if row else None

    def add_idea(self, *, topic: str, key: str, channel_id: str, by: str, at: datetime) -> IdeaView:
        row = add_flushed(
            self.session, LunchIdea(topic=topic, key=key, channel_id=channel_id, created_by=by, created_at=at)
        )
        add_flushed(self.session, LunchIdeaVote(idea_id=row.id, user_id=by, voted_at=at))
        return self._idea_view(row)

    def vote(self, idea_id: int, user_id: str, at: datetime) -> bool:
        exists = self.session.scalar(
            select(LunchIdeaVote.id).where(LunchIdeaVote.idea_id == idea_id, LunchIdeaVote.user_id == user_id)
        )
        if exists is not None:
            return False
        add_flushed(self.session, LunchIdeaVote(idea_id=idea_id, user_id=user_id, voted_at=at))
        return True

    def link_idea(self, idea_id: int, session_id: int) -> bool:
        """Mark the idea as planned by this session; False when it is gone or another session planned it first
        (one conditional UPDATE, so two forms submitted at once cannot both take it)."""
        unplanned = (LunchIdea.id == idea_id, LunchIdea.session_id.is_(None))
        return bool(update_rows(self.session, LunchIdea, *unplanned, session_id=session_id))

    def ideas_by_votes(self, limit: int) -> list[IdeaView]:
        votes = func.count(LunchIdeaVote.id)
        ids = list(
            self.session.scalars(
                select(LunchIdea.id)
                .outerjoin(LunchIdeaVote, LunchIdeaVote.idea_id == LunchIdea.id)
                .where(LunchIdea.session_id.is_(None))
                .group_by(LunchIdea.id)
                .order_by(votes.desc(), LunchIdea.id)
                .limit(limit)
            )
        )
        return [view for view in (self.idea(idea_id) for idea_id in ids) if view is not None]

    def _idea_view(self, row: LunchIdea) -> IdeaView:
        voters = self.session.scalars(
            select(LunchIdeaVote.user_id).where(LunchIdeaVote.idea_id == row.id).order_by(LunchIdeaVote.id)
        )
        return IdeaView(
            row.id, row.topic, row.created_by, row.created_at, tuple(voters), row.channel_id, row.session_id
        )


VIEW_COLUMNS = (
    LunchSession.id,
    LunchSession.topic,
    LunchSession.abstract,
    LunchSession.presenters,
    LunchSession.direction,
    LunchSession.starts_at,
    LunchSession.duration_minutes,
    LunchSession.place,
    LunchSession.capacity,
    LunchSession.status,
    LunchSession.created_by,
    LunchSession.created_at,
    LunchSession.channel_id,
    LunchSession.revision,
    LunchSession.cancelled_by,
)  # what a SessionView is made of: selected as plain columns, a row builds one without the ORM's bookkeeping


def _session_view(row: LunchSession | Row[*tuple[Any, ...]], signups: list[tuple[str, str]]) -> SessionView:
    return view_of(
        SessionView,
        row,
        presenters=tuple(row.presenters),
        seated=tuple(user for user, status in signups if status == "seated"),
        waiting=tuple(user for user, status in signups if status == "waiting"),
    )
