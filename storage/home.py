"""Home tab visits: who opened it, first and last (the welcome on a first visit)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, in_chunks, is_one_of


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

    def visited_since(self, user_ids: Collection[str], since: datetime) -> set[str]:
        """Which of these people opened Home at `since` or later."""
        found = set[str]()
        for chunk in in_chunks(user_ids):
            statement = select(HomeVisit.user_id).where(
                is_one_of(self.session, HomeVisit.user_id, chunk), HomeVisit.last_opened_at >= since
            )
            found.update(self.session.scalars(statement))
        return found
