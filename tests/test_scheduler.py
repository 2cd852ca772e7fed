"""The scheduler's shutdown waits for a running planner; a planner waking the dispatcher then must not hang it."""

from __future__ import annotations

import threading
import time
from typing import Any

from apscheduler.schedulers.base import STATE_STOPPED

from bot.notify import DispatchReport
from bot.scheduler import start_scheduler


class IdleDispatcher:
    def __init__(self) -> None:
        self.wake: Any = lambda: None
        self.passes = 0

    def run_once(self) -> DispatchReport:
        self.passes += 1
        return DispatchReport()


def test_a_planner_still_running_when_shutdown_begins_does_not_hang_it() -> None:
    dispatcher = IdleDispatcher()
    planning = threading.Event()
    holder: dict[str, Any] = {}

    def planner_finishing_during_shutdown() -> None:
        planning.set()
        deadline = time.monotonic() + 5
        while holder["scheduler"].state != STATE_STOPPED and time.monotonic() < deadline:
            time.sleep(0.01)  # shutdown(wait=True) has begun: it holds the job-store lock and waits for this job

    holder["scheduler"] = start_scheduler(dispatcher, [planner_finishing_during_shutdown])  # type: ignore[arg-type]
    assert planning.wait(5), "the planner job never ran"
    stopper = threading.Thread(target=holder["scheduler"].shutdown, kwargs={"wait": True}, daemon=True)
    stopper.start()
    stopper.join(timeout=10)

    assert not stopper.is_alive(), "shutdown hung: the planner's wake of the dispatcher waited for the job store"


def test_waking_moves_the_next_dispatch_to_now() -> None:
    dispatcher = IdleDispatcher()
    scheduler = start_scheduler(dispatcher)  # type: ignore[arg-type]
    try:
        deadline = time.monotonic() + 5
        while dispatcher.passes < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        dispatcher.wake()
        while dispatcher.passes < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert dispatcher.passes >= 2, "a wake did not bring the next dispatch forward (the interval is 5 s)"
    finally:
        scheduler.shutdown(wait=True)
