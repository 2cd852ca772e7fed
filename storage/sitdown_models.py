"""The sit-down tables: series (recurrence + IANA zone), meetings, agenda and action items, mutes, holidays."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Created


class SitdownSeries(Created, Base):
    __tablename__ = "sitdown_series"
    __table_args__ = (Index("ix_sitdown_series_planning", "status", "planned_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
    cadence: Mapped[str] = mapped_column(String(16))  # weekly, biweekly, monthly
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    nth: Mapped[int | None] = mapped_column(Integer)  # monthly: 1..4 or -1 (last)
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM, wall-clock in `zone`
    zone: Mapped[str] = mapped_column(String(64))  # IANA name
    starts_on: Mapped[date] = mapped_column(Date)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    lead_minutes: Mapped[list[int]] = mapped_column(JSON)
    video_link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), index=True)  # active, paused, cancelled
    owner: Mapped[str] = mapped_column(String(32))
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]
    # Every message due up to here is in the outbox, and none is due between the last planning round and here.
    planned_until: Mapped[datetime]


class SitdownMeeting(Base):
    """One occurrence that has something attached: a move or skip, agenda items, notes. Others stay computed."""

    __tablename__ = "sitdown_meetings"
    __table_args__ = (UniqueConstraint("series_id", "original_start", name="uq_sitdown_meetings_occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("sitdown_series.id", ondelete="CASCADE"))
    original_start: Mapped[datetime]
    start: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # scheduled, moved, skipped
    changed_by: Mapped[str | None] = mapped_column(String(32))
    changed_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)
    notes_by: Mapped[str | None] = mapped_column(String(32))
    notes_at: Mapped[datetime | None]


class SitdownAgendaItem(Base):
    __tablename__ = "sitdown_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("sitdown_meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))  # "person", or the feature that added it ("newproject")
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime]


class SitdownActionItem(Created, Base):
    __tablename__ = "sitdown_action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("sitdown_series.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("sitdown_meetings.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(32), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(16))  # immediate, long_term
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, done
    reminder_planned: Mapped[bool] = mapped_column(default=False)
    done_by: Mapped[str | None] = mapped_column(String(32))
    done_at: Mapped[datetime | None]


class SitdownMute(Base):
    __tablename__ = "sitdown_mutes"
    __table_args__ = (UniqueConstraint("series_id", "user_id", name="uq_sitdown_mutes_series_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("sitdown_series.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    muted_at: Mapped[datetime]


class SitdownHoliday(Base):
    __tablename__ = "sitdown_holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(120))
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime]


# --- plain views handed to the service ---------------------------------------------------------------------------
