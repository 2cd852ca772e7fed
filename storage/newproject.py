"""/newproject persistence: intakes and their history (who did what, when)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from bot.newproject_rules import NEW, OPEN_STATUSES, Intake, IntakeDraft, IntakeEvent, IntakeFacts
from storage.models import Base, add_flushed, get_row


class NewProjectIntake(Base):
    __tablename__ = "newproject_intakes"
    __table_args__ = (PrimaryKeyConstraint("id", name="pk_newproject_intakes"),)

    id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    business_case: Mapped[str] = mapped_column(Text)
    outcomes: Mapped[str] = mapped_column(Text)
    launch_date: Mapped[date] = mapped_column(Date)
    audiences: Mapped[str] = mapped_column(Text)
    data_needed: Mapped[str] = mapped_column(Text)
    personal_data: Mapped[str] = mapped_column(String(16))
    integrations: Mapped[str] = mapped_column(Text)
    new_vendors: Mapped[str] = mapped_column(Text)
    budget: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(32))
    stakeholders: Mapped[list[str]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(32), index=True)
    requested_at: Mapped[datetime]
    lead_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    it_contact: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Bumped by every change; the announcement shows `refreshed_version` (see NewProjectService.tick).
    version: Mapped[int] = mapped_column(Integer)
    refreshed_version: Mapped[int] = mapped_column(Integer)

    events: Mapped[list[NewProjectEvent]] = relationship(
        back_populates="intake", cascade="all, delete-orphan", order_by="NewProjectEvent.id"
    )


class NewProjectEvent(Base):
    __tablename__ = "newproject_events"
    __table_args__ = (PrimaryKeyConstraint("id", name="pk_newproject_events"),)

    id: Mapped[int] = mapped_column(Integer)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("newproject_intakes.id", ondelete="CASCADE", name="fk_newproject_events_intake_id"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text)

    intake: Mapped[NewProjectIntake] = relationship(back_populates="events")


# A draft's fields an intake stores unchanged, each in the column of the same name (owner and stakeholders are not).
_DRAFT_COLUMNS = (
    "name",
    "business_case",
    "outcomes",
    "launch_date",
    "audiences",
    "data_needed",
    "personal_data",
    "integrations",
    "new_vendors",
    "budget",
)


def _draft_columns(source: IntakeDraft | NewProjectIntake) -> dict[str, Any]:
    """The _DRAFT_COLUMNS of a draft or of an intake's row, by name."""
    return {name: getattr(source, name) for name in _DRAFT_COLUMNS}


def _view(row: NewProjectIntake) -> Intake:
    draft = IntakeDraft(**_draft_columns(row), owner=row.owner_id, stakeholders=tuple(row.stakeholders or ()))
    return Intake(
        id=row.id,
        draft=draft,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        lead_days=row.lead_days,
        status=row.status,
        it_contact=row.it_contact,
        claimed_at=row.claimed_at,
        closed_at=row.closed_at,
        events=tuple(IntakeEvent(e.action, e.actor, e.at, e.note) for e in row.events),
    )


class NewProjectRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, draft: IntakeDraft, *, by: str, at: datetime, lead_days: int) -> Intake:
        row = NewProjectIntake(
            **_draft_columns(draft),
            owner_id=draft.owner or by,
            stakeholders=list(draft.stakeholders),
            requested_by=by,
            requested_at=at,
            lead_days=lead_days,
            status=NEW,
            version=1,
            refreshed_version=1,
        )
        row.events.append(NewProjectEvent(action="submit", actor=by, at=at, note=""))
        return _view(add_flushed(self.session, row))

    def get(self, intake_id: int, *, lock: bool = False) -> Intake | None:
        """One intake; `lock` holds its row so two clicks at once apply one after the other."""
        row = get_row(self.session, NewProjectIntake, intake_id, lock=lock, keep=NewProjectIntake.version)
        return _view(row) if row is not None else None

    def record(self, intake_id: int, *, action: str, status: str, by: str, at: datetime, note: str = "") -> Intake:
        """Apply an action: new status, the history line, and the facts reporting needs."""
        row = self.session.get_one(NewProjectIntake, intake_id)
        row.status = status
        if action == "claim":
            row.it_contact = by
            row.claimed_at = row.claimed_at or at
        if status not in OPEN_STATUSES:
            row.closed_at = at
        row.version += 1
        row.events.append(NewProjectEvent(action=action, actor=by, at=at, note=note))
        self.session.flush()
        return _view(row)

    def open_intakes(self, *, involving: str | None = None, unclaimed: bool = False) -> list[Intake]:
        statement = select(NewProjectIntake).where(NewProjectIntake.status.in_(OPEN_STATUSES))
        if unclaimed:
            statement = statement.where(NewProjectIntake.it_contact.is_(None))
        if involving is not None:
            statement = statement.where(
                or_(
                    NewProjectIntake.requested_by == involving,
                    NewProjectIntake.owner_id == involving,
                    NewProjectIntake.it_contact == involving,
                )
            )
        return [_view(row) for row in self.session.scalars(statement.order_by(NewProjectIntake.launch_date))]

    def unclaimed(self) -> list[Intake]:
        return self.open_intakes(unclaimed=True)

    def requested_by(self, user_id: str, *, limit: int) -> tuple[list[Intake], int]:
        """The first `limit` intakes the person submitted, decided ones too (open ones first, newest first),
        and how many they submitted in all."""
        mine = NewProjectIntake.requested_by == user_id
        still_open = case((NewProjectIntake.status.in_(OPEN_STATUSES), 0), else_=1)
        order = (still_open, NewProjectIntake.requested_at.desc(), NewProjectIntake.id.desc())
        return self._page(mine, order, limit)

    def taken_by(self, user_id: str, *, limit: int) -> tuple[list[Intake], int]:
        """The first `limit` open intakes the person is IT's contact for (soonest launch first), and how many."""
        taken = (NewProjectIntake.it_contact == user_id) & NewProjectIntake.status.in_(OPEN_STATUSES)
        return self._page(taken, (NewProjectIntake.launch_date, NewProjectIntake.id), limit)

    def unclaimed_queue(self) -> tuple[Intake | None, int]:
        """The oldest open intake nobody in IT has taken, and how many there are."""
        waiting = NewProjectIntake.it_contact.is_(None) & NewProjectIntake.status.in_(OPEN_STATUSES)
        oldest, count = self._page(waiting, (NewProjectIntake.requested_at, NewProjectIntake.id), 1)
        return (oldest[0] if oldest else None), count

    def status_counts(self) -> dict[str, int]:
        """How many intakes are in each status (statuses with none left out)."""
        statement = select(NewProjectIntake.status, func.count()).group_by(NewProjectIntake.status)
        return {status: int(count) for status, count in self.session.execute(statement).all()}

    def _page(self, where: Any, order: Sequence[Any], limit: int) -> tuple[list[Intake], int]:
        statement = select(NewProjectIntake).where(where).order_by(*order).limit(limit)
        rows = self.session.scalars(statement.options(selectinload(NewProjectIntake.events)))
        total = self.session.scalar(select(func.count()).select_from(NewProjectIntake).where(where))
        return [_view(row) for row in rows], int(total or 0)

    def stale_announcements(self) -> list[Intake]:
        statement = select(NewProjectIntake).where(NewProjectIntake.refreshed_version < NewProjectIntake.version)
        return [_view(row) for row in self.session.scalars(statement)]

    def mark_refreshed(self, intake_id: int) -> None:
        row = self.session.get_one(NewProjectIntake, intake_id)
        row.refreshed_version = row.version

    def facts(self) -> list[IntakeFacts]:
        rows: Sequence[Any] = self.session.execute(
            select(
                NewProjectIntake.requested_at,
                NewProjectIntake.lead_days,
                NewProjectIntake.status,
                NewProjectIntake.claimed_at,
            )
        ).all()
        return [IntakeFacts(*row) for row in rows]
