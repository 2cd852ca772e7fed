"""The Home tab's own use case: who opened it (a welcome on the first visit)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.kit import Transactions
from storage.home import HomeRepository


class HomeService(Transactions):
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, wake_outbox: Callable[[], None]) -> None:
        super().__init__(sessions, clock, wake_outbox)

    def opened(self, user_id: str) -> bool:
        """The person opened their Home tab now; True when it is their first time."""
        with self.work() as work:
            return work.repo(HomeRepository).record_visit(user_id, work.now)

    def published(self, user_id: str) -> None:
        """The person's Home was just published from the current state: a refresh still waiting is not needed."""
        with self.work() as work:
            work.outbox.supersede(f"home:{user_id}", by_key="its Home, published directly")
