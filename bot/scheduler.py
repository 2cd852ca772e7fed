"""APScheduler drives time: it runs the features' planners every minute (they write due reminders into the
outbox, idempotently by key), and wakes the outbox dispatcher every few seconds, and at once on demand."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING

from bot import metrics
from bot.notify import Dispatcher
from bot.sending_state import CHECK_EVERY_SECONDS
from bot.server import is_database_outage

log = logging.getLogger(__name__)

DISPATCH_EVERY_SECONDS = 5
DISPATCH_JOB = "outbox-dispatcher"
PLAN_EVERY_SECONDS = 60
PLAN_JOB = "feature-planners"
TOKEN_CHECK_JOB = "token-check"


def dispatch_safely(dispatcher: Dispatcher) -> None:
    try:
        report = dispatcher.run_once()
    except Exception as error:  # e.g. the database is briefly unreachable: the next tick tries again
        _log_failure(error, "outbox dispatch failed")
        return
    if report.failed or report.skipped:
        log.warning("outbox: %s failed, %s skipped", len(report.failed), len(report.skipped))


def _safely(job: Callable[[], object], what: str) -> None:
    try:
        job()
    except Exception as error:
        _log_failure(error, what)


def plan_safely(planners: Sequence[Callable[[], object]], dispatcher: Dispatcher) -> None:
    for plan in planners:
        name = _planner_name(plan)
        started = time.perf_counter()
        try:
            plan()
        except Exception as error:  # one feature's failure must not stop the others; the next tick tries again
            _log_failure(error, f"planner {name} failed")
        metrics.current.planner_ran(name, time.perf_counter() - started)
    dispatcher.wake()


def _planner_name(plan: Callable[[], object]) -> str:
    """The feature's service ('SitdownService') for its bound tick, else the callable's own name."""
    owner = getattr(plan, "__self__", None)
    return type(owner).__name__ if owner is not None else str(getattr(plan, "__qualname__", plan))


def _log_failure(error: Exception, what: str) -> None:
    """An outage is one line per tick (it is not a bug; /healthz says 503 meanwhile); anything else, a traceback."""
    if is_database_outage(error):
        log.warning("%s: the database is unreachable (%s); retrying on the next tick", what, _first_line(error))
    else:
        log.exception("%s; retrying on the next tick", what)


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


class _ExpectedOverlap(logging.Filter):
    """A dispatch pass may outlast the 5 s tick (pacing a backlog at one post per second per channel); the tick
    that finds it still running is rightly skipped, which APScheduler reports as a warning every time."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def quiet_scheduler_logs() -> None:
    """APScheduler logs two INFO lines per job run (every 5 s); keep its warnings and errors only."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(existing, _ExpectedOverlap) for existing in scheduler_log.filters):
        scheduler_log.addFilter(_ExpectedOverlap())


def start_scheduler(
    dispatcher: Dispatcher,
    planners: Sequence[Callable[[], object]] = (),
    *,
    token_check: Callable[[], object] | None = None,
) -> BackgroundScheduler:
    """`token_check` (bot.sending_state: while sending is stopped, does a token work again?) runs at start and
    every CHECK_EVERY_SECONDS."""
    quiet_scheduler_logs()
    scheduler = BackgroundScheduler(timezone=UTC)
    if token_check is not None:
        scheduler.add_job(
            _safely,
            "interval",
            args=[token_check, "the token check failed"],
            seconds=CHECK_EVERY_SECONDS,
            id=TOKEN_CHECK_JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
    if planners:
        scheduler.add_job(
            plan_safely,
            "interval",
            args=[planners, dispatcher],
            seconds=PLAN_EVERY_SECONDS,
            id=PLAN_JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
    scheduler.add_job(
        dispatch_safely,
        "interval",
        args=[dispatcher],
        seconds=DISPATCH_EVERY_SECONDS,
        id=DISPATCH_JOB,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()

    def wake() -> None:
        """Never blocks its caller: shutdown(wait=True) holds the job-store lock while it waits for a running
        job, so a planner job waking the dispatcher then (modify_job needs that lock) would hang the shutdown."""
        if scheduler.state == STATE_RUNNING:
            threading.Thread(target=move_dispatch_to_now, name="wake-dispatcher", daemon=True).start()

    def move_dispatch_to_now() -> None:
        try:
            scheduler.modify_job(DISPATCH_JOB, next_run_time=datetime.now(UTC))
        except Exception:  # shutting down: the next start catches up
            log.debug("could not wake the dispatcher", exc_info=True)

    dispatcher.wake = wake
    return scheduler
