"""APScheduler drives time: it runs the features' planners every minute (they write due reminders into the
outbox, idempotently by key), and wakes the outbox dispatcher every few seconds, and at once on demand."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.notify import Dispatcher

log = logging.getLogger(__name__)

DISPATCH_EVERY_SECONDS = 5
DISPATCH_JOB = "outbox-dispatcher"
PLAN_EVERY_SECONDS = 60
PLAN_JOB = "feature-planners"


def dispatch_safely(dispatcher: Dispatcher) -> None:
    try:
        report = dispatcher.run_once()
    except Exception:  # e.g. the database is briefly unreachable: the next tick tries again
        log.exception("outbox dispatch failed; retrying on the next tick")
        return
    if report.failed or report.skipped:
        log.warning("outbox: %s failed, %s skipped", len(report.failed), len(report.skipped))


def plan_safely(planners: Sequence[Callable[[], object]], dispatcher: Dispatcher) -> None:
    for plan in planners:
        try:
            plan()
        except Exception:  # one feature's failure must not stop the others; the next tick tries again
            log.exception("planner %s failed; retrying on the next tick", getattr(plan, "__qualname__", plan))
    dispatcher.wake()


def start_scheduler(dispatcher: Dispatcher, planners: Sequence[Callable[[], object]] = ()) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC)
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
        try:
            scheduler.modify_job(DISPATCH_JOB, next_run_time=datetime.now(UTC))
        except Exception:  # shutting down: the next start catches up
            log.debug("could not wake the dispatcher", exc_info=True)

    dispatcher.wake = wake
    return scheduler
