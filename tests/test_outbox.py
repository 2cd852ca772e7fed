"""The outbox end to end: rows written with `enqueue`, sent by the Dispatcher over real HTTP to the fake Slack.

Time only moves when a test moves the FakeClock; every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.app import build_services
from bot.config import Settings
from bot.notify import Outgoing, RetryPolicy, enqueue, enqueue_many
from bot.services import Services
from storage.models import OutboxMessage
from storage.outbox import OutboxRepository
from tests.conftest import FakeClock
from tests.fake_slack import FakeSlack

POST = "chat.postMessage"


def message(text: str = "hello") -> dict[str, Any]:
    return {"channel": "C1", "text": text}


def put(services: Services, clock: FakeClock, key: str, **options: Any) -> bool:
    with services.sessions.begin() as session:
        return enqueue(session, Outgoing(key, message(key), **options), clock())


def row(services: Services, key: str) -> OutboxMessage:
    with services.sessions() as session:
        found = OutboxRepository(session).get(key)
    assert found is not None, f"no outbox row {key!r}"
    return found


def failed_once(services: Services, fake_slack: FakeSlack, clock: FakeClock, key: str, **failure: Any) -> OutboxMessage:
    """Enqueue `key` and run the dispatcher once while Slack fails as `failure` says: the row is to be retried."""
    put(services, clock, key)
    fake_slack.fail_next(POST, **failure)
    assert services.dispatcher.run_once().retried == [key]
    return row(services, key)


def test_message_is_sent_once_and_marked_sent_with_the_ts(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "greet")

    report = services.dispatcher.run_once()
    services.dispatcher.run_once()

    assert report.sent == ["greet"]
    assert fake_slack.calls_to(POST) == [{"channel": "C1", "text": "greet"}]
    sent = row(services, "greet")
    assert (sent.status, sent.attempts, sent.last_error, sent.late) == ("sent", 1, None, False)
    assert (sent.response_channel, sent.response_ts) == ("C1", "1700000000.000001")
    assert sent.sent_at == clock()
    assert sent.claimed_until is None


def test_enqueueing_the_same_key_twice_keeps_one_row_and_sends_once(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "once")
    put(services, clock, "once")

    services.dispatcher.run_once()

    with services.sessions() as session:
        assert [r.key for r in OutboxRepository(session).by_status("sent")] == ["once"]
        assert OutboxRepository(session).by_status("pending") == []
    assert len(fake_slack.calls_to(POST)) == 1


def test_enqueue_reports_whether_it_inserted_the_row(services: Services, clock: FakeClock) -> None:
    assert put(services, clock, "once") is True
    assert put(services, clock, "once") is False


def test_row_due_in_the_future_waits_until_its_time(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "later", due_at=clock() + timedelta(minutes=10))

    clock.advance(minutes=9, seconds=59)
    assert services.dispatcher.run_once().sent == []
    assert fake_slack.calls_to(POST) == []
    assert row(services, "later").status == "pending"

    clock.advance(seconds=1)
    assert services.dispatcher.run_once().sent == ["later"]
    assert len(fake_slack.calls_to(POST)) == 1
    assert row(services, "later").late is False


def test_rate_limit_waits_for_retry_after_then_sends(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    limited_at = clock()
    waiting = failed_once(services, fake_slack, clock, "busy", status=429, error="ratelimited", retry_after=30)

    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at == limited_at + timedelta(seconds=30)
    assert waiting.last_error == "HTTP 429: ratelimited"

    clock.advance(seconds=29)
    services.dispatcher.run_once()
    assert len(fake_slack.calls_to(POST)) == 1, "resent before Retry-After ran out"

    clock.advance(seconds=1)
    assert services.dispatcher.run_once().sent == ["busy"]
    assert len(fake_slack.calls_to(POST)) == 2
    assert (row(services, "busy").status, row(services, "busy").attempts) == ("sent", 2)


def test_server_error_is_retried_in_the_call_then_backed_off_on_the_row(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    failed_at = clock()
    waiting = failed_once(services, fake_slack, clock, "flaky", status=500, error="internal_error", times=2)

    assert len(fake_slack.calls_to(POST)) == 2, "slack_sdk retries a 500 once inside the call"
    assert (waiting.status, waiting.attempts, waiting.last_error) == ("pending", 1, "HTTP 500: internal_error")
    assert waiting.next_attempt_at == failed_at + RetryPolicy().backoff(1)

    clock.advance(seconds=RetryPolicy().backoff(1).total_seconds())
    assert services.dispatcher.run_once().sent == ["flaky"]
    assert len(fake_slack.calls_to(POST)) == 3


def test_permanent_slack_error_fails_at_once_and_is_never_retried(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "nowhere")
    fake_slack.fail_next(POST, error="channel_not_found")

    assert services.dispatcher.run_once().failed == ["nowhere"]
    failed = row(services, "nowhere")
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "channel_not_found" in (failed.last_error or "")

    clock.advance(hours=1)
    services.dispatcher.run_once()
    assert len(fake_slack.calls_to(POST)) == 1


def test_repeated_failures_give_up_after_max_attempts(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    policy = RetryPolicy()
    put(services, clock, "doomed")
    fake_slack.fail_next(POST, error="service_unavailable", times=policy.max_attempts + 5)

    for _ in range(policy.max_attempts + 3):
        services.dispatcher.run_once()
        clock.advance(seconds=policy.backoff_cap.total_seconds())

    assert len(fake_slack.calls_to(POST)) == policy.max_attempts
    gave_up = row(services, "doomed")
    assert (gave_up.status, gave_up.attempts) == ("failed", policy.max_attempts)
    assert gave_up.last_error is not None
    assert gave_up.last_error.startswith(f"gave up after {policy.max_attempts} attempts")
    assert "service_unavailable" in gave_up.last_error


def test_expired_message_is_skipped_without_a_call(services: Services, fake_slack: FakeSlack, clock: FakeClock) -> None:
    put(services, clock, "stale", expire_at=clock() + timedelta(minutes=5))
    clock.advance(minutes=5, seconds=1)

    assert services.dispatcher.run_once().skipped == ["stale"]
    skipped = row(services, "stale")
    assert skipped.status == "skipped"
    assert "moment passed" in (skipped.last_error or "")
    assert fake_slack.methods() == []


def test_message_sent_more_than_a_minute_after_due_is_marked_late(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "on-time")
    put(services, clock, "tardy", due_at=clock() - timedelta(minutes=1, seconds=1))

    assert sorted(services.dispatcher.run_once().sent) == ["on-time", "tardy"]
    assert row(services, "tardy").late is True
    assert row(services, "on-time").late is False


def crash_after_claim(services: Services, clock: FakeClock) -> None:
    """A sender that claims the due rows and dies before delivering them."""
    with services.sessions.begin() as session:
        claimed = OutboxRepository(session).claim_due(
            now=clock(), lease_until=clock() + services.dispatcher.lease, limit=10
        )
        assert claimed


def test_row_of_a_crashed_sender_is_resent_after_its_lease_expires(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "orphan")
    crash_after_claim(services, clock)
    assert row(services, "orphan").status == "sending"

    clock.advance(seconds=services.dispatcher.lease.total_seconds() + 1)
    assert services.dispatcher.run_once().sent == ["orphan"]
    sent = row(services, "orphan")
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert len(fake_slack.calls_to(POST)) == 1


def test_row_whose_lease_has_not_expired_is_left_to_its_sender(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "in-flight")
    crash_after_claim(services, clock)

    clock.advance(seconds=services.dispatcher.lease.total_seconds() - 1)
    assert services.dispatcher.run_once().sent == []
    assert fake_slack.calls_to(POST) == []
    assert row(services, "in-flight").status == "sending"


def test_a_batch_is_written_once_per_key_and_reports_how_many_were_new(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "already")
    batch = [Outgoing(key, message(key)) for key in ("already", "first", "second", "first")]
    with services.sessions.begin() as session:
        new = enqueue_many(session, batch, clock())

    report = services.dispatcher.run_once()

    assert new == 2
    assert sorted(report.sent) == ["already", "first", "second"]
    assert sorted(m["text"] for m in fake_slack.calls_to(POST)) == ["already", "first", "second"]


def test_withdrawing_skips_only_rows_still_waiting_and_says_which(
    services: Services, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    put(services, clock, "gone")
    services.dispatcher.run_once()
    put(services, clock, "waiting", due_at=clock() + timedelta(hours=1))

    with services.sessions.begin() as session:
        withdrawn = OutboxRepository(session).withdraw(["gone", "waiting", "never"], reason="meeting skipped")
    clock.advance(hours=2)
    report = services.dispatcher.run_once()

    assert withdrawn == {"waiting"}
    assert report.sent == [] and fake_slack.calls_to(POST) == [{"channel": "C1", "text": "gone"}]
    assert (row(services, "waiting").status, row(services, "waiting").last_error) == ("skipped", "meeting skipped")
    assert row(services, "gone").status == "sent"


def test_a_pass_that_outlasts_its_lease_renews_its_claims_and_leaves_rows_taken_over_to_their_new_sender(
    settings: Settings, services: Services, fake_slack: FakeSlack, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One pass claims three rows; each send takes 70% of the lease. Before the second send the claim is past
    half its lease and is renewed; during it a replica runs, finds the third row's lease run out and sends it.
    The first sender then leaves that row alone: every message reaches Slack once."""
    with services.sessions.begin() as session:
        for channel in ("C1", "C2", "C3"):
            enqueue(session, Outgoing(f"to-{channel}", {"channel": channel, "text": channel}), clock())
    replica = build_services(settings, clock=clock)
    replica_sent: list[str] = []
    send = services.dispatcher.client.api_call
    calls = 0

    def slow_send(method: str, **options: Any) -> Any:
        nonlocal calls
        calls += 1
        response = send(method, **options)
        clock.advance(seconds=services.dispatcher.lease.total_seconds() * 0.7)
        if calls == 2:
            replica_sent.extend(replica.dispatcher.run_once().sent)
        return response

    monkeypatch.setattr(services.dispatcher.client, "api_call", slow_send)
    report = services.dispatcher.run_once()
    replica.engine.dispose()

    assert report.sent == ["to-C1", "to-C2"] and replica_sent == ["to-C3"]
    assert sorted(m["channel"] for m in fake_slack.calls_to(POST)) == ["C1", "C2", "C3"]
    assert {row(services, key).status for key in ("to-C1", "to-C2", "to-C3")} == {"sent"}


def test_a_batch_stores_exactly_what_one_by_one_enqueues_store(services: Services, clock: FakeClock) -> None:
    """The batch path is a different statement (one unnest INSERT on PostgreSQL): same columns, same values."""
    later = clock() + timedelta(hours=3)
    payloads = [
        {"channel": "C1", "text": "café <b> & “quotes”", "blocks": [{"type": "section", "text": {"type": "mrkdwn"}}]},
        {"channel": "UMIA", "text": "a DM", "unfurl_links": False, "metadata": None},
        {"channel": "C2", "ts": "1700000000.000001", "text": "an edit"},
    ]
    methods = ["chat.postMessage", "chat.postMessage", "chat.update"]
    expiries = [None, later + timedelta(minutes=30), None]

    def outgoing(prefix: str) -> list[Outgoing]:
        return [
            Outgoing(f"{prefix}:{n}", payload, method, due_at=later, expire_at=expire)
            for n, (payload, method, expire) in enumerate(zip(payloads, methods, expiries, strict=True))
        ]

    with services.sessions.begin() as session:
        for single in outgoing("one"):
            enqueue(session, single, clock())
    with services.sessions.begin() as session:
        assert enqueue_many(session, outgoing("many"), clock()) == 3

    def columns(key: str) -> tuple[object, ...]:
        stored = row(services, key)
        return (
            stored.method, stored.payload, stored.channel, stored.status, stored.due_at, stored.expire_at,
            stored.next_attempt_at, stored.attempts, stored.created_at, stored.late, stored.claimed_until,
        )  # fmt: skip

    for n in range(3):
        assert columns(f"many:{n}") == columns(f"one:{n}")
    assert row(services, "many:1").expire_at == later + timedelta(minutes=30)
    assert row(services, "many:2").channel == "tier3:chat.update", "an update is paced on its tier's lane"
