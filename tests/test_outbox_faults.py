"""Slack in trouble for a stretch (429 with Retry-After, 500s, time-outs), then well again: the outbox loses
nothing, sends each message once, and never posts to a channel before its Retry-After has run out.

The dispatcher runs as the scheduler drives it (run_once on every tick) against the fake Slack over real HTTP;
the test's clock moves instead of anyone sleeping. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from itertools import pairwise

from bot.notify import Outgoing, enqueue
from bot.services import Services
from storage.outbox import OutboxRepository
from tests.conftest import FakeClock, move_clock_instead_of_sleeping
from tests.fake_slack import Call, FakeSlack

POST = "chat.postMessage"
CHANNELS = ("CA", "CB", "CC")
PER_CHANNEL = 3
RETRY_AFTER = 20
CLIENT_TIMEOUT = 0.2  # seconds; the fake stalls longer than this


def enqueue_reminders(services: Services, clock: FakeClock) -> list[str]:
    keys = []
    with services.sessions.begin() as session:
        for n in range(PER_CHANNEL):
            for channel in CHANNELS:
                key = f"reminder:{channel}:{n}"
                enqueue(session, Outgoing(key, {"channel": channel, "text": key}), clock())
                keys.append(key)
    return keys


def statuses(services: Services, keys: list[str]) -> dict[str, str]:
    with services.sessions() as session:
        outbox = OutboxRepository(session)
        return {key: row.status for key in keys if (row := outbox.get(key)) is not None}


def run_ticks_until_settled(services: Services, clock: FakeClock, keys: list[str], *, tick: int = 5) -> int:
    """Dispatch on every scheduler tick until no row is waiting; returns how many ticks it took."""
    for ticks in range(1, 400):
        services.dispatcher.run_once()
        if all(status in ("sent", "failed", "skipped") for status in statuses(services, keys).values()):
            return ticks
        clock.advance(seconds=tick)
    raise AssertionError(f"still waiting after 400 ticks: {statuses(services, keys)}")


def calls_by_channel(calls: list[Call]) -> dict[str, list[datetime]]:
    moments: dict[str, list[datetime]] = defaultdict(list)
    for call in calls:
        moments[call.body["channel"]].append(call.at)
    return moments


def test_a_stretch_of_429s_500s_and_time_outs_loses_nothing_and_respects_retry_after(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    move_clock_instead_of_sleeping(services, clock)
    services.dispatcher.client.timeout = CLIENT_TIMEOUT
    fake_slack.clock = clock
    keys = enqueue_reminders(services, clock)
    fake_slack.fail_next(POST, status=429, error="ratelimited", retry_after=RETRY_AFTER)
    fake_slack.fail_next(POST, status=500, error="internal_error", times=4)
    fake_slack.stall_next(POST, seconds=CLIENT_TIMEOUT * 3, times=2)
    fake_slack.fail_next(POST, status=503, error="service_unavailable", times=2)

    run_ticks_until_settled(services, clock, keys)

    assert statuses(services, keys) == dict.fromkeys(keys, "sent"), "nothing lost, nothing given up"
    delivered = fake_slack.delivered(POST)
    assert Counter(call.body["text"] for call in delivered) == Counter(keys), "each message reached Slack once"
    failed = [call for call in fake_slack.calls if call.method == POST and not call.ok]
    assert len(failed) == 1 + 4 + 2 + 2, "every scripted fault was met"

    limited = failed[0]
    to_that_channel = [call.at for call in fake_slack.calls if call.body.get("channel") == limited.body["channel"]]
    next_try = min(at for at in to_that_channel if at > limited.at)
    assert next_try >= limited.at + timedelta(seconds=RETRY_AFTER), "posted again before Retry-After ran out"

    for channel, moments in calls_by_channel(delivered).items():
        assert all(later - earlier >= timedelta(seconds=1) for earlier, later in pairwise(moments)), channel


def test_every_fault_leaves_its_reason_on_the_row_until_the_send_that_works(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    move_clock_instead_of_sleeping(services, clock)
    services.dispatcher.client.timeout = CLIENT_TIMEOUT
    with services.sessions.begin() as session:
        enqueue(session, Outgoing("lonely", {"channel": "CA", "text": "lonely"}), clock())
    fake_slack.stall_next(POST, seconds=CLIENT_TIMEOUT * 3)

    assert services.dispatcher.run_once().retried == ["lonely"]
    with services.sessions() as session:
        waiting = OutboxRepository(session).get("lonely")
        assert waiting is not None
        assert (waiting.status, waiting.attempts) == ("pending", 1)
        assert waiting.last_error is not None and "timed out" in waiting.last_error.lower()

    run_ticks_until_settled(services, clock, ["lonely"])

    assert [call.body["text"] for call in fake_slack.delivered(POST)] == ["lonely"]
    with services.sessions() as session:
        sent = OutboxRepository(session).get("lonely")
        assert sent is not None and (sent.status, sent.attempts) == ("sent", 2)
