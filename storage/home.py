"""Home tab visits: who opened it, first and last (the welcome on a first visit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base


class HomeVisit(Base):
    __tablename__ = "home_visits"
    __table_args__ = (Index("ix_home_visits_last_opened_at", "last_opened_at"),)

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_opened_at: Mapped[datetime]
    last_opened_at: Mapped[datetime]


class HomeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record_visit(self, user_id: str, at: datetime) -> bool:
        """Note that the person opened Home now; True on their first visit."""
        visit = self.session.get(HomeVisit, user_id)
        if visit is None:
            self.session.add(HomeVisit(user_id=user_id, first_opened_at=at, last_opened_at=at))
            return True
        visit.last_opened_at = at
        return False
