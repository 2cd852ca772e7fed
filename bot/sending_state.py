"""Sending stops, on every replica, when Slack uninstalls the app or revokes its token, and resumes once a token
works again. The flag is a row in the database (storage/sending.py), so every replica's dispatcher sees it
before it claims anything; pending outbox rows wait (they are not failed), and are sent once sending resumes.

Each process says so in its log once per change (one line on stop, one on resume), and in /healthz's body,
which still answers 200: a 503 would take every replica out of the load balancer, and the bot would no longer
hear Slack telling it that it was installed again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.kit import Transactions
from storage.sending import SendingRepository, Stopped

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 180  # while stopped: how often auth.test asks Slack whether a token works again
_UNKNOWN = object()


class SendingState(Transactions):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        wake_outbox: Callable[[], None],
        token_works: Callable[[], bool],
    ) -> None:
        """`token_works` asks Slack (auth.test, at the edge) whether the bot token works."""
        super().__init__(sessions, clock, wake_outbox)
        self.token_works = token_works
        self._seen: object = _UNKNOWN  # what this process last saw: a Stopped, None, or not looked yet
        self._lock = threading.Lock()

    def stop(self, reason: str) -> None:
        """Slack said the bot may no longer send (app_uninstalled, tokens_revoked): every replica stops."""
        with self.work() as work:
            work.repo(SendingRepository).stop(reason, work.now)
        self.may_send()

    def may_send(self) -> bool:
        """What the dispatcher asks before it claims rows."""
        return self.stopped() is None

    def stopped(self) -> Stopped | None:
        with self.reading() as work:
            state = work.repo(SendingRepository).stopped()
        self._note(state)
        return state

    def check_token(self) -> bool:
        """While stopped, ask Slack whether the token works (auth.test); if it does, sending resumes on every
        replica. True when sending may go on. The scheduler calls this at start and every few minutes."""
        if self.stopped() is None:
            return True
        if not self.token_works():
            return False
        with self.work() as work:
            work.repo(SendingRepository).resume()
        self._note(None)
        self.wake_outbox()
        return True

    def health(self) -> dict[str, Any]:
        """What /healthz adds to its body."""
        state = self.stopped()
        if state is None:
            return {"sending": "on"}
        return {
            "sending": f"stopped since {state.since:%Y-%m-%d %H:%M} UTC: {state.reason}; pending messages are kept "
            "and sent once a token works again"
        }

    def _note(self, state: Stopped | None) -> None:
        with self._lock:
            before, self._seen = self._seen, state
        if before is _UNKNOWN and state is None:
            return
        if state is not None and (before is None or before is _UNKNOWN):
            log.warning(
                "sending stopped: %s (since %s UTC); pending messages are kept until a token works again "
                "(auth.test every %s s)",
                state.reason,
                f"{state.since:%Y-%m-%d %H:%M}",
                CHECK_EVERY_SECONDS,
            )
        elif state is None and isinstance(before, Stopped):
            log.warning("sending resumed: a token works again (auth.test succeeded); pending messages go out now")
