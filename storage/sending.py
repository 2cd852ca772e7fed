"""Whether the bot may send at all: Slack uninstalled the app or revoked its token (one row, shared by replicas)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base

THE_ROW = 1


class SendingStop(Base):
    """Present while sending is stopped: why (the event Slack sent) and since when. Pending outbox rows wait."""

    __tablename__ = "sending_stops"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    since: Mapped[datetime]


@dataclass(frozen=True)
class Stopped:
    reason: str
    since: datetime


class SendingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def stopped(self) -> Stopped | None:
        row = self.session.execute(select(SendingStop.reason, SendingStop.since)).first()
        return Stopped(row.reason, row.since) if row else None

    def stop(self, reason: str, at: datetime) -> bool:
        """Stop sending; False when it was already stopped (the first reason and moment are kept)."""
        if self.session.get(SendingStop, THE_ROW, with_for_update=True) is not None:
            return False
        self.session.add(SendingStop(id=THE_ROW, reason=reason[:200], since=at))
        return True

    def resume(self) -> bool:
        """Sending may go on; False when it was not stopped."""
        return bool(self.session.execute(delete(SendingStop)).rowcount)  # type: ignore[attr-defined]
