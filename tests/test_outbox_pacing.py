"""Outbox pacing: at most one chat.postMessage per second per channel, other channels keep flowing.

A pass (`run_pass`) sends at most one row per channel; `run_once` repeats passes and waits for paced channels,
here by moving the FakeClock instead of sleeping. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import Settings
from bot.notify import Outgoing, enqueue
from bot.services import Services
from storage.models import OutboxMessage
from storage.outbox import OutboxRepository, pacing_channel
from tests.conftest import FakeClock, move_clock_instead_of_sleeping, restarted
from tests.fake_slack import FakeSlack

POST = "chat.postMessage"


def put(services: Services, clock: FakeClock, key: str, channel: str, method: str = POST, **options: Any) -> None:
    payload: dict[str, Any] = {"channel": channel, "text": key}
    if method == "chat.update":
        payload["ts"] = "1700000000.000001"
    with services.sessions.begin() as session:
        enqueue(session, Outgoing(key, payload, method, **options), clock())


def queue(services: Services, clock: FakeClock, **keys: list[str]) -> None:
    """chat.postMessage rows with these keys (each its own text) for each channel, in the order given."""
    for channel, channel_keys in keys.items():
        for key in channel_keys:
            put(services, clock, key, channel)


def posted(fake: FakeSlack) -> list[str]:
    """The texts Slack received, in order."""
    return [body["text"] for body in fake.calls_to(POST)]


def rows(services: Services) -> dict[str, OutboxMessage]:
    with services.sessions() as session:
        return {
            row.key: row
            for status in ("sent", "pending", "skipped")
            for row in OutboxRepository(session).by_status(status)
        }


def test_a_pass_sends_one_message_per_channel_and_the_next_only_a_second_later(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    queue(services, clock, CA=["a1", "a2", "a3"], CB=["b1"])

    assert sorted(services.dispatcher.run_pass().sent) == ["a1", "b1"]
    assert services.dispatcher.run_pass().sent == []

    clock.advance(seconds=0.999)
    assert services.dispatcher.run_pass().sent == []
    clock.advance(seconds=0.001)
    assert services.dispatcher.run_pass().sent == ["a2"]
    assert services.dispatcher.run_pass().sent == []
    clock.advance(seconds=1)
    assert services.dispatcher.run_pass().sent == ["a3"]
    assert sorted(posted(fake_slack)) == ["a1", "a2", "a3", "b1"]
    assert [text for text in posted(fake_slack) if text.startswith("a")] == ["a1", "a2", "a3"]


def test_a_rate_limited_channel_does_not_delay_the_others_and_waits_its_retry_after(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    queue(services, clock, CA=["a1", "a2"], CB=["b1", "b2"])
    fake_slack.fail_next(POST, status=429, error="ratelimited", retry_after=5)  # the first call: a1

    first = services.dispatcher.run_pass()
    assert (first.retried, first.sent) == (["a1"], ["b1"])

    for _ in range(4):
        clock.advance(seconds=1)
        services.dispatcher.run_pass()
    assert posted(fake_slack) == ["a1", "b1", "b2"], "nothing goes to CA before its Retry-After ran out"

    clock.advance(seconds=1)
    assert services.dispatcher.run_pass().sent == ["a1"], "the retried message keeps its place in its channel"
    clock.advance(seconds=1)
    assert services.dispatcher.run_pass().sent == ["a2"]
    assert rows(services)["a1"].attempts == 2


def test_run_once_drains_a_backlog_one_second_apart_per_channel(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    waits = move_clock_instead_of_sleeping(services, clock)
    start = clock()
    queue(services, clock, CA=["a1", "a2", "a3"], CB=["b1"], UMIA=["dm1", "dm2"])

    report = services.dispatcher.run_once()

    assert sorted(report.sent) == ["a1", "a2", "a3", "b1", "dm1", "dm2"]
    sent_at = {key: row.sent_at for key, row in rows(services).items()}
    assert [sent_at["a1"], sent_at["a2"], sent_at["a3"]] == [
        start,
        start + timedelta(seconds=1),
        start + timedelta(seconds=2),
    ]
    assert (sent_at["b1"], sent_at["dm1"], sent_at["dm2"]) == (start, start, start + timedelta(seconds=1))
    assert waits and all(0 < wait <= 1 for wait in waits)


def test_waits_count_as_time_passing_even_when_the_clock_stands_still(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    """What a real sleep does to a frozen test clock: the waits, not the clock, show the second went by."""
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        assert len(waits) < 10, "run_once keeps waiting for a channel it never sends to"

    services.dispatcher.sleep = wait
    queue(services, clock, CA=["a1", "a2", "a3"])

    assert services.dispatcher.run_once().sent == ["a1", "a2", "a3"]
    assert waits == [1.0, 1.0]

    put(services, clock, "a4", "CA")
    assert services.dispatcher.run_once().sent == ["a4"], "the next run_once remembers the time already waited"
    assert waits == [1.0, 1.0, 1.0]

    clock.advance(days=1)  # the clock jumps past the waits: from there, waits count again
    queue(services, clock, CA=["a5", "a6"])
    assert services.dispatcher.run_once().sent == ["a5", "a6"]
    assert waits == [1.0, 1.0, 1.0, 1.0]
    assert posted(fake_slack) == ["a1", "a2", "a3", "a4", "a5", "a6"]


def test_stop_ends_a_drain_at_its_next_wait_and_leaves_the_rest_pending(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    queue(services, clock, CA=["a1", "a2", "a3"], CB=["b1"])
    services.dispatcher.sleep = lambda _seconds: services.dispatcher.stop()  # shutting down while it waits

    assert sorted(services.dispatcher.run_once().sent) == ["a1", "b1"]
    assert (rows(services)["a2"].status, rows(services)["a3"].status) == ("pending", "pending")


def test_run_once_does_not_wait_out_a_long_retry_after(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    waits = move_clock_instead_of_sleeping(services, clock)
    queue(services, clock, CA=["a1", "a2"], CB=["b1"])
    fake_slack.fail_next(POST, status=429, error="ratelimited", retry_after=30)

    report = services.dispatcher.run_once()

    assert (report.retried, report.sent) == (["a1"], ["b1"])
    assert waits == [], "a channel paced for longer than a second is left to the next scheduler tick"
    assert rows(services)["a2"].status == "pending"


def test_posts_are_paced_per_conversation_and_updates_on_their_tier_lane(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    """chat.update is Tier 3 (about 50 a minute, per workspace): updates of any cards share one lane, 1.2 s apart,
    while a post to the same channel goes on its own conversation's pace."""
    waits = move_clock_instead_of_sleeping(services, clock)
    fake_slack.posted.update({("CA", "1700000000.000001"), ("CB", "1700000000.000001")})  # the cards updated
    put(services, clock, "edit1", "CA", method="chat.update")
    put(services, clock, "edit2", "CB", method="chat.update")
    put(services, clock, "post", "CA")

    assert sorted(services.dispatcher.run_pass().sent) == ["edit1", "post"]
    assert services.dispatcher.run_once().sent == ["edit2"]
    assert waits == [pytest.approx(1.2)]
    assert pacing_channel("chat.update", {"channel": "CA"}) == "tier3:chat.update"
    assert pacing_channel(POST, {"channel": "UMIA"}) == "UMIA"


def test_an_expired_message_costs_its_channel_no_second(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "stale", "CA", expire_at=clock() + timedelta(minutes=1))
    put(services, clock, "fresh", "CA", due_at=clock() + timedelta(minutes=2))
    clock.advance(minutes=2)

    assert services.dispatcher.run_pass().skipped == ["stale"]
    assert services.dispatcher.run_pass().sent == ["fresh"]


def test_a_claimed_message_reserves_its_channel_until_sent_or_its_lease_ends(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    queue(services, clock, CA=["a1", "a2"])
    with services.sessions.begin() as session:  # another sender claims a1 and dies before sending it
        claimed = OutboxRepository(session).claim_due(
            now=clock(), lease_until=clock() + services.dispatcher.lease, limit=10
        )
        assert [row.key for row in claimed] == ["a1"]

    clock.advance(seconds=services.dispatcher.lease.total_seconds() - 1)
    assert services.dispatcher.run_pass().sent == [], "a2 must not overtake a1 while a1 may be in flight"

    clock.advance(seconds=2)
    assert services.dispatcher.run_pass().sent == ["a1"]
    clock.advance(seconds=1)
    assert services.dispatcher.run_pass().sent == ["a2"]


def test_a_claim_ahead_takes_the_channels_freeing_up_within_it_and_says_when_each_is_free(
    services: Services, clock: FakeClock
) -> None:
    queue(services, clock, CA=["a1"], CB=["b1"], CC=["c1"])
    soon, later = clock() + timedelta(milliseconds=30), clock() + timedelta(seconds=2)
    with services.sessions.begin() as session:
        OutboxRepository(session).pace("CA", not_before=soon)
        OutboxRepository(session).pace("CB", not_before=later)
    with services.sessions.begin() as session:
        claimed = OutboxRepository(session).claim_due(
            now=clock(), lease_until=clock() + services.dispatcher.lease, limit=10, pace_now=soon
        )

    assert {row.key: row.channel_free_at for row in claimed} == {"a1": soon, "c1": None}
    assert [(row.attempts, row.claimed_until) for row in claimed] == [(1, clock() + services.dispatcher.lease)] * 2
    with services.sessions() as session:
        statuses = {key: status for key, status in session.execute(select(OutboxMessage.key, OutboxMessage.status))}
    assert statuses == {"a1": "sending", "b1": "pending", "c1": "sending"}


def test_a_drain_claims_a_channel_coming_free_and_sends_to_it_once_it_is_free(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    """With a look-ahead over the channel's second, the second row is claimed at once and waits for its channel
    (a pause, here counted instead of slept), rather than a wait for the channel and then a claim."""
    waits = move_clock_instead_of_sleeping(services, clock)
    pauses: list[float] = []
    services.dispatcher.pause = lambda seconds: pauses.append(seconds) or clock.advance(seconds=seconds)
    services.dispatcher.lookahead = timedelta(seconds=2)
    start = clock()
    queue(services, clock, CA=["a1", "a2"])

    assert services.dispatcher.run_once().sent == ["a1", "a2"]
    assert (waits, pauses) == ([], [1.0])
    assert (rows(services)["a1"].sent_at, rows(services)["a2"].sent_at) == (start, start + timedelta(seconds=1))
    assert posted(fake_slack) == ["a1", "a2"]


def test_pacing_survives_a_restart(
    settings: Settings, services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    queue(services, clock, CA=["a1", "a2"])
    assert services.dispatcher.run_pass().sent == ["a1"]

    with restarted(settings, clock) as again:
        assert again.dispatcher.run_pass().sent == [], "the channel's pace is in the database, not the process"
        clock.advance(seconds=1)
        assert again.dispatcher.run_pass().sent == ["a2"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(
        st.tuples(st.sampled_from(["CA", "CB", "CC", "UMIA"]), st.integers(min_value=0, max_value=3)),
        min_size=1,
        max_size=12,
    )
)
def test_every_message_is_sent_and_never_two_in_a_second_to_one_channel(
    services: Services, fake_slack: FakeSlack, clock: FakeClock, plan: list[tuple[str, int]]
) -> None:
    """Messages due at scattered seconds, dispatched as the scheduler would (run_once on each tick)."""
    move_clock_instead_of_sleeping(services, clock)
    start, prefix = clock(), f"p{clock().timestamp():.0f}"
    channels = {f"{prefix}:{n}": f"{prefix}{channel}" for n, (channel, _) in enumerate(plan)}
    for n, (_, due_in) in enumerate(plan):
        key = f"{prefix}:{n}"
        put(services, clock, key, channels[key], due_at=start + timedelta(seconds=due_in))

    for _ in range(len(plan) + 4):
        services.dispatcher.run_once()
        clock.advance(seconds=1)

    sent = {key: row for key, row in rows(services).items() if key.startswith(f"{prefix}:")}
    assert all(row.status == "sent" for row in sent.values()) and len(sent) == len(plan)
    by_channel: dict[str, list[datetime]] = defaultdict(list)
    for key, row in sent.items():
        assert row.sent_at is not None and row.sent_at >= row.due_at
        by_channel[channels[key]].append(row.sent_at)
    for moments in by_channel.values():
        moments.sort()
        assert all(later - earlier >= timedelta(seconds=1) for earlier, later in pairwise(moments))
    clock.advance(hours=1)  # the next example starts on fresh channels, well clear of these
