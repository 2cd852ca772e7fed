"""The liaison tables: pools, rotation settings, terms and their events, handover notes, cross-team intros."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Created


class LiaisonMember(Base):
    """Someone in a side's pool. Leaving keeps the row (status 'left') so a user-group sync won't re-add them."""

    __tablename__ = "liaison_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), unique=True)
    side: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)  # "active" or "left"
    source: Mapped[str] = mapped_column(String(16))  # "manual" or "usergroup"
    joined_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime]
    away_until: Mapped[date | None] = mapped_column(Date)


class LiaisonRotation(Created, Base):
    """One row per setup; the latest active one drives the terms."""

    __tablename__ = "liaison_rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    start_date: Mapped[date] = mapped_column(Date)
    length: Mapped[int]
    unit: Mapped[str] = mapped_column(String(8))
    tz: Mapped[str] = mapped_column(String(64))
    channels: Mapped[list[str]] = mapped_column(JSON)
    intro_weeks: Mapped[int] = mapped_column(default=0)  # 0: no cross-team intros
    active: Mapped[bool]


class LiaisonTerm(Base):
    __tablename__ = "liaison_terms"
    __table_args__ = (UniqueConstraint("rotation_id", "number", name="uq_liaison_terms_rotation_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("liaison_rotations.id", ondelete="CASCADE"))
    number: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    marketing_user: Mapped[str | None] = mapped_column(String(32))
    it_user: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # "planned" or "cancelled"
    planned_at: Mapped[datetime]


class LiaisonTermEvent(Base):
    """What happened to a term's seat: picked, accepted, declined, skipped, swapped_in, swapped_out."""

    __tablename__ = "liaison_term_events"
    __table_args__ = (Index("ix_liaison_term_events_term", "term_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("liaison_terms.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class LiaisonHandoverNote(Base):
    __tablename__ = "liaison_handover_notes"
    __table_args__ = (UniqueConstraint("term_id", "author", name="uq_liaison_handover_notes_term_author"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("liaison_terms.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]


class LiaisonIntroMember(Base):
    """Someone who opted in to cross-team intros (status 'in'), or opted out again ('out')."""

    __tablename__ = "liaison_intro_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), unique=True)
    side: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))
    changed_at: Mapped[datetime]


class LiaisonIntroRound(Base):
    __tablename__ = "liaison_intro_rounds"
    __table_args__ = (UniqueConstraint("rotation_id", "number", name="uq_liaison_intro_rounds_rotation_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("liaison_rotations.id", ondelete="CASCADE"))
    number: Mapped[int]
    starts_at: Mapped[datetime]
    term_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]


class LiaisonIntroPair(Base):
    __tablename__ = "liaison_intro_pairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("liaison_intro_rounds.id", ondelete="CASCADE"), index=True)
    marketing_user: Mapped[str] = mapped_column(String(32))
    it_user: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))  # the group DM, once opened
    prompted: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str | None] = mapped_column(String(16))  # "met" or "not_yet"
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]


class LiaisonIntroSitout(Base):
    __tablename__ = "liaison_intro_sitouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("liaison_intro_rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))


# --- plain values --------------------------------------------------------------------------------------------
