"""Lookups buffered in memory and written in batches, and purging a forgotten person's from every running bot.

A lookup used to cost a transaction of its own on the request's path (a commit, on PostgreSQL a round trip):
now `record` appends to a list, and `flush` writes the list in one INSERT: every FLUSH_SECONDS (the flusher
thread `start` runs), as soon as MAX_ROWS are waiting, before the glossary's stats are read, and at a clean stop
(SIGTERM included: bot/__main__.py stops the buffer after the last listener has finished).

What a kill -9 (or a power cut) can lose: the lookups recorded since the last flush, so at most FLUSH_SECONDS'
worth and never more than MAX_ROWS (plus one per listener thread adding at that very moment). A flush that
fails (the database unreachable) keeps its rows for the next one, up to MAX_ROWS; older ones are then dropped,
with a warning: lookups are statistics, and memory must stay bounded.

Readers: the stats this process shows flush first, so they are exact for this replica; another replica's
lookups show up within FLUSH_SECONDS (its next flush): "most missed" is a trend, and a second's lag is
invisible to it, while flushing every replica on every read would need them to talk to each other.

Forgetting a person (`python -m bot user forget`, another process): `purge_lookups_of` writes a row to
forget_requests; each flush that has rows to write reads those rows first, drops the person's buffered lookups
and deletes the ones already written; after two flush intervals every running bot has flushed past the request,
so the purge deletes the person's rows once more (any written by a flush that began before the request) and
removes the request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, utc_now
from bot.config import LOOKUP_BUFFER_ROWS, LOOKUP_FLUSH_SECONDS
from bot.kit import Transactions
from storage.lookups import Lookup, LookupRepository

log = logging.getLogger(__name__)

FLUSH_SECONDS = LOOKUP_FLUSH_SECONDS  # (setting LOOKUP_FLUSH_SECONDS) the longest a lookup waits in memory
MAX_ROWS = LOOKUP_BUFFER_ROWS  # (LOOKUP_BUFFER_ROWS) a batch this big is written at once; a failing database
# keeps at most this many waiting
PURGE_WAIT_SECONDS = 2 * FLUSH_SECONDS  # every running bot (at the default interval) flushes within this


class LookupBuffer(Transactions):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        flush_seconds: float = FLUSH_SECONDS,
        max_rows: int = MAX_ROWS,
    ) -> None:
        super().__init__(sessions, clock, lambda: None)
        self.flush_seconds = flush_seconds
        self.max_rows = max_rows
        self._waiting: list[Lookup] = []
        self._lock = threading.Lock()  # guards _waiting; held for an append or a swap only
        self._flushing = threading.Lock()  # one flush at a time, so a batch that failed is put back in order
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, query: str, term_id: int | None, user_id: str, at: datetime | None = None) -> None:
        with self._lock:
            self._waiting.append(Lookup(query, term_id, user_id, at or self.clock()))
            full = len(self._waiting) >= self.max_rows
        if full:
            self._flush_logging_failure()

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def flush(self) -> int:
        """Write what is waiting, in one transaction; how many rows were written."""
        with self._flushing:
            with self._lock:
                batch, self._waiting = self._waiting, []
            if not batch:
                return 0
            try:
                with self.work() as work:
                    lookups = work.repo(LookupRepository)
                    forgotten = lookups.users_being_forgotten()
                    if forgotten:
                        batch = [lookup for lookup in batch if lookup.user_id not in forgotten]
                        lookups.delete_of(forgotten)
                    lookups.add_many(batch)
            except Exception:
                self._put_back(batch)
                raise
            return len(batch)

    def _put_back(self, batch: list[Lookup]) -> None:
        with self._lock:
            kept = (batch + self._waiting)[-self.max_rows :]
            dropped = len(batch) + len(self._waiting) - len(kept)
            self._waiting = kept
        if dropped:
            log.warning("glossary lookups: %s dropped, the database did not take them", dropped)

    # --- the flusher thread --------------------------------------------------------------------------------

    def start(self) -> None:
        """Flush every flush_seconds in a thread of its own until `stop`."""
        if self._thread is not None:
            return
        self._stopped.clear()
        self._thread = threading.Thread(target=self._run, name="lookup-flusher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (if started) and write what is still waiting: the clean stop's last flush."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            self.flush()
        except Exception as error:  # stopping anyway: say what is lost rather than leave a traceback
            log.warning("glossary lookups: %s not written at stop (%s)", self.waiting(), type(error).__name__)

    def _run(self) -> None:
        while not self._stopped.wait(self.flush_seconds):
            self._flush_logging_failure()

    def _flush_logging_failure(self) -> None:
        """A flush on the way (the thread's, a full buffer's): the lookup was answered, so no apology is due."""
        try:
            self.flush()
        except Exception as error:  # e.g. the database briefly unreachable: the rows wait for the next one
            log.warning("glossary lookups: flush failed (%s); retrying", type(error).__name__)


def purge_lookups_of(
    database: Engine | sessionmaker[Session],
    user_id: str,
    wait_seconds: float = PURGE_WAIT_SECONDS,
    *,
    clock: Clock = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Delete every lookup of `user_id`, including those still buffered in running bots (see the module's notes).
    `wait_seconds` must cover two flush intervals of the bots running."""
    sessions = database if isinstance(database, sessionmaker) else sessionmaker(database, expire_on_commit=False)
    purge = Transactions(sessions, clock, lambda: None)
    with purge.work() as work:
        request_id = work.repo(LookupRepository).request_forget(user_id, work.now)
    try:
        sleep(wait_seconds)
    finally:
        with purge.work() as work:
            lookups = work.repo(LookupRepository)
            lookups.delete_of([user_id])
            lookups.end_forget(request_id)
