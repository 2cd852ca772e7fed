"""The outbox: everything the bot says on its own is written as a row first, then sent by the dispatcher.

Services call `enqueue` inside their own transaction, so the message exists exactly when the change that
caused it does. The dispatcher (woken by the scheduler) claims due rows, sends them and records the result.
Short in-call retries (connection errors, a 500) are slack_sdk's retry handlers; longer waits (429's
Retry-After, repeated 5xx) are stored on the row, so nothing sleeps on them and other channels keep flowing.

Pacing: Slack takes about one chat.postMessage per second per channel. A pass claims at most one row per
channel, and none for a channel posted to less than a second ago (or still inside a 429's Retry-After);
`run_once` repeats passes, waiting at most a second for the next channel to free up, until nothing is due. Its
passes also claim the channels that free up within `lookahead` (50 ms) and send to each once it is free.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.clock import Clock
from storage.outbox import OutboxRepository, lane_spacing, outbox_row

log = logging.getLogger(__name__)

RETRYABLE_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})


@dataclass(frozen=True)
class Outgoing:
    """A message the bot will send. Either its payload is complete now, or `render` names the renderer that
    builds it when it is sent, from the state of `subject` at that moment (the payload then holds the rest:
    where it goes). `replaces` names the message it updates: a newer row for it replaces this one while waiting."""

    key: str
    payload: dict[str, Any]
    method: str = "chat.postMessage"
    due_at: datetime | None = None
    expire_at: datetime | None = None
    render: str | None = None
    subject: str | None = None
    replaces: str | None = None

    @classmethod
    def edit(cls, key: str, payload: dict[str, Any]) -> Outgoing:
        """An update of a posted message (its payload names channel and ts) whose content is final now."""
        return cls(key, payload, "chat.update", replaces=f"{payload['channel']}:{payload['ts']}")

    @classmethod
    def update(cls, key: str, *, render: str, subject: object, channel: str, ts: str) -> Outgoing:
        """An update of a posted message (chat.update), rendered when sent; it replaces older ones still waiting."""
        return cls(
            key,
            {"channel": channel, "ts": ts},
            "chat.update",
            render=render,
            subject=str(subject),
            replaces=f"{channel}:{ts}",
        )


# A renderer builds a message when it is sent: (subject, the row's payload) -> the payload to send, or None when
# there is nothing to show any more (the object is gone). Registered by name at assembly (bot/app.py).
Renderer = Callable[[str, dict[str, Any]], dict[str, Any] | None]
# A sender makes a call that is not one Web API method (files_upload_v2's three steps): (client, payload) -> the
# answer, whose "channel" and "ts" (if any) are recorded. Registered by the row's `method` at assembly.
Sender = Callable[[WebClient, dict[str, Any]], Any]
# Told, in the transaction that marks a row sent, that Slack took it: (session, key, payload, now). What it writes
# (an event, the next message of a chain) exists exactly when the row is recorded as sent.
SentHook = Callable[[Session, str, dict[str, Any], datetime], None]
HOME_RENDERER = "home"  # a person's Home tab (subject: their user id), registered by handlers/home.py


def enqueue(session: Session, message: Outgoing, now: datetime) -> bool:
    """Write the message in the caller's transaction; a second enqueue with the same key is a no-op."""
    outbox = OutboxRepository(session)
    if message.replaces:
        outbox.supersede(message.replaces, by_key=message.key)
    return outbox.add_if_absent(**_columns(message, now))


def enqueue_many(session: Session, messages: Iterable[Outgoing], now: datetime) -> int:
    """`enqueue` for a planner's whole batch, in a few statements; how many were new."""
    outbox = OutboxRepository(session)
    batch = list(messages)
    for message in batch:
        if message.replaces:
            outbox.supersede(message.replaces, by_key=message.key)
    return outbox.add_many_if_absent([outbox_row(**_columns(m, now)) for m in batch])


def _columns(message: Outgoing, now: datetime) -> dict[str, Any]:
    return {
        "key": message.key,
        "method": message.method,
        "payload": message.payload,
        "due_at": message.due_at or now,
        "expire_at": message.expire_at,
        "now": now,
        "render": message.render,
        "subject": message.subject,
        "replaces": message.replaces,
    }


@dataclass
class DispatchReport:
    sent: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: timedelta = timedelta(seconds=15)
    backoff_cap: timedelta = timedelta(minutes=15)
    late_after: timedelta = timedelta(minutes=1)

    def backoff(self, attempts: int) -> timedelta:
        return min(self.backoff_base * (2 ** max(attempts - 1, 0)), self.backoff_cap)


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: WebClient,
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        batch_size: int = 50,
        lease: timedelta = timedelta(minutes=2),
        per_channel: timedelta = timedelta(seconds=1),
        max_wait: timedelta = timedelta(seconds=1.5),  # over the longest lane spacing (chat.update's 1.2 s)
        lookahead: timedelta = timedelta(milliseconds=50),
        workers: int = 1,
        parallel_from: int = 8,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        self.lease = lease
        self.per_channel = per_channel
        self.max_wait = max_wait
        self.lookahead = lookahead
        self.workers = workers
        self.parallel_from = parallel_from
        self.wake: Callable[[], None] = lambda: None
        self.renderers: dict[str, Renderer] = {}
        # Asked before each claim: False while Slack has uninstalled the app or revoked its token (set at assembly:
        # bot.sending_state); the rows then wait, pending.
        self.may_send: Callable[[], bool] = lambda: True
        self.senders: dict[str, Sender] = {}
        self.on_sent: list[SentHook] = []
        self._stopping = threading.Event()
        self._record_lock = threading.Lock()
        # How run_once waits for a paced channel; stop() interrupts it. Tests may move their clock instead.
        self.sleep: Callable[[float], object] = self._stopping.wait
        # How a row claimed ahead waits the last moments for its channel: not cut short by stop(), which lets the
        # pass in progress finish.
        self.pause: Callable[[float], object] = time.sleep
        self._pace = _PaceClock(clock)

    def wake_soon(self) -> None:
        """Ask the scheduler to dispatch now (late-bound: the scheduler sets `wake` after services exist)."""
        self.wake()

    def stop(self) -> None:
        """Interrupt a run_once waiting for a paced channel (at shutdown); what is left is sent at the next start."""
        self._stopping.set()

    def rows_by_state(self) -> dict[str, int]:
        """How many outbox rows are in each state (for the metrics, read when scraped)."""
        with self.sessions() as session:
            return OutboxRepository(session).count_by_status()

    def run_once(self) -> DispatchReport:
        """Send everything due now, one row per channel per pass, waiting (at most `max_wait` at a time) for
        paced channels to free up; returns when nothing is due, or the next moment is further off than that."""
        report = DispatchReport()
        while not self._stopping.is_set():
            if self._pass(report, self._pace, lookahead=self.lookahead):
                continue
            pace_now = self._pace.now()
            wait = self._wait_for_a_paced_channel(pace_now)
            if wait is None:
                break
            self.sleep(wait)
            self._pace.waited(since=pace_now, seconds=wait)
        return report

    def run_pass(self) -> DispatchReport:
        """One pass at the clock's time: at most one row per channel, none for a channel still paced."""
        report = DispatchReport()
        self._pass(report, self._pace)
        return report

    def _pass(self, report: DispatchReport, pace: _PaceClock, *, lookahead: timedelta = timedelta(0)) -> int:
        """Send what one claim returned. Each conversation's messages go in order. With `workers` > 1, a pass
        spanning many conversations (a backlog) sends them side by side, so Slack's round trip does not multiply
        by them; but then up to `workers` rows can be sent-but-unmarked when the process is killed (one when 1).

        With a `lookahead`, the claim also takes rows whose channel frees up within it, and each of those is sent
        once its channel is free: a drain claims the channels coming free next while it waits for them anyway, not
        after each has freed up (which put a claim's round trips into every gap between two posts to a channel)."""
        free_now = pace.now()
        claimed = self._claim(free_now + lookahead)
        # Rows whose channel is free now first, in the claim's order; then those claimed ahead, as they free up.
        messages = sorted(claimed, key=lambda message: max(message["channel_free_at"] or free_now, free_now))
        lanes = _by_conversation(messages)
        if self.workers > 1 and len(lanes) >= self.parallel_from:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(lanes))) as pool:
                for _ in pool.map(lambda lane: self._deliver_all(lane, report, pace), lanes):
                    pass
        else:
            self._deliver_all(messages, report, pace)
        return len(messages)

    def _deliver_all(self, messages: list[dict[str, Any]], report: DispatchReport, pace: _PaceClock) -> None:
        for message in messages:
            self._deliver(message, report, pace)

    def _wait_for_a_paced_channel(self, pace_now: datetime) -> float | None:
        with self.sessions() as session:
            free_at = OutboxRepository(session).next_free_channel_at(now=self.clock(), pace_now=pace_now)
        if free_at is None or free_at - pace_now > self.max_wait:
            return None
        return max((free_at - pace_now).total_seconds(), 0.001)

    def _claim(self, pace_now: datetime) -> list[dict[str, Any]]:
        if not self.may_send():
            return []
        now = self.clock()
        with self.sessions.begin() as session:
            rows = OutboxRepository(session).claim_due(
                now=now, lease_until=now + self.lease, limit=self.batch_size, pace_now=pace_now
            )
        return [row._asdict() for row in rows]  # a dict each: a renewed claim updates its claimed_until

    def _deliver(self, message: dict[str, Any], report: DispatchReport, pace: _PaceClock) -> None:
        self._await_channel(message, pace)
        now = self.clock()
        if message["expire_at"] is not None and now > message["expire_at"]:
            reason = f"not sent: its moment passed ({message['due_at']:%Y-%m-%d %H:%M} UTC)"
            self._finish(message, "skipped", reason, free_at=pace.now())
            report.skipped.append(message["key"])
            return
        if not self._still_held(message):
            log.info("outbox %s: its lease ran out during a long pass and another sender took it", message["key"])
            return
        try:
            payload = self._rendered(message)
        except Exception as error:  # a renderer's bug or its database read: try again later, like a failed send
            log.warning("outbox %s: rendering failed: %s", message["key"], type(error).__name__)
            self._retry_or_fail(
                message,
                f"rendering failed: {type(error).__name__}",
                self.policy.backoff(1),
                report,
                pace,
                cause="rendering_failed",
            )
            return
        if payload is None:
            self._finish(message, "skipped", "nothing to show any more: its subject is gone", free_at=pace.now())
            report.skipped.append(message["key"])
            return
        try:
            sender = self.senders.get(message["method"])
            if sender is not None:
                response = sender(self.client, payload)
            else:
                response = self.client.api_call(message["method"], json=payload)
        except SlackApiError as error:
            self._handle_api_error(message, error, report, pace)
            return
        except Exception as error:  # a timeout or a broken connection after slack_sdk's own retries
            wait = self.policy.backoff(message["attempts"])
            self._retry_or_fail(
                message, f"{type(error).__name__}: {error}", wait, report, pace, cause=type(error).__name__
            )
            return
        late = now - message["due_at"] > self.policy.late_after
        with self._recording() as session:
            outbox = OutboxRepository(session)
            outbox.mark_sent(message["id"], now=now, late=late, channel=response.get("channel"), ts=response.get("ts"))
            outbox.pace(message["channel"], not_before=pace.now() + self._spacing(message["channel"]))
            self._tell_hooks(session, message, now)
        report.sent.append(message["key"])
        metrics.current.message_sent((now - message["due_at"]).total_seconds())

    def _tell_hooks(self, session: Session, message: dict[str, Any], now: datetime) -> None:
        """Each hook in a savepoint of its own: one that fails is logged and undone, never the row's "sent"."""
        for hook in self.on_sent:
            try:
                with session.begin_nested():
                    hook(session, message["key"], message["payload"], now)
            except Exception:
                log.exception("outbox %s: a hook on its sending failed", message["key"])

    def _await_channel(self, message: dict[str, Any], pace: _PaceClock) -> None:
        """A row claimed ahead (see `_pass`) waits for its channel to be free before anything is recorded for it:
        even a skip sets the channel's next free moment, which must not come before the one it had."""
        free_at = message["channel_free_at"]
        pace_now = pace.now()
        if free_at is not None and free_at > pace_now:
            seconds = (free_at - pace_now).total_seconds()
            self.pause(seconds)
            pace.waited(since=pace_now, seconds=seconds)

    def _spacing(self, lane: str | None) -> timedelta:
        return lane_spacing(lane, self.per_channel)

    def _rendered(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """The payload to send: the row's own, or its renderer's, built now from the current state."""
        if not message.get("render"):
            return dict(message["payload"])
        renderer = self.renderers.get(message["render"])
        if renderer is None:
            raise LookupError(f"no renderer named {message['render']!r}")
        return renderer(message["subject"] or "", message["payload"])

    def _still_held(self, message: dict[str, Any]) -> bool:
        """A pass can outlast the lease on the rows it claimed (a slow Slack, many retries): past half the lease,
        the claim is renewed before the send, and a row another sender has taken over since is left to it."""
        now = self.clock()
        if message["claimed_until"] - now > self.lease / 2:
            return True
        lease_until = now + self.lease
        with self._recording() as session:
            outbox = OutboxRepository(session)
            if not outbox.renew_claim(message["id"], held_until=message["claimed_until"], lease_until=lease_until):
                return False
            outbox.pace(message["channel"], not_before=lease_until)
        message["claimed_until"] = lease_until
        return True

    def _handle_api_error(
        self, message: dict[str, Any], error: SlackApiError, report: DispatchReport, pace: _PaceClock
    ) -> None:
        status = error.response.status_code
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        description = f"HTTP {status}: {code or 'no error code'}"
        cause = code if isinstance(code, str) else f"http_{status}"
        if status == 429:
            retry_after = timedelta(seconds=_retry_after_seconds(error.response.headers))
            self._retry_or_fail(message, description, retry_after, report, pace, channel_wait=retry_after, cause=cause)
        elif status >= 500 or code in RETRYABLE_ERRORS:
            wait = self.policy.backoff(message["attempts"])
            self._retry_or_fail(message, description, wait, report, pace, cause=cause)
        else:
            self._finish(message, "failed", description, free_at=pace.now() + self._spacing(message["channel"]))
            report.failed.append(message["key"])
            metrics.current.send_failed(cause, final=True)
            log.warning("outbox %s failed for good: %s", message["key"], description)

    def _retry_or_fail(
        self,
        message: dict[str, Any],
        error: str,
        wait: timedelta,
        report: DispatchReport,
        pace: _PaceClock,
        *,
        channel_wait: timedelta | None = None,
        cause: str,
    ) -> None:
        """The row waits `wait`; its channel waits `channel_wait` (a 429's Retry-After), else the usual second.
        `cause` is the failure's short name, for the metrics (Slack's error code, the exception's class)."""
        spacing = self._spacing(message["channel"])
        free_at = pace.now() + max(channel_wait or spacing, spacing)
        final = message["attempts"] >= self.policy.max_attempts
        metrics.current.send_failed(cause, final=final)
        if final:
            reason = f"gave up after {message['attempts']} attempts; last: {error}"
            self._finish(message, "failed", reason, free_at=free_at)
            report.failed.append(message["key"])
            log.warning("outbox %s failed after %s attempts: %s", message["key"], message["attempts"], error)
            return
        with self._recording() as session:
            outbox = OutboxRepository(session)
            outbox.mark_retry(message["id"], at=self.clock() + wait, error=error)
            outbox.pace(message["channel"], not_before=free_at)
        report.retried.append(message["key"])

    @contextmanager
    def _recording(self) -> Iterator[Session]:
        """One result at a time: lanes send side by side, but SQLite takes one writer, and its busy wait
        sleeps far longer than a write takes."""
        with self._record_lock, self.sessions.begin() as session:
            yield session

    def _finish(self, message: dict[str, Any], status: str, error: str, *, free_at: datetime) -> None:
        with self._recording() as session:
            outbox = OutboxRepository(session)
            outbox.mark_final(message["id"], status=status, error=error)
            outbox.pace(message["channel"], not_before=free_at)


def _by_conversation(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    lanes: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        lanes.setdefault(str(message["payload"].get("channel") or message["key"]), []).append(message)
    return list(lanes.values())


class _PaceClock:
    """The time pacing is measured in: the clock, but never earlier than the end of the last wait for a paced
    channel. With the real clock the two agree; with a clock that stands still (tests), a wait still counts,
    in this run_once and the next."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.waited_until = clock()

    def now(self) -> datetime:
        return max(self.clock(), self.waited_until)

    def waited(self, *, since: datetime, seconds: float) -> None:
        self.waited_until = max(self.waited_until, since + timedelta(seconds=seconds))


def _retry_after_seconds(headers: dict[str, Any]) -> int:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(int(float(raw)), 1)
            except ValueError:
                break
    return 30
