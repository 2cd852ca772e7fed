"""The kit every feature's use cases stand on: a unit of work, a service base, one way to name outbox rows.

A use case never opens a session, builds a repository or wakes the dispatcher itself:

    with self.work() as work:                    # one transaction
        intake = work.repo(NewProjectRepository).add(...)
        work.send(Outgoing(outbox_key("newproject", intake.id, "announce"), payload))
    # committed; the dispatcher was woken because something was queued

(cosmicpython's unit of work; Netflix/dispatch injects its db_session the same way.)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Generic, TypeVar
from uuid import uuid4

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.notify import HOME_RENDERER, Outgoing, enqueue, enqueue_many
from storage.home import HomeRepository
from storage.outbox import OutboxRepository

Repository = TypeVar("Repository")

HOME_DEBOUNCE = timedelta(seconds=2)  # a burst of changes within this publishes a person's Home once
HOME_VISITORS_WITHIN = timedelta(days=30)  # only the Homes of people who opened theirs since are refreshed
Messages = TypeVar("Messages")


def outbox_key(feature: str, *parts: object) -> str:
    """The one way to name an outbox row: `feature:part:part…`. A key is what makes a message sent once:
    planning the same message again writes the same key, which the outbox ignores."""
    return ":".join([feature, *(str(part) for part in parts)])


class UnitOfWork:
    """One transaction: its session, the feature's repositories (one of each), and the outbox. On leaving,
    it commits (or rolls back on an exception) and then, if anything new was queued, wakes the dispatcher."""

    def __init__(
        self, sessions: sessionmaker[Session], now: datetime, wake: Callable[[], None], *, writes: bool = True
    ) -> None:
        self._sessions = sessions
        self._wake = wake
        self._writes = writes
        self.now = now
        self.queued = 0

    def __enter__(self) -> UnitOfWork:
        self._context: Any = self._sessions.begin() if self._writes else self._sessions()
        self.session: Session = self._context.__enter__()
        self._repositories: dict[type, object] = {}
        self._homes: set[str] = set()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is None and self._homes:
            try:
                self._refresh_homes()
            except BaseException as failure:  # the change itself is rolled back with it
                self._context.__exit__(type(failure), failure, failure.__traceback__)
                raise
        self._context.__exit__(kind, error, traceback)
        if kind is None and self.queued:
            self._wake()

    def homes_changed(self, *user_ids: str | None) -> None:
        """What these people see in their Home tab changed: each gets one refresh when this commits (see
        `_refresh_homes`). A feature only names the people; None and '' are passed over."""
        self._homes.update(user for user in user_ids if user)

    def _refresh_homes(self) -> None:
        """One `views.publish` row per person who opened Home in the last HOME_VISITORS_WITHIN, rendered when
        sent (renderer HOME_RENDERER) and due HOME_DEBOUNCE from now: a newer refresh of the same Home replaces
        one still waiting, so a burst of changes publishes once, from the state at that moment."""
        since = self.now - HOME_VISITORS_WITHIN
        for user in sorted(self.repo(HomeRepository).visited_since(self._homes, since)):
            key = outbox_key("home", user, self.now.isoformat(), uuid4().hex[:8])  # never the same: not a message
            self.send(
                Outgoing(
                    key,
                    {"user_id": user},
                    "views.publish",
                    due_at=self.now + HOME_DEBOUNCE,
                    render=HOME_RENDERER,
                    subject=user,
                    replaces=f"home:{user}",
                )
            )
        self._homes.clear()

    def repo(self, kind: type[Repository]) -> Repository:
        """The repository of this kind, on this transaction's session."""
        if kind not in self._repositories:
            self._repositories[kind] = kind(self.session)  # type: ignore[call-arg]
        return self._repositories[kind]  # type: ignore[return-value]

    @property
    def outbox(self) -> OutboxRepository:
        return self.repo(OutboxRepository)

    def send(self, message: Outgoing) -> bool:
        """Queue the message in this transaction (once per key); True when it is new."""
        new = enqueue(self.session, message, self.now)
        self.queued += int(new)
        return new

    def send_many(self, messages: Iterable[Outgoing]) -> int:
        new = enqueue_many(self.session, messages, self.now)
        self.queued += new
        return new

    def withdraw(self, keys: Collection[str], *, reason: str) -> set[str]:
        """Messages no longer wanted that are still waiting are recorded as skipped, with the reason."""
        return self.outbox.withdraw(keys, reason=reason)

    def posted(self, key: str) -> tuple[str, str] | None:
        """Where the message with this key was posted (channel, ts), once Slack has answered for it."""
        row = self.outbox.get(key)
        if row is None or row.response_channel is None or row.response_ts is None:
            return None
        return row.response_channel, row.response_ts


class Transactions:
    """Opening units of work: what a service needs the sessions, its clock and the dispatcher's wake-up for."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, wake_outbox: Callable[[], None]) -> None:
        self.sessions = sessions
        self.clock = clock
        self.wake_outbox = wake_outbox

    def work(self, now: datetime | None = None) -> UnitOfWork:
        """A transaction that writes (see UnitOfWork); `now` is the clock's unless the use case read it first."""
        return UnitOfWork(self.sessions, now or self.clock(), self.wake_outbox)

    def reading(self) -> UnitOfWork:
        """A read-only look at the database: no transaction to commit, nothing queued."""
        return UnitOfWork(self.sessions, self.clock(), self.wake_outbox, writes=False)


class FeatureService(Transactions, Generic[Messages]):
    """What every feature's service is given: sessions, a clock, the settings, its messages module (the edge's
    renderer, injected so the service never imports Slack), and the dispatcher's wake-up. A feature that keeps
    more state sets it up in `setup()`, not in a constructor of its own."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
        messages: Messages,
        wake_outbox: Callable[[], None],
    ) -> None:
        super().__init__(sessions, clock, wake_outbox)
        self.settings = settings
        self.messages = messages
        self.setup()

    def setup(self) -> None:
        """The feature's own state, set up once its parts are given (nothing by default)."""
