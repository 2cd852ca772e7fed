"""The Home tab's own use cases: who opened it (a welcome on the first visit; whose Home is worth refreshing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.kit import Transactions
from storage.home import HomeRepository

RECENT_VISIT = timedelta(days=30)  # only the Home of people who opened it this recently is kept fresh


class HomeService(Transactions):
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, wake_outbox: Callable[[], None]) -> None:
        super().__init__(sessions, clock, wake_outbox)

    def opened(self, user_id: str) -> bool:
        """The person opened their Home tab now; True when it is their first time."""
        with self.work() as work:
            return work.repo(HomeRepository).record_visit(user_id, work.now)

    def recent_visitors(self, user_ids: list[str]) -> set[str]:
        """Which of these people opened Home in the last 30 days."""
        with self.reading() as work:
            return work.repo(HomeRepository).visited_since(user_ids, work.now - RECENT_VISIT)
