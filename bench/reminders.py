"""Benchmark: planning reminders for 10,000 live series, then sending 1,000 due reminders at Slack's pace.

    python bench/reminders.py [--sitdowns 5000] [--sessions 4999] [--pool 100] [--messages 1000] [--channels 100]
                              [--latency MS] [--workers N] [--database-url URL] [--profile]

1. Planning. 5,000 weekly sit-down series meeting tomorrow (a day and an hour ahead reminders), 4,999
   lunch-and-learn sessions starting within the next day (3 seated attendees each) and one liaison rotation
   (pools of `--pool` people per side, intros on): the 10,000 live series. Timed: the first planning round
   (each planner's tick(), which writes the next day's day-before reminders of every session), and a
   steady-state round a minute later (what the scheduler pays every minute). Target (issue #19): <= 1.5 s.
2. Sending. 1,000 reminders due now over 100 channels, through the real Dispatcher and WebClient, against
   a fake Slack that enforces one chat.postMessage per second per channel (429, Retry-After: 1, when a
   channel is posted to again within a second). Timed against the floor: with 10 messages per channel
   spaced a second apart, the last can go 9 s after the first. Target (issue #19): <= 1.05x the floor, no 429.

Real clock, real HTTP on loopback (the fake Slack in a process of its own; --latency adds Slack's round
trip, where the dispatcher's parallel sending lanes matter); a fresh SQLite file per part unless --database-url
names another database (e.g. an empty PostgreSQL schema): then run the parts one at a time (--skip-sending,
then --skip-planning on a new empty schema), as the planning part leaves reminders due in the outbox.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.__main__ import freeze_startup_heap
from bot.app import build_services
from bot.config import Settings
from bot.liaison_rules import RotationDraft
from bot.lunchlearn_rules import SessionDraft
from bot.notify import Outgoing, enqueue
from bot.services import Services
from storage.liaison import LiaisonRepository
from storage.lunchlearn import LunchLearnRepository
from storage.models import OutboxMessage
from storage.sitdown import SitdownRepository
from tests.builders import series_spec, series_starting
from tests.fake_clock import FakeClock
from tests.fake_slack import FakeSlack

ADMIN = "UBENCHADMIN"
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo")
POST = "chat.postMessage"
PLANNING_TARGET_SECONDS = 1.5  # issue #19: the first planning round of the 10,000 live series
SENDING_TARGET_RATIO = 1.05  # issue #19: sending 1,000 reminders, against the pacing floor


class PacedSlack(FakeSlack):
    """A fake Slack that answers 429 (Retry-After: 1) to a chat.postMessage within a second of the last
    accepted one to the same channel, as Slack does."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency
        self.last_post: dict[str, float] = {}
        self.limited = 0
        self.accepted: list[tuple[str, float]] = []
        self.pace_lock = threading.Lock()

    def handle(self, path: str, content_type: str, raw: str) -> tuple[int, dict[str, str], Any]:
        time.sleep(self.latency)
        if path.startswith(f"/api/{POST}"):
            channel = str(json.loads(raw or "{}").get("channel"))
            with self.pace_lock:
                arrived = time.monotonic()
                if arrived - self.last_post.get(channel, float("-inf")) < 1.0:
                    self.limited += 1
                    return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
                self.last_post[channel] = arrived
                self.accepted.append((channel, arrived))
        return super().handle(path, content_type, raw)


def settings_for(fake: FakeSlack, database_url: str) -> Settings:
    return settings_for_url(fake.base_url, database_url)


def settings_for_url(api_url: str, database_url: str) -> Settings:
    return Settings(
        bot_token="xoxb-bench",
        signing_secret="0123456789abcdef0123456789abcdef",
        api_url=api_url,
        database_url=database_url,
        it_intake_channel="CIT",
        marketing_channel="CMKT",
        joint_channel="CJOINT",
        admins=frozenset({ADMIN}),
    )


# --- 1. planning -------------------------------------------------------------------------------------------


def create_sitdowns(services: Services, count: int, now: datetime) -> None:
    tomorrow = (now + timedelta(days=1)).date()
    with services.sessions.begin() as session:
        repository = SitdownRepository(session)
        for number in range(count):
            minute_of_day = number * 1440 // count
            draft = series_starting(
                tomorrow,
                title=f"Sit-down {number}",
                channel_id=f"CSIT{number % 500:04d}",
                at=f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}",
                zone="UTC",
                leads=("1440", "60"),
            )
            repository.add_series(series_spec(draft, now.date()), by=f"UOWNER{number % 300}", at=now)


def create_sessions(services: Services, count: int, now: datetime) -> None:
    with services.sessions.begin() as session:
        repository = LunchLearnRepository(session)
        for number in range(count):
            starts_at = now + timedelta(minutes=90) + timedelta(minutes=number * 1380 // count)
            draft = SessionDraft(
                topic=f"Lunch and learn {number}",
                abstract="What the other side means by a funnel.",
                presenters=(f"UPRESENTER{number % 200}",),
                direction=("marketing_to_it", "it_to_marketing", "joint")[number % 3],
                starts_at=starts_at.replace(second=0, microsecond=0),
                duration_minutes=45,
                place="Room 4",
                capacity=20,
            )
            view = repository.add_session(
                draft, channel_id="CJOINT", by=ADMIN, at=now - timedelta(days=3), idea_id=None
            )
            for seat in range(3):
                repository.take_seat(view.id)
                repository.add_signup(
                    view.id, f"UATTENDEE{(number * 3 + seat) % 2000}", seated=True, at=now - timedelta(days=2)
                )


def create_rotation(services: Services, pool: int, now: datetime) -> None:
    with services.sessions.begin() as session:
        repository = LiaisonRepository(session)
        for number in range(pool):
            repository.join(f"UMKT{number}", "marketing", source="command", by=ADMIN, at=now)
            repository.join(f"UIT{number}", "it", source="command", by=ADMIN, at=now)
    draft = RotationDraft(
        start=now.date(), length_text="4", unit="weeks", tz="UTC", channels=("CJOINT",), intro_weeks_text="2"
    )
    outcome = services.liaison.configure(draft, by=ADMIN)
    assert outcome.plan is not None, outcome.errors


def outbox_rows(services: Services) -> int:
    with services.sessions() as session:
        return session.query(OutboxMessage).count()


def timed_round(services: Services) -> dict[str, float]:
    timings = {}
    for name in ("sitdown", "lunchlearn", "liaison", "newproject"):
        started = time.perf_counter()
        getattr(services, name).tick()
        timings[name] = time.perf_counter() - started
    return timings


def profile(action: Callable[[], object], lines: int = 18) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    action()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(lines)
    return out.getvalue()


def bench_planning(args: argparse.Namespace, database_url: str) -> None:
    fake = FakeSlack().start()
    clock = FakeClock(datetime.now(UTC).replace(second=0, microsecond=0))  # planning: now, then a minute later
    services = build_services(settings_for(fake, database_url), clock=clock)
    started = time.perf_counter()
    create_sitdowns(services, args.sitdowns, clock())
    create_sessions(services, args.sessions, clock())
    create_rotation(services, args.pool, clock())
    live = args.sitdowns + args.sessions + 1
    print(
        f"{live} live series ({args.sitdowns} sit-downs, {args.sessions} lunch-and-learns, 1 rotation with "
        f"{2 * args.pool} people) created in {time.perf_counter() - started:.1f} s"
    )
    before = outbox_rows(services)
    freeze_startup_heap()  # as `python -m bot` does once it has started

    first = timed_round(services)
    planned = outbox_rows(services) - before
    clock.advance(minutes=1)
    steady = timed_round(services)
    steady_rows = outbox_rows(services) - before - planned

    print("\nplanning round (each planner's tick(), seconds)   first round   a minute later")
    for name in first:
        print(f"  {name:<12}                                    {first[name]:8.2f}       {steady[name]:8.2f}")
    total = sum(first.values())
    print(f"  {'all':<12}                                    {total:8.2f}       {sum(steady.values()):8.2f}")
    print(
        f"  planning {live:,} series: {total:.2f} s (target ≤ {PLANNING_TARGET_SECONDS} s: "
        f"{'met' if total <= PLANNING_TARGET_SECONDS else 'NOT met'})"
    )
    print(f"  outbox rows written: {planned} in the first round, {steady_rows} a minute later")
    if args.profile:
        clock.advance(minutes=1)
        for name in ("sitdown", "lunchlearn"):
            print(f"\nprofile of {name}.tick() a minute later (cumulative):")
            print(profile(getattr(services, name).tick))
    services.engine.dispose()
    fake.stop()


# --- 2. sending --------------------------------------------------------------------------------------------


def paced_slack_process(connection: Connection, latency: float) -> None:
    """The fake Slack in a process of its own, as Slack is: it must not share the dispatcher's interpreter."""
    fake = PacedSlack(latency).start()
    connection.send(fake.base_url)
    connection.recv()  # until the run is over
    connection.send((fake.limited, shortest_gap_per_channel(fake.accepted), len(fake.accepted)))
    fake.stop()


def bench_sending(args: argparse.Namespace, database_url: str) -> None:
    ours, theirs = multiprocessing.Pipe()
    slack = multiprocessing.Process(target=paced_slack_process, args=(theirs, args.latency / 1000), daemon=True)
    slack.start()
    api_url = ours.recv()
    services = build_services(settings_for_url(api_url, database_url))  # the real clock
    if args.workers:
        services.dispatcher.workers = args.workers
    waiting = waiting_rows(services)
    if waiting:
        print(
            f"\nsending: not measured, the outbox at that database already holds {waiting} waiting rows (the planning"
            " part's?): give this part an empty database of its own (--skip-planning)."
        )
        ours.send("done")
        ours.recv()
        slack.join(timeout=10)
        services.engine.dispose()
        return
    now = datetime.now(UTC)
    with services.sessions.begin() as session:
        for number in range(args.messages):
            channel = f"CREMIND{number % args.channels:03d}"
            payload = {"channel": channel, "text": f"Reminder {number}: the sit-down starts in an hour."}
            key = f"bench:remind:{now:%H%M%S}:{number}"
            enqueue(session, Outgoing(key, payload, due_at=now, expire_at=now + timedelta(minutes=30)), now)
    per_channel = -(-args.messages // args.channels)
    floor = float(per_channel - 1)

    started = time.perf_counter()
    calls = 0
    while True:
        services.dispatcher.run_once()
        calls += 1
        if not waiting_rows(services):
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    with services.sessions() as session:
        sent = session.query(OutboxMessage).filter(OutboxMessage.status == "sent").count()
    ours.send("done")
    limited, gap, accepted = ours.recv()
    slack.join(timeout=10)
    workers = services.dispatcher.workers
    print(
        f"\nsending {args.messages} due reminders over {args.channels} channels ({per_channel} each), "
        f"Slack allowing 1 per second per channel and answering in {args.latency:.0f} ms + loopback; "
        f"dispatcher with {workers} sending lane{'s' if workers > 1 else ''}"
    )
    print(f"  floor: a channel's last message {per_channel - 1} s after its first      {floor:6.2f} s")
    ratio = f"ratio {elapsed / floor:.3f}x" if floor else "no floor (one message per channel)"
    print(
        f"  dispatcher (run_once, called {calls}x)                 {elapsed:6.2f} s   {ratio}"
        f"   (vs {per_channel} s: {elapsed / per_channel:.3f}x)"
    )
    if floor:
        ratio_of_floor = elapsed / floor
        met = "met" if ratio_of_floor <= SENDING_TARGET_RATIO and not limited else "NOT met"
        print(
            f"  sending {args.messages:,} reminders: {ratio_of_floor:.3f}× the pacing floor "
            f"(target ≤ {SENDING_TARGET_RATIO}×, no 429: {met})"
        )
    print(
        f"  sent {sent}/{args.messages} (Slack accepted {accepted}); 429 answers: {limited}; "
        f"shortest gap between two posts to one channel: {gap:.3f} s"
    )
    services.engine.dispose()


def waiting_rows(services: Services) -> int:
    with services.sessions() as session:
        return session.query(OutboxMessage).filter(OutboxMessage.status.in_(("pending", "sending"))).count()


def shortest_gap_per_channel(accepted: list[tuple[str, float]]) -> float:
    last: dict[str, float] = {}
    shortest = float("inf")
    for channel, moment in accepted:
        if channel in last:
            shortest = min(shortest, moment - last[channel])
        last[channel] = moment
    return shortest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sitdowns", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=4999)
    parser.add_argument("--pool", type=int, default=100, help="liaison pool size per side")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.0, help="ms the fake Slack takes per call (default 0)")
    parser.add_argument("--workers", type=int, help="the dispatcher's sending lanes (default: its own default)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file per part")
    parser.add_argument("--profile", action="store_true", help="profile the steady-state planners")
    parser.add_argument("--skip-planning", action="store_true")
    parser.add_argument("--skip-sending", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if not args.skip_planning:
            bench_planning(args, args.database_url or f"sqlite:///{folder}/planning.db")
        if not args.skip_sending:
            bench_sending(args, args.database_url or f"sqlite:///{folder}/sending.db")


if __name__ == "__main__":
    main()
